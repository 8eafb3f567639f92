//! How the pages show times, durations, images and query strings. `static/app.js` repeats
//! [`relative`] so that what the server rendered and what the script updates read the same.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::RunStatus;

/// One instant as the pages show it: machine-readable for `<time>` and the script, absolute with
/// its zone named, short for lists, and relative to the time of rendering.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimeView {
    /// RFC 3339 UTC, for `<time datetime>` and `data-rel`.
    pub iso: String,
    /// `Mon 5 Jan 2026, 03:00 (Europe/Lisbon)`.
    pub abs: String,
    /// `03:00` today, `Tue 03:00` within a week, else `5 Jan 03:00`.
    pub short: String,
    /// `in 4 h 12 min`, `3 min ago`.
    pub rel: String,
}

impl TimeView {
    pub fn new(t: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> TimeView {
        let local = t.with_timezone(&tz);
        let today = now.with_timezone(&tz).date_naive();
        let days = (local.date_naive() - today).num_days();
        let short = if days == 0 {
            local.format("%H:%M").to_string()
        } else if (-6..=6).contains(&days) {
            local.format("%a %H:%M").to_string()
        } else {
            local.format("%-d %b %H:%M").to_string()
        };
        TimeView {
            iso: crate::time::rfc3339(&t),
            abs: format!("{} ({})", local.format("%a %-d %b %Y, %H:%M"), tz.name()),
            short,
            rel: relative(t, now),
        }
    }
}

/// `in 4 h 12 min`, `3 min ago`, `in less than a minute`, `just now`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = t - now;
    if d.num_seconds().abs() < 60 {
        return if d.num_seconds() >= 0 { "in less than a minute".into() } else { "just now".into() };
    }
    if d > Duration::zero() {
        format!("in {}", span(d))
    } else {
        format!("{} ago", span(-d))
    }
}

/// A length of time in at most two units: `3 d 4 h`, `4 h 12 min`, `12 min`, `45 s`.
pub fn span(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let (days, hours, mins) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// How long an action took: `340 ms`, `1.2 s`, `2 min 5 s`.
pub fn duration_ms(ms: i64) -> String {
    match ms {
        ..=999 => format!("{} ms", ms.max(0)),
        1000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// The image without registry host, `library/` and digest: `ghcr.io/linuxserver/nextcloud:28@sha256:…`
/// → `linuxserver/nextcloud:28`. An image known only by its ID shows 12 hex digits.
pub fn short_image(image: &str) -> String {
    if let Some(hex) = image.strip_prefix("sha256:") {
        return hex.chars().take(12).collect();
    }
    let image = image.split('@').next().unwrap_or(image);
    let image = match image.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => image,
    };
    image.strip_prefix("library/").unwrap_or(image).to_string()
}

/// `Restart` from `restart`.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The description's first letter in lower case (`At 03:00` → `at 03:00`), so that it continues
/// a sentence; an acronym at the start (`UTC …`) is left alone.
pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect()
        }
        _ => s.to_string(),
    }
}

/// True when every whitespace-separated term of `query` occurs in `haystack` (already lower case).
/// `dashboard.js` filters with the same rule.
pub fn matches(haystack: &str, query: &str) -> bool {
    query.split_whitespace().all(|term| haystack.contains(&term.to_lowercase()))
}

/// A query string from pairs, skipping empty values: `?container=web&status=error`.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> =
        pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encoding for a query value (everything but unreserved characters).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A badge for a log entry's or a schedule's last status: its colour class and its words.
/// `None`: a schedule that has not run yet.
pub fn run_status(status: Option<RunStatus>) -> (&'static str, String) {
    match status {
        Some(RunStatus::Success) => ("ok", "Success".into()),
        Some(RunStatus::Error) => ("bad", "Failed".into()),
        Some(RunStatus::Skipped) => ("off", "Skipped".into()),
        Some(RunStatus::Missed) => ("warn", "Missed".into()),
        Some(RunStatus::GaveUp) => ("bad", "Gave up".into()),
        None => ("off", String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, d, h, m, 0).unwrap()
    }

    #[test]
    fn relative_times_read_like_speech() {
        let now = t(5, 22, 48);
        assert_eq!(relative(t(6, 3, 0), now), "in 4 h 12 min");
        assert_eq!(relative(t(5, 22, 45), now), "3 min ago");
        assert_eq!(relative(now + Duration::seconds(20), now), "in less than a minute");
        assert_eq!(relative(now - Duration::seconds(20), now), "just now");
        assert_eq!(relative(t(8, 23, 0), now), "in 3 d");
        assert_eq!(relative(t(9, 1, 0), now), "in 3 d 2 h");
        assert_eq!(span(Duration::hours(2)), "2 h");
    }

    #[test]
    fn times_name_their_zone_and_shorten_near_now() {
        let now = t(5, 12, 0);
        let v = TimeView::new(t(5, 18, 0), chrono_tz::Europe::Berlin, now);
        assert_eq!(v.iso, "2026-01-05T18:00:00Z");
        assert_eq!(v.abs, "Mon 5 Jan 2026, 19:00 (Europe/Berlin)");
        assert_eq!(v.short, "19:00");
        assert_eq!(TimeView::new(t(6, 2, 0), chrono_tz::Europe::Berlin, now).short, "Tue 03:00");
        assert_eq!(TimeView::new(t(20, 2, 0), chrono_tz::UTC, now).short, "20 Jan 02:00");
    }

    #[test]
    fn durations_and_images_are_short() {
        assert_eq!(duration_ms(340), "340 ms");
        assert_eq!(duration_ms(1234), "1.2 s");
        assert_eq!(duration_ms(125_000), "2 min 5 s");
        assert_eq!(short_image("ghcr.io/linuxserver/nextcloud:28@sha256:abc"), "linuxserver/nextcloud:28");
        assert_eq!(short_image("docker.io/library/nginx:1.27"), "nginx:1.27");
        assert_eq!(short_image("localhost:5000/app"), "app");
        assert_eq!(short_image("postgres:16"), "postgres:16");
        assert_eq!(short_image("sha256:0123456789abcdef0123"), "0123456789ab");
    }

    #[test]
    fn sentences_and_filters() {
        assert_eq!(capitalize("restart"), "Restart");
        assert_eq!(lower_first("At 03:00, Monday through Friday"), "at 03:00, Monday through Friday");
        assert_eq!(lower_first("UTC midnight"), "UTC midnight");
        assert!(matches("nextcloud linuxserver/nextcloud running", "Next RUN"));
        assert!(!matches("nextcloud", "next db"));
        assert!(matches("anything", "  "));
        assert_eq!(query_string(&[("container", "a b&c"), ("status", "")]), "?container=a%20b%26c");
        assert_eq!(query_string(&[("status", "")]), "");
    }
}
