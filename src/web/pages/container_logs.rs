//! `GET /containers/{ref}/logs`: a container's last lines, server-rendered (escaped by `{{ }}`
//! like every other page: log lines are whatever the container printed), then followed live by
//! `static/container_logs.js` over the same API's event stream. Opened from each container row of
//! the dashboard, and from each entry of the activity log with the minutes around the action.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;

use super::format::{query_string, url_encode};
use super::Common;
use crate::docker::logs::{LogLines, Output};
use crate::domain::Container;
use crate::web::api::container_logs::{last_lines, LogsParams};
use crate::web::identity::PageAuth;
use crate::web::AppState;

#[derive(Debug, Serialize)]
pub struct ContainerLogsPage {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    name: String,
    state_class: &'static str,
    state_label: String,
    tail: String,
    since: String,
    until: String,
    /// Set when the page shows a window of time (from the activity log): not followed.
    window: String,
    latest_href: String,
    download_href: String,
    skipped: u64,
    lines: Vec<LineView>,
    /// Whether the script should follow new lines.
    live: bool,
    /// The last line's time: the script passes on only lines after it.
    last_ts: String,
    /// UNIX seconds the script's stream starts from (the last line's second, or now).
    follow_since: i64,
}

#[derive(Debug, Serialize)]
struct LineView {
    stream: &'static str,
    ts: String,
    ts_short: String,
    text: String,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let result = async {
        let params: LogsParams = super::query(&req)?;
        let mut wanted = params.parse()?;
        (wanted.query.follow, wanted.timestamps, wanted.text) = (false, true, false);
        let (container, lines) = last_lines(&state, path.into_inner(), &wanted).await?;
        let mut view = build(&params, &container, lines);
        view.auth = PageAuth::of(&req);
        super::render(&state.templates, "container_logs", &view)
    }
    .await;
    super::respond(&state, &req, result)
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

/// The view of one container's lines, already checked by [`LogsParams::parse`].
pub fn build(params: &LogsParams, container: &Container, lines: LogLines) -> ContainerLogsPage {
    let (state_class, state_label, _) = super::dashboard::state_badge(&container.state);
    let (tail, since, until) = (text(&params.tail), text(&params.since), text(&params.until));
    let base = format!("/containers/{}/logs", url_encode(&container.name));
    let download = format!(
        "/api/containers/{}/logs{}",
        url_encode(&container.name),
        query_string(&[("tail", tail), ("since", since), ("until", until), ("format", "text")])
    );
    let window = match (since, until) {
        ("", "") => String::new(),
        (s, "") => format!("Output since {s}."),
        ("", u) => format!("Output until {u}."),
        (s, u) => format!("Output from {s} to {u}."),
    };
    let last_ts = lines.lines.last().and_then(|l| l.ts.clone()).unwrap_or_default();
    let follow_since = chrono::DateTime::parse_from_rfc3339(&last_ts)
        .map(|t| t.timestamp())
        .unwrap_or_else(|_| Utc::now().timestamp());
    ContainerLogsPage {
        common: Common::new(format!("Output of {}", container.name), "container_logs"),
        auth: PageAuth::default(),
        name: container.name.clone(),
        state_class,
        state_label,
        tail: if tail.is_empty() { "200".into() } else { tail.into() },
        since: since.into(),
        until: until.into(),
        live: until.is_empty(),
        window,
        latest_href: base,
        download_href: download,
        skipped: lines.skipped,
        last_ts,
        follow_since,
        lines: lines
            .lines
            .into_iter()
            .map(|l| {
                let ts = l.ts.unwrap_or_default();
                LineView {
                    stream: if l.stream == Output::Stderr { "stderr" } else { "stdout" },
                    ts_short: ts.get(11..23).unwrap_or("").to_string(),
                    ts,
                    text: l.text,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::logs::LogLine;
    use crate::web::pages::tests::{assert_escaped, EVIL};

    #[test]
    fn hostile_lines_and_names_are_escaped_and_a_window_is_not_followed() {
        let container = Container {
            host: crate::domain::HostId::local(),
            id: "abc".into(),
            name: "web".into(),
            image: "busybox".into(),
            state: "running".into(),
            status: "Up".into(),
            health: None,
            compose_project: None,
            compose_service: None,
            created: Utc::now(),
            started_at: None,
        };
        let lines = LogLines {
            lines: vec![LogLine {
                stream: Output::Stderr,
                ts: Some("2026-01-05T03:00:00.123456789Z".into()),
                text: EVIL.into(),
            }],
            skipped: 0,
        };
        let params = LogsParams {
            since: Some("2026-01-05T02:59:00Z".into()),
            until: Some("2026-01-05T03:01:00Z".into()),
            ..Default::default()
        };
        let view = build(&params, &container, lines);
        assert!(!view.live);
        assert_eq!(view.lines[0].ts_short, "03:00:00.123");
        assert_eq!(view.follow_since, 1767582000);
        let html = crate::web::pages::templates().unwrap().render("container_logs", &view).unwrap();
        assert_escaped(&html);
        assert!(html.contains("clog-stderr"), "{html}");
        assert!(html.contains("format&#x3D;text"), "{html}");
    }
}
