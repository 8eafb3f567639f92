//! `GET /api/containers/{ref}/logs`: a container's own output, read by the DockerActor's
//! `docker/logs.rs` — the last lines as JSON (or as a text download), or followed live as a
//! `text/event-stream` counted against the stream caps of `web/streams.rs`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::DateTime;
use serde::Deserialize;
use tokio::time::Interval;

use crate::auth::Identity;
use crate::docker::logs::{ContainerLogs, Item, LogLine, LogLines, LogQuery};
use crate::docker::OpenLogs;
use crate::domain::{Container, HostId};
use crate::error::{AppError, ErrorBody};
use crate::web::input::{bounded_number, host};
use crate::web::streams::{event_stream, Recheck, Slot};
use crate::web::AppState;

/// The most lines one request may ask for.
pub const MAX_TAIL: i64 = 10_000;

/// The query string of the logs API and page (strings, so bad input gets our errors).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsParams {
    /// A host's name; default `local`.
    #[param(nullable = false, max_length = 64)]
    pub host: Option<String>,
    /// The last this many lines (0 to 10000), or `all`; default 200.
    #[param(nullable = false)]
    pub tail: Option<String>,
    /// `true`: a `text/event-stream` of `line` events, the last lines first, then new ones as they come.
    #[param(value_type = Option<bool>, nullable = false)]
    pub follow: Option<String>,
    /// Only lines from this time on: RFC 3339 or UNIX seconds.
    #[param(nullable = false)]
    pub since: Option<String>,
    /// Only lines before this time: RFC 3339 or UNIX seconds.
    #[param(nullable = false)]
    pub until: Option<String>,
    /// `false`: every `ts` is null; default true.
    #[param(value_type = Option<bool>, nullable = false)]
    pub timestamps: Option<String>,
    /// `json` (default) or `text`, a download of the lines (not with `follow`).
    #[param(nullable = false)]
    pub format: Option<String>,
}

/// What a request for logs asked for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The host the container is on (whether it exists is asked when the logs are opened).
    pub host: HostId,
    pub query: LogQuery,
    pub timestamps: bool,
    pub text: bool,
}

impl LogsParams {
    pub fn parse(&self) -> Result<Wanted, AppError> {
        let host = host(self.host.clone())?;
        let tail = match self.tail.as_deref().map(str::trim) {
            Some("all") => None,
            Some("") | None => Some(200),
            Some(n) => Some(bounded_number(Some(n), "tail", 200, 0, MAX_TAIL)? as u32),
        };
        let since = instant(self.since.as_deref(), "since")?;
        let until = instant(self.until.as_deref(), "until")?;
        if let (Some(s), Some(u)) = (since, until) {
            if u <= s {
                return Err(AppError::invalid(
                    "invalid_parameter",
                    Some("until"),
                    "until must be after since",
                ));
            }
        }
        let follow = flag(self.follow.as_deref(), "follow", false)?;
        let text = match self.format.as_deref().map(str::trim) {
            None | Some("" | "json") => false,
            Some("text") if follow => {
                return Err(AppError::invalid(
                    "conflicting_fields",
                    Some("format"),
                    "format=text is a download of the last lines; it cannot be followed",
                ))
            }
            Some("text") => true,
            Some(other) => {
                return Err(AppError::invalid(
                    "invalid_parameter",
                    Some("format"),
                    format!("format: {:?} is neither json nor text", crate::text::clip(other, 40)),
                ))
            }
        };
        Ok(Wanted {
            host,
            query: LogQuery { tail, follow, since, until },
            timestamps: flag(self.timestamps.as_deref(), "timestamps", true)?,
            text,
        })
    }
}

fn flag(raw: Option<&str>, field: &'static str, default: bool) -> Result<bool, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(AppError::invalid(
            "invalid_parameter",
            Some(field),
            format!("{field}: {:?} is neither true nor false", crate::text::clip(other, 40)),
        )),
    }
}

