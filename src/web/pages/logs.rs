//! `GET /logs`: the activity log as a table, newest first, with its filters and paging in the
//! address (a plain GET form) so that it works, and can be linked to, without script.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::format::{capitalize, duration_ms, query_string, run_status, url_encode};
use super::{Choice, Common};
use crate::domain::{HostId, RunStatus, Trigger};
use crate::store::LogEntry;
use crate::web::api::logs::LogParams;
use crate::web::identity::PageAuth;
use crate::web::AppState;

#[derive(Debug, Serialize)]
pub struct LogsPage {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    timezone: String,
    container: String,
    schedule_id: String,
    /// Only the steps of one run (a stack action, a chain).
    run_id: String,
    limit: String,
    status_options: Vec<Choice>,
    action_options: Vec<Choice>,
    trigger_options: Vec<Choice>,
    filtered: bool,
    entries: Vec<LogView>,
    /// Live updates add rows only to the first page.
    first_page: bool,
    newest_href: String,
    older_href: String,
}

#[derive(Debug, Serialize)]
struct LogView {
    id: i32,
    iso: String,
    time: String,
    time_title: String,
    container: String,
    container_href: String,
    /// The container's output in the minutes around the action.
    output_href: String,
    action: String,
    trigger: String,
    trigger_href: String,
    status_label: String,
    status_class: &'static str,
    failed: bool,
    message: String,
    duration: String,
    /// The page of this entry's run with all its steps; empty for a single action.
    run_href: String,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let result = async {
        let params: LogParams = super::query(&req)?;
        let page = crate::store::logs::page(&state.actors.store, params.to_query()?).await?;
        let (entries, next_before) = (page.items, page.next_before);
        let mut view = build(&params, entries, next_before, state.config.timezone);
        view.auth = PageAuth::of(&req);
        super::render(&state.templates, "logs", &view)
    }
    .await;
    super::respond(&state, &req, result)
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

/// The view of one page of entries, its filters and its links.
pub fn build(params: &LogParams, entries: Vec<LogEntry>, next_before: Option<i32>, tz: Tz) -> LogsPage {
    let filters = [
        ("container", text(&params.container)),
        ("schedule_id", text(&params.schedule_id)),
        ("status", text(&params.status)),
        ("action", text(&params.action)),
        ("trigger", text(&params.trigger)),
        ("limit", text(&params.limit)),
        ("run_id", text(&params.run_id)),
    ];
    let link = |before: Option<i32>| {
        let before = before.map(|b| b.to_string()).unwrap_or_default();
        let mut pairs = filters.to_vec();
        pairs.push(("before", &before));
        format!("/logs{}", query_string(&pairs))
    };
    let first_page = text(&params.before).is_empty();
    LogsPage {
        common: Common::new("Activity log", "logs"),
        auth: PageAuth::default(),
        timezone: tz.name().to_string(),
        container: text(&params.container).to_string(),
        schedule_id: text(&params.schedule_id).to_string(),
        run_id: text(&params.run_id).to_string(),
        limit: text(&params.limit).to_string(),
        status_options: Choice::list(
            &[
                ("", "Any result"),
                ("success", "Success"),
                ("error", "Failed"),
                ("skipped", "Skipped"),
                ("missed", "Missed"),
            ],
            text(&params.status),
        ),
        action_options: Choice::actions(Some(("", "Any action")), text(&params.action)),
        trigger_options: Choice::list(
            &[
                ("", "Any trigger"),
                ("manual", "Manual"),
                ("schedule", "Schedule"),
                ("run_now", "Run now"),
                ("label", "Labels"),
            ],
            text(&params.trigger),
        ),
        filtered: filters[..5].iter().chain(&filters[6..]).any(|(_, v)| !v.is_empty()),
        entries: entries.into_iter().map(|e| log_view(e, tz)).collect(),
        first_page,
        newest_href: if first_page { String::new() } else { link(None) },
        older_href: next_before.map(|b| link(Some(b))).unwrap_or_default(),
    }
}

fn local(t: DateTime<Utc>, tz: Tz) -> (String, String) {
    let local = t.with_timezone(&tz);
    (
        local.format("%a %-d %b, %H:%M:%S %Z").to_string(),
        format!("{} ({})", local.format("%A %-d %B %Y, %H:%M:%S"), tz.name()),
    )
}

fn log_view(e: LogEntry, tz: Tz) -> LogView {
    let (time, time_title) = local(e.timestamp, tz);
    let (status_class, status_label) = run_status(Some(e.status));
    let schedule = e.schedule_id.map(|id| format!("schedule #{id}")).unwrap_or_default();
    let trigger = match (e.trigger, e.requested_by.as_deref()) {
        (Trigger::Manual, Some(who)) => format!("Manual ({who})"),
        (Trigger::Manual, None) => "Manual".to_string(),
        (Trigger::Schedule, _) => capitalize(&schedule),
        (Trigger::RunNow, Some(who)) => format!("Run now, {schedule} ({who})"),
        (Trigger::RunNow, None) => format!("Run now, {schedule}"),
        (Trigger::Window, _) => format!("Time window, {schedule}"),
        (Trigger::Health, _) => "Autoheal".to_string(),
        (Trigger::Label, _) => format!("Labels, {schedule}"),
    };
    LogView {
        id: e.id,
        iso: crate::time::rfc3339(&e.timestamp),
        time,
        time_title,
        container_href: format!("/logs?container={}", url_encode(&e.container)),
        output_href: output_href(&e.host, &e.container, e.timestamp),
        container: e.container,
        action: capitalize(e.action.as_str()),
        trigger: trigger.trim_end_matches([',', ' ']).to_string(),
        trigger_href: e.schedule_id.map(|id| format!("/logs?schedule_id={id}")).unwrap_or_default(),
        failed: e.status == RunStatus::Error,
        status_label,
        status_class,
        message: e.message,
        duration: duration_ms(e.duration_ms),
        run_href: e.run_id.map(|r| format!("/logs?run_id={}", url_encode(&r))).unwrap_or_default(),
    }
}

/// How far around an action its "output" link reaches.
const OUTPUT_WINDOW: chrono::Duration = chrono::Duration::minutes(2);

/// `/containers/{name}/logs` on the entry's host with the minutes around `at`: what did it print
/// right before?
fn output_href(host: &HostId, container: &str, at: DateTime<Utc>) -> String {
    let (since, until) =
        (crate::time::rfc3339(&(at - OUTPUT_WINDOW)), crate::time::rfc3339(&(at + OUTPUT_WINDOW)));
    super::container_logs::href(host, container, &[("since", &since), ("until", &until)], false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::tests::{assert_escaped, EVIL};
    use chrono::TimeZone;

    fn entry(id: i32, status: &str, trigger: &str) -> LogEntry {
        LogEntry {
            id,
            host: crate::domain::HostId::local(),
            timestamp: Utc.with_ymd_and_hms(2026, 7, 5, 3, 0, 12).unwrap(),
            schedule_id: (trigger != "manual").then_some(crate::domain::ScheduleId(3)),
            container: EVIL.into(),
            container_id: Some("abc".into()),
            action: crate::domain::Action::Restart,
            trigger: trigger.parse().unwrap(),
            status: status.parse().unwrap(),
            message: format!("Docker said {EVIL}"),
            duration_ms: 1234,
            requested_by: None,
            run_id: None,
        }
    }

    #[test]
    fn the_log_renders_escaped_with_zone_and_paging() {
        let params = LogParams { status: Some("error".into()), ..Default::default() };
        let entries = vec![entry(9, "error", "schedule"), entry(8, "success", "manual")];
        let view = build(&params, entries, Some(8), chrono_tz::Europe::Berlin);
        assert_eq!(view.older_href, "/logs?status=error&before=8");
        assert!(view.first_page && view.filtered);
        assert_eq!(view.entries[0].time, "Sun 5 Jul, 05:00:12 CEST");
        assert_eq!(view.entries[0].trigger, "Schedule #3");
        assert_eq!(
            view.entries[0].container_href,
            "/logs?container=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"
        );
        assert_eq!(view.entries[1].duration, "1.2 s");
        assert_eq!(
            view.entries[0].output_href,
            "/containers/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/logs\
             ?since=2026-07-05T02%3A58%3A12Z&until=2026-07-05T03%3A02%3A12Z"
        );

        // an entry of another host opens that host's container, not local's namesake
        let on_b = LogEntry { host: HostId("b".into()), ..entry(7, "success", "manual") };
        let view_b = build(&LogParams::default(), vec![on_b], None, chrono_tz::UTC);
        assert_eq!(
            view_b.entries[0].output_href,
            "/containers/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/logs\
             ?host=b&since=2026-07-05T02%3A58%3A12Z&until=2026-07-05T03%3A02%3A12Z"
        );

        let hb = crate::web::pages::templates().unwrap();
        let html = hb.render("logs", &view).unwrap();
        assert_escaped(&html);
        assert!(html.contains("Older"));
        assert!(html.contains("Europe/Berlin"));
        assert!(html.contains("row-failed"));
    }

    #[test]
    fn an_empty_log_says_so() {
        let view = build(
            &LogParams { before: Some("5".into()), ..Default::default() },
            vec![],
            None,
            chrono_tz::UTC,
        );
        assert!(!view.first_page);
        assert_eq!(view.newest_href, "/logs");
        let html = crate::web::pages::templates().unwrap().render("logs", &view).unwrap();
        assert!(html.contains("No entries"));
    }
}
