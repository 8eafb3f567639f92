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
use crate::domain::{Container, HostId};
use crate::web::api::container_logs::{last_lines, LogsParams};
use crate::web::identity::PageAuth;
use crate::web::AppState;

#[derive(Debug, Serialize)]
pub struct ContainerLogsPage {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    name: String,
    /// The container's host when it is not `local` (the links, the form and the script carry it).
    host: String,
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

/// `/containers/{name}/logs` (or, with `api`, the API's address) of a container on `host`, which
/// is named only when it is not `local`, then `pairs`.
pub fn href(host: &HostId, name: &str, pairs: &[(&str, &str)], api: bool) -> String {
    let host = if host.as_str() == HostId::LOCAL { "" } else { host.as_str() };
    let mut all = vec![("host", host)];
    all.extend_from_slice(pairs);
    let prefix = if api { "/api" } else { "" };
    format!("{prefix}/containers/{}/logs{}", url_encode(name), query_string(&all))
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or("")
}

/// The view of one container's lines, already checked by [`LogsParams::parse`].
pub fn build(params: &LogsParams, container: &Container, lines: LogLines) -> ContainerLogsPage {
    let (state_class, state_label, _) = super::dashboard::state_badge(&container.state);
    let (tail, since, until) = (text(&params.tail), text(&params.since), text(&params.until));
    let base = href(&container.host, &container.name, &[], false);
    let pairs = [("tail", tail), ("since", since), ("until", until), ("format", "text")];
    let download = href(&container.host, &container.name, &pairs, true);
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
        host: if container.host.as_str() == HostId::LOCAL {
            String::new()
        } else {
            container.host.to_string()
        },
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

    fn container() -> Container {
        Container {
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
            labels: Default::default(),
        }
    }

    #[test]
    fn hostile_lines_and_names_are_escaped_and_a_window_is_not_followed() {
        let container = container();
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
        assert!(!html.contains(r#"name="host""#) && html.contains(r#"data-host="""#), "{html}");
        assert!(!view.download_href.contains("host"), "local is not named: {}", view.download_href);
    }

    #[test]
    fn a_container_on_another_host_keeps_its_host_in_every_link() {
        let b = HostId("b 1".into());
        assert_eq!(href(&b, "web", &[], false), "/containers/web/logs?host=b%201");
        assert_eq!(
            href(&b, "web", &[("tail", "5"), ("since", "")], true),
            "/api/containers/web/logs?host=b%201&tail=5"
        );
        assert_eq!(href(&HostId::local(), "a/b", &[], false), "/containers/a%2Fb/logs");
        let container = Container { host: b.clone(), ..container() };
        let params = LogsParams { tail: Some("5".into()), ..Default::default() };
        let view = build(&params, &container, LogLines { lines: vec![], skipped: 0 });
        assert_eq!(view.latest_href, "/containers/web/logs?host=b%201");
        assert_eq!(view.download_href, "/api/containers/web/logs?host=b%201&tail=5&format=text");
        let html = crate::web::pages::templates().unwrap().render("container_logs", &view).unwrap();
        // the form's GET drops its action's query: the host goes as a field; the script reads data-host
        assert!(html.contains(r#"<input type="hidden" name="host" value="b 1">"#), "{html}");
        assert!(html.contains(r#"data-host="b 1""#), "{html}");
    }
}