/// RFC 3339 or UNIX seconds, as UNIX seconds.
fn instant(raw: Option<&str>, field: &'static str) -> Result<Option<i64>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let seconds = match raw.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => DateTime::parse_from_rfc3339(raw).ok().map(|t| t.timestamp()),
    };
    match seconds {
        Some(n) if (0..=i64::from(i32::MAX)).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::invalid(
            "invalid_parameter",
            Some(field),
            format!(
                "{field}: {:?} is not a time (RFC 3339, e.g. 2026-01-05T03:00:00Z, or UNIX seconds)",
                crate::text::clip(raw, 40)
            ),
        )),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/containers/{reference}/logs", web::get().to(get));
}

/// The container and its output, not followed, as `wanted` says.
pub async fn last_lines(
    state: &AppState,
    reference: String,
    wanted: &Wanted,
) -> Result<(Container, LogLines), AppError> {
    let (container, logs) = open(state, reference, wanted).await?;
    let mut lines = logs.collect().await?;
    if !wanted.timestamps {
        lines.lines.iter_mut().for_each(|l| l.ts = None);
    }
    Ok((container, lines))
}

async fn open(
    state: &AppState,
    reference: String,
    wanted: &Wanted,
) -> Result<(Container, ContainerLogs), AppError> {
    let docker = state.actors.hosts.get(&wanted.host)?;
    docker.send(OpenLogs { reference, query: wanted.query.clone() }).await?
}

#[utoipa::path(get, path = "/api/containers/{ref}/logs", operation_id = "containerLogs", tag = "containers",
    summary = "A container's own output: the last lines, or followed live",
    description = "Without `follow`: `{\"lines\": [{stream, ts, text}], \"skipped\"}` (the newest 4 MiB at \
        most; `skipped` counts older lines left out), or with `format=text` a plain-text download. With \
        `follow=true`: a `text/event-stream` of `line` events (`{stream: \"stdout\"|\"stderr\", ts, text}`), \
        `skipped` events (`{\"skipped\": n}`: lines dropped by the rate cap of 256 KiB/s after a 1 MiB burst) \
        and one `end` event (`{\"reason\"}`) when the container's output ends. ANSI escapes and control \
        characters are stripped; a TTY container's output is `stdout`. The stream counts against the caps of \
        `/api/events` (8 per credential, 64 in all).",
    params(("ref" = String, Path, description = "a container name, full ID or unique ID prefix"), LogsParams),
    responses(
        (status = 200, description = "the lines as JSON; as text with `format=text`; an event stream with \
            `follow=true`", content(
                (LogLines = "application/json"),
                (String = "text/plain"),
                (String = "text/event-stream"),
            )),
        (status = 400, description = "invalid_parameter / conflicting_fields", body = ErrorBody),
        (status = 404, description = "container_not_found / host_not_found", body = ErrorBody),
        (status = 429, description = "too_many_streams", body = ErrorBody),
        (status = 502, description = "docker_error", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    path: web::Path<String>,
    params: web::Query<LogsParams>,
) -> Result<HttpResponse, AppError> {
    let wanted = params.parse()?;
    if !wanted.query.follow {
        let (container, lines) = last_lines(&state, path.into_inner(), &wanted).await?;
        if !wanted.text {
            return Ok(crate::web::json(&lines));
        }
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.log\"", download_name(&container.name)),
            ))
            .body(as_text(&lines)));
    }
    let recheck = Recheck::new(&req, &who, state.clone().into_inner())?;
    let slot = state.streams.open(&who)?;
    let (_, logs) = open(&state, path.into_inner(), &wanted).await?;
    let follow = Follow {
        logs,
        ticks: super::events::ticks(),
        recheck,
        timestamps: wanted.timestamps,
        ended: false,
        _slot: slot,
    };
    let events = futures_util::stream::unfold(follow, |mut follow| async move {
        let chunk = follow.next().await?;
        Some((chunk, follow))
    });
    Ok(event_stream(events))
}

/// A container name as a file name: Docker's names are already safe; anything else becomes `_`.
fn download_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect()
}

