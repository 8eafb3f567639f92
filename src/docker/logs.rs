//! A container's own output (`docker logs`): bollard's log stream cut into lines, stdout and
//! stderr told apart (a TTY container has one stream, `LogOutput::Console`, shown as stdout),
//! ANSI escapes and other control characters stripped, and each line's time read from the
//! prefix Docker writes when asked for timestamps (always asked, so that every frame starts
//! with a digit and bollard never mistakes a TTY line for a frame header).
//!
//! Bounded, because log lines are whatever a container prints: a line is cut at [`MAX_LINE`]
//! bytes; a followed stream passes at most [`RATE`] bytes a second after a [`BURST`] (the rest is
//! counted and reported as skipped, so the stream stays live and nothing queues up); an answer
//! that is not followed keeps at most [`MAX_ANSWER`] bytes, the newest lines. Dropping a
//! [`ContainerLogs`] drops bollard's stream, which closes the connection to the Engine.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use super::connect::{classify, Failure};
use crate::error::AppError;
use crate::metrics::Metrics;

/// A longer line arrives as several (Docker itself stores lines in pieces of 16 KiB).
pub const MAX_LINE: usize = 16 * 1024;
/// Bytes a second one followed stream passes on once its burst is spent.
pub const RATE: f64 = 256.0 * 1024.0;
/// Bytes a followed stream may pass at once (the last lines, then a burst of output).
pub const BURST: f64 = 1024.0 * 1024.0;
/// The most text one answer that is not followed holds; older lines are skipped.
pub const MAX_ANSWER: usize = 4 * 1024 * 1024;
/// What a line costs beyond its text (its JSON keys and timestamp), for the byte counts.
const LINE_OVERHEAD: usize = 64;

/// Which of the container's streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    Stdout,
    Stderr,
}

/// One line of a container's output, cleaned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    pub stream: Output,
    /// When the Engine received it (RFC 3339, nanoseconds, `Z`); `null` when timestamps were
    /// not asked for.
    pub ts: Option<String>,
    /// The line without its newline, ANSI escapes or control characters (tabs stay).
    pub text: String,
}

/// What a stream yields: a line, or how many lines the rate cap dropped before the next one.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    Line(LogLine),
    Skipped(u64),
}

/// Which part of the output to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// The last this many lines; `None` for all of them.
    pub tail: Option<u32>,
    /// Keep the stream open and pass new lines as they come.
    pub follow: bool,
    /// Only lines from this instant (UNIX seconds) on.
    pub since: Option<i64>,
    /// Only lines before this instant (UNIX seconds).
    pub until: Option<i64>,
}

/// The last lines of a container, bounded by [`MAX_ANSWER`].
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct LogLines {
    pub lines: Vec<LogLine>,
    /// Older lines left out to keep the answer small.
    pub skipped: u64,
}

type Frames = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// One open log stream from the Engine.
pub struct ContainerLogs {
    frames: Frames,
    /// Lines of the last frame not yet handed out.
    pending: VecDeque<LogLine>,
    /// The rate cap of a followed stream.
    bucket: Option<Bucket>,
    skipped: u64,
    ended: bool,
    _open: Open,
}

/// Counts the streams open to the Engine (`chrontainer_container_log_streams`) while it lives.
struct Open(Arc<Metrics>);

impl Open {
    fn new(metrics: Arc<Metrics>) -> Open {
        metrics.log_stream_opened();
        Open(metrics)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.log_stream_closed();
    }
}

impl ContainerLogs {
    /// Asks the Engine for the output of container `id`.
    pub fn open(client: &Docker, id: &str, query: &LogQuery, metrics: Arc<Metrics>) -> ContainerLogs {
        let mut options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .follow(query.follow)
            .tail(&query.tail.map_or_else(|| "all".to_string(), |n| n.to_string()));
        // bollard takes 32-bit seconds; 0 means "no bound" to the Engine
        if let Some(since) = query.since {
            options = options.since(since.clamp(0, i64::from(i32::MAX)) as i32);
        }
        if let Some(until) = query.until {
            options = options.until(until.clamp(1, i64::from(i32::MAX)) as i32);
        }
        ContainerLogs {
            frames: Box::pin(client.logs(id, Some(options.build()))),
            pending: VecDeque::new(),
            bucket: query.follow.then(Bucket::new),
            skipped: 0,
            ended: false,
            _open: Open::new(metrics),
        }
    }

    /// The next line, or how many were skipped before it; `None` once the Engine ends the
    /// stream (the container stopped, or was removed). Cancel-safe: what was read stays here.
    pub async fn next(&mut self) -> Option<Result<Item, AppError>> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                let cost = line.text.len() + LINE_OVERHEAD;
                if !self.bucket.as_mut().is_none_or(|b| b.take(cost)) {
                    self.skipped += 1;
                    continue;
                }
                if self.skipped > 0 {
                    self.pending.push_front(line);
                    return Some(Ok(Item::Skipped(std::mem::take(&mut self.skipped))));
                }
                return Some(Ok(Item::Line(line)));
            }
            if self.ended {
                return (self.skipped > 0).then(|| Ok(Item::Skipped(std::mem::take(&mut self.skipped))));
            }
            match self.frames.next().await {
                Some(Ok(frame)) => self.pending.extend(lines_of(frame)),
                Some(Err(e)) => {
                    self.ended = true;
                    return Some(Err(to_app_error(&e)));
                }
                None => self.ended = true,
            }
        }
    }

    /// Every line to the end of the stream (so not followed), the newest within [`MAX_ANSWER`].
    pub async fn collect(mut self) -> Result<LogLines, AppError> {
        let mut kept: VecDeque<LogLine> = VecDeque::new();
        let (mut bytes, mut skipped) = (0usize, 0u64);
        while let Some(item) = self.next().await {
            match item? {
                Item::Line(line) => {
                    bytes += line.text.len() + LINE_OVERHEAD;
                    kept.push_back(line);
                    while bytes > MAX_ANSWER {
                        let Some(old) = kept.pop_front() else { break };
                        bytes -= old.text.len() + LINE_OVERHEAD;
                        skipped += 1;
                    }
                }
                Item::Skipped(n) => skipped += n,
            }
        }
        Ok(LogLines { lines: kept.into(), skipped })
    }
}

fn to_app_error(e: &bollard::errors::Error) -> AppError {
    match classify(e) {
        Failure::Refused { status: 404, message } => AppError::not_found("container_not_found", message),
        Failure::Refused { message, .. } | Failure::Other(message) => AppError::Docker(message),
        Failure::Unreachable(message) => AppError::DockerUnreachable(message),
    }
}

/// A token bucket over bytes.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket { tokens: BURST, at: Instant::now() }
    }

    fn take(&mut self, cost: usize) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE).min(BURST);
        self.at = now;
        if self.tokens < cost as f64 {
            return false;
        }
        self.tokens -= cost as f64;
        true
    }
}

/// The lines of one frame. Frames start where Docker's messages start, so with its timestamp.
fn lines_of(frame: LogOutput) -> Vec<LogLine> {
    let (stream, bytes) = match frame {
        LogOutput::StdErr { message } => (Output::Stderr, message),
        LogOutput::StdOut { message } | LogOutput::Console { message } => (Output::Stdout, message),
        LogOutput::StdIn { .. } => return Vec::new(),
    };
    let (ts, body) = split_timestamp(&bytes);
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    body.split(|b| *b == b'\n')
        .flat_map(|piece| piece.chunks(MAX_LINE))
        .map(|piece| LogLine { stream, ts: ts.clone(), text: clean(&String::from_utf8_lossy(piece)) })
        .collect()
}

/// Docker's `2026-12-02T03:00:00.123456789Z ` prefix, as RFC 3339 with nanoseconds, and the rest.
fn split_timestamp(bytes: &[u8]) -> (Option<String>, &[u8]) {
    let Some(space) = bytes.iter().take(40).position(|b| *b == b' ') else { return (None, bytes) };
    let parsed = std::str::from_utf8(&bytes[..space]).ok().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match parsed {
        Some(t) => {
            (Some(t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Nanos, true)), &bytes[space + 1..])
        }
        None => (None, bytes),
    }
}