/// `ts stream text`, one line each, and a last line saying how many were left out.
pub fn as_text(lines: &LogLines) -> String {
    let mut out = String::new();
    if lines.skipped > 0 {
        out.push_str(&format!("[{} older lines left out]\n", lines.skipped));
    }
    for LogLine { stream, ts, text } in &lines.lines {
        let stream = if *stream == crate::docker::logs::Output::Stderr { "stderr" } else { "stdout" };
        match ts {
            Some(ts) => out.push_str(&format!("{ts} {stream} {text}\n")),
            None => out.push_str(&format!("{stream} {text}\n")),
        }
    }
    out
}

/// One followed stream: dropped, with its slot and the Engine's stream, when the client goes away.
struct Follow {
    logs: ContainerLogs,
    ticks: Interval,
    recheck: Recheck,
    timestamps: bool,
    ended: bool,
    _slot: Slot,
}

impl Follow {
    /// The next chunk to send, or `None` to end the stream.
    async fn next(&mut self) -> Option<String> {
        if self.ended {
            return None;
        }
        tokio::select! {
            item = self.logs.next() => Some(match item {
                Some(Ok(Item::Line(mut line))) => {
                    if !self.timestamps {
                        line.ts = None;
                    }
                    format!("event: line\ndata: {}\n\n", serde_json::to_string(&line).unwrap_or_default())
                }
                Some(Ok(Item::Skipped(n))) => format!("event: skipped\ndata: {{\"skipped\":{n}}}\n\n"),
                Some(Err(e)) => {
                    log::warn!("a container's log stream failed: {}", e.cause());
                    self.end(&e.to_string())
                }
                None => self.end("the container's output ended"),
            }),
            _ = self.ticks.tick() => self.recheck.still_allowed().await.then(|| ": keepalive\n\n".to_string()),
        }
    }

    fn end(&mut self, reason: &str) -> String {
        self.ended = true;
        format!("event: end\ndata: {}\n\n", serde_json::json!({ "reason": reason }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Result<Wanted, AppError> {
        web::Query::<LogsParams>::from_query(query).unwrap().parse()
    }

    #[test]
    fn defaults_are_the_last_200_lines_with_times_as_json() {
        let w = params("").unwrap();
        assert_eq!(w.query, LogQuery { tail: Some(200), follow: false, since: None, until: None });
        assert!(w.timestamps && !w.text);
        let w =
            params("tail=all&follow=true&since=2026-01-05T03:00:00Z&until=1767585600&timestamps=0").unwrap();
        assert_eq!(
            w.query,
            LogQuery { tail: None, follow: true, since: Some(1767582000), until: Some(1767585600) }
        );
        assert!(!w.timestamps);
    }

    #[test]
    fn bad_values_name_their_field() {
        for (query, field) in [
            ("tail=-1", "tail"),
            ("tail=10001", "tail"),
            ("follow=yes", "follow"),
            ("since=yesterday", "since"),
            ("since=10&until=5", "until"),
            ("format=html", "format"),
            ("format=text&follow=true", "format"),
            ("timestamps=2", "timestamps"),
        ] {
            let e = params(query).unwrap_err();
            assert_eq!(e.field(), Some(field), "{query}: {e}");
        }
        // any host's name is taken here; whether it exists is the registry's 404
        assert_eq!(params("host=elsewhere").unwrap().host, HostId("elsewhere".into()));
        assert_eq!(params("").unwrap().host, HostId::local());
        assert_eq!(params(&format!("host={}", "h".repeat(65))).unwrap_err().field(), Some("host"));
    }

    #[test]
    fn the_text_download_has_one_line_each_and_says_what_was_left_out() {
        let lines = LogLines {
            lines: vec![
                LogLine {
                    stream: crate::docker::logs::Output::Stdout,
                    ts: Some("t1".into()),
                    text: "a".into(),
                },
                LogLine { stream: crate::docker::logs::Output::Stderr, ts: None, text: "b".into() },
            ],
            skipped: 3,
        };
        assert_eq!(as_text(&lines), "[3 older lines left out]\nt1 stdout a\nstderr b\n");
        assert_eq!(download_name("web/../x y"), "web_.._x_y");
    }
}