/// The text without ANSI escape sequences (CSI such as colours and cursor moves, OSC such as
/// titles and links, the other ESC sequences, and their 8-bit C1 forms) and without any other
/// control character but the tab. A few lines instead of a terminal-emulator crate: what is
/// needed is only to know where a sequence ends.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // ESC, intermediate bytes, a final byte (`ESC ( B`)
                Some(' '..='/') => {
                    while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Parameter and intermediate bytes, then one final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.next_if(|c| ('\u{20}'..='\u{3f}').contains(c)).is_some() {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// Up to and with the string terminator: BEL, `ESC \` or ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_cursor_moves_titles_and_controls_go_tabs_and_text_stay() {
        assert_eq!(clean("\u{1b}[1;31mred\u{1b}[0m plain"), "red plain");
        assert_eq!(clean("a\u{1b}[2K\u{1b}[1Gb"), "ab");
        assert_eq!(clean("\u{1b}]0;title\u{7}x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\"), "xlink");
        assert_eq!(clean("\u{1b}(Bcharset\u{1b}=keypad"), "charsetkeypad");
        assert_eq!(clean("c1 \u{9b}32mgreen"), "c1 green");
        assert_eq!(clean("bell\u{7} back\u{8} cr\r nul\u{0} del\u{7f}\tend"), "bell back cr nul del\tend");
        assert_eq!(clean("<b>html</b> & ünïcødé ✓"), "<b>html</b> & ünïcødé ✓");
        // an unterminated sequence eats to the end, never past the text
        assert_eq!(clean("x\u{1b}[12"), "x");
        assert_eq!(clean("x\u{1b}]never ends"), "x");
        assert_eq!(clean("x\u{1b}"), "x");
    }

    #[test]
    fn a_frame_gives_its_lines_with_docker_timestamp_and_stream() {
        let frame = LogOutput::StdErr { message: b"2026-12-02T03:00:00.5Z oops\n".to_vec().into() };
        assert_eq!(
            lines_of(frame),
            vec![LogLine {
                stream: Output::Stderr,
                ts: Some("2026-12-02T03:00:00.500000000Z".into()),
                text: "oops".into()
            }]
        );
        // a TTY's console output, with its \r\n, counts as stdout
        let tty = LogOutput::Console {
            message: b"2026-12-02T03:00:01.123456789Z \x1b[32mok\x1b[0m\r\n".to_vec().into(),
        };
        let line = &lines_of(tty)[0];
        assert_eq!((line.stream, line.text.as_str()), (Output::Stdout, "ok"));
        assert_eq!(line.ts.as_deref(), Some("2026-12-02T03:00:01.123456789Z"));
        // no timestamp: the whole text, no time
        let bare = LogOutput::StdOut { message: b"not a time\n".to_vec().into() };
        assert_eq!(
            lines_of(bare)[0],
            LogLine { stream: Output::Stdout, ts: None, text: "not a time".into() }
        );
    }

    #[test]
    fn a_long_line_comes_in_pieces_of_at_most_max_line() {
        let mut text = b"2026-12-02T03:00:00Z ".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE * 2 + 5));
        let lines = lines_of(LogOutput::StdOut { message: text.into() });
        assert_eq!(lines.iter().map(|l| l.text.len()).collect::<Vec<_>>(), vec![MAX_LINE, MAX_LINE, 5]);
    }

    #[test]
    fn the_bucket_passes_its_burst_then_refuses() {
        let mut b = Bucket::new();
        assert!(b.take(BURST as usize / 2));
        assert!(b.take(BURST as usize / 2 - 1000));
        assert!(!b.take(100_000), "the burst is spent");
        b.at -= std::time::Duration::from_secs(1);
        assert!(b.take(RATE as usize - 10_000), "a second later a second's worth is back");
    }
}
