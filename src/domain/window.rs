//! Time windows (issue 15): "stopped from 23:00 to 07:00, Monday to Friday, Europe/Berlin" as one
//! rule. Pure maths on wall-clock times, no timers: whether an instant is inside, when the next
//! boundary comes, and the sentence for people. Daylight saving as in CRON.md: a boundary in the
//! spring-forward gap falls on the first instant after it, one that occurs twice on its first
//! occurrence.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use super::Action;
use crate::error::AppError;

/// The state a window keeps its container in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowState {
    Stopped,
    Paused,
}

impl WindowState {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowState::Stopped => "stopped",
            WindowState::Paused => "paused",
        }
    }

    /// What puts the container in this state at the window's start.
    pub fn action(self) -> Action {
        match self {
            WindowState::Stopped => Action::Stop,
            WindowState::Paused => Action::Pause,
        }
    }

    /// What undoes it at the end.
    pub fn undo(self) -> Action {
        match self {
            WindowState::Stopped => Action::Start,
            WindowState::Paused => Action::Unpause,
        }
    }

    /// Whether Docker's `state` is this state already.
    pub fn holds(self, state: &str) -> bool {
        match self {
            WindowState::Stopped => matches!(state, "exited" | "created" | "dead"),
            WindowState::Paused => state == "paused",
        }
    }
}

/// Days of the week, bit `n` for `n` days after Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days(u8);

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Days {
    pub const ALL: Days = Days(0x7f);

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// `Mon-Fri`, `Sat,Sun`, `Fri-Mon` (over the end of the week), `*` for every day; names are
    /// case-insensitive.
    pub fn parse(raw: &str) -> Result<Days, String> {
        let raw = raw.trim();
        if raw == "*" || raw.eq_ignore_ascii_case("daily") {
            return Ok(Days::ALL);
        }
        let day = |s: &str| {
            DAY_NAMES.iter().position(|d| d.eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
                format!("{:?} is not a day (Mon, Tue, … Sun)", crate::text::clip(s.trim(), 20))
            })
        };
        let mut bits = 0u8;
        for part in raw.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a)?, day(b)?);
                    let mut d = a;
                    loop {
                        bits |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => bits |= 1 << day(part)?,
            }
        }
        Ok(Days(bits))
    }

    /// The day-of-week field of a cron expression (0 = Sunday).
    fn cron_field(self) -> String {
        if self == Days::ALL {
            return "*".into();
        }
        let days: Vec<String> =
            (0..7u32).filter(|n| self.0 & (1 << ((n + 6) % 7)) != 0).map(|n| n.to_string()).collect();
        days.join(",")
    }
}

impl fmt::Display for Days {
    /// Runs of three or more days as a range (`Mon-Fri`), the rest listed (`Sat,Sun`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Days::ALL {
            return f.write_str("*");
        }
        let mut parts = Vec::new();
        let mut d = 0;
        while d < 7 {
            if self.0 & (1 << d) == 0 {
                d += 1;
                continue;
            }
            let start = d;
            while d + 1 < 7 && self.0 & (1 << (d + 1)) != 0 {
                d += 1;
            }
            match d - start {
                0 => parts.push(DAY_NAMES[start].to_string()),
                1 => parts.push(format!("{},{}", DAY_NAMES[start], DAY_NAMES[d])),
                _ => parts.push(format!("{}-{}", DAY_NAMES[start], DAY_NAMES[d])),
            }
            d += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// A time window: the container is kept `state` from `from` to `to` (wall clock, which may wrap
/// midnight) on each of `days` (the day a period starts). The zone is the schedule's. Stored as
/// its JSON (`store/columns.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Window {
    pub state: WindowState,
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub days: Days,
}

/// One period of a window, as instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A boundary of a window: when, and whether the window starts (`true`) or ends there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub starts: bool,
}

fn bad(field: &'static str, message: String) -> AppError {
    AppError::invalid("invalid_window", Some(field), message)
}

/// `HH:MM`, or `HH:MM:SS` (windows a few seconds long, in tests).
fn parse_time(raw: &str, field: &'static str) -> Result<NaiveTime, AppError> {
    let raw = raw.trim();
    let format = match raw.len() {
        5 => Some("%H:%M"),
        8 => Some("%H:%M:%S"),
        _ => None,
    };
    format.and_then(|f| NaiveTime::parse_from_str(raw, f).ok()).ok_or_else(|| {
        bad(field, format!("{field}: {:?} is not a time such as 23:00 (HH:MM)", crate::text::clip(raw, 20)))
    })
}

fn show_time(t: NaiveTime) -> String {
    if t.second() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

/// The instant a wall-clock time on `date` means in `tz` (CRON.md's rules for gaps and repeats).
fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        // in the gap: the first whole minute after it
        LocalResult::None => {
            let minute = local.with_second(0)?;
            (1..=180).find_map(|m| match tz.from_local_datetime(&(minute + Duration::minutes(m))) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
                LocalResult::None => None,
            })
        }
    }
}

impl Window {
    /// Reads API.md's `{state, from, to, days?}`; errors name `window.<field>`.
    pub fn parse(state: &str, from: &str, to: &str, days: Option<&str>) -> Result<Window, AppError> {
        let state = match state.trim() {
            "stopped" => WindowState::Stopped,
            "paused" => WindowState::Paused,
            other => {
                return Err(bad(
                    "window.state",
                    format!("window.state: {:?} is not one of stopped, paused", crate::text::clip(other, 20)),
                ))
            }
        };
        let from = parse_time(from, "window.from")?;
        let to = parse_time(to, "window.to")?;
        if from == to {
            return Err(bad(
                "window.to",
                format!("window.to: the window starts and ends at {}", show_time(to)),
            ));
        }
        let days = match days {
            None => Days::ALL,
            Some(raw) => Days::parse(raw).map_err(|e| bad("window.days", format!("window.days: {e}")))?,
        };
        Ok(Window { state, from, to, days })
    }

    /// The period that starts on `date`, if the window runs that day (empty periods, squeezed
    /// out by a daylight-saving gap, are none).
    fn period_on(&self, tz: Tz, date: NaiveDate) -> Option<Period> {
        if !self.days.contains(date.weekday()) {
            return None;
        }
        let end_date = if self.to > self.from { date } else { date.succ_opt()? };
        let period = Period { start: instant(tz, date, self.from)?, end: instant(tz, end_date, self.to)? };
        (period.start < period.end).then_some(period)
    }

    /// The periods starting from two days before `at`'s local date to `ahead` days after it.
    fn periods(&self, tz: Tz, at: DateTime<Utc>, ahead: i64) -> impl Iterator<Item = Period> + '_ {
        let today = at.with_timezone(&tz).date_naive();
        (-2..=ahead).filter_map(move |d| self.period_on(tz, today + Duration::days(d)))
    }

    /// The period `at` is inside, if any.
    pub fn current(&self, tz: Tz, at: DateTime<Utc>) -> Option<Period> {
        self.periods(tz, at, 0).find(|p| p.start <= at && at < p.end)
    }

    /// The boundaries strictly after `after`, in order.
    pub fn transitions(&self, tz: Tz, after: DateTime<Utc>, count: usize) -> Vec<Transition> {
        let mut out = Vec::new();
        let weeks = count.div_ceil(2).max(1) as i64;
        for p in self.periods(tz, after, 8 * weeks) {
            for (at, starts) in [(p.start, true), (p.end, false)] {
                if at > after && out.len() < count {
                    out.push(Transition { at, starts });
                }
            }
        }
        out
    }

    /// The first boundary after `after` (there is one within eight days).
    pub fn next_boundary(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.transitions(tz, after, 1).first().map(|t| t.at)
    }

    /// A cron expression (CRON.md) that fires when each period starts: a window's row keeps it
    /// in `cron_expression`, whose constraint wants a cron or a run_at; the WatchActor, not the
    /// SchedulerActor, acts on it.
    pub fn opening_cron(&self) -> String {
        let (h, m, s) = (self.from.hour(), self.from.minute(), self.from.second());
        let dow = self.days.cron_field();
        if s == 0 {
            format!("{m} {h} * * {dow}")
        } else {
            format!("{s} {m} {h} * * {dow}")
        }
    }

    /// The sentence for people: "stopped nightly 23:00–07:00", "paused 09:00–17:00 on Mon-Fri".
    pub fn describe(&self) -> String {
        let every_day = self.days == Days::ALL;
        let when = match (every_day, self.to < self.from) {
            (true, true) => " nightly".to_string(),
            (true, false) => " daily".to_string(),
            _ => String::new(),
        };
        let days = if every_day { String::new() } else { format!(" on {}", self.days) };
        format!("{}{when} {}–{}{days}", self.state.as_str(), show_time(self.from), show_time(self.to))
    }

    /// API.md's `window` object (with the schedule's zone).
    pub fn to_json(&self, timezone: &str) -> WindowJson {
        WindowJson {
            state: self.state,
            from: show_time(self.from),
            to: show_time(self.to),
            days: (self.days != Days::ALL).then(|| self.days.to_string()),
            timezone: timezone.to_string(),
        }
    }
}

/// A window as the API shows it, and as the database keeps it (without the zone, which is the
/// schedule's column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WindowJson {
    pub state: WindowState,
    #[schema(example = "23:00")]
    pub from: String,
    #[schema(example = "07:00")]
    pub to: String,
    /// The days a period starts on; `null` for every day.
    #[schema(example = "Mon-Fri")]
    pub days: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
}

impl WindowJson {
    pub fn to_window(&self) -> Result<Window, AppError> {
        Window::parse(self.state.as_str(), &self.from, &self.to, self.days.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn show(ts: &[Transition]) -> Vec<String> {
        ts.iter()
            .map(|t| format!("{}{}", if t.starts { "+" } else { "-" }, crate::time::rfc3339(&t.at)))
            .collect()
    }

    fn nightly() -> Window {
        Window::parse("stopped", "23:00", "07:00", None).unwrap()
    }

    #[test]
    fn a_window_over_midnight_is_inside_until_the_morning() {
        let tz: Tz = "UTC".parse().unwrap();
        let w = nightly();
        assert_eq!(w.current(tz, utc("2026-01-05T22:59:59Z")), None);
        let p = w.current(tz, utc("2026-01-05T23:00:00Z")).unwrap();
        assert_eq!((p.start, p.end), (utc("2026-01-05T23:00:00Z"), utc("2026-01-06T07:00:00Z")));
        assert_eq!(w.current(tz, utc("2026-01-06T03:00:00Z")), Some(p));
        assert_eq!(w.current(tz, utc("2026-01-06T07:00:00Z")), None, "the end is outside");
        assert_eq!(w.next_boundary(tz, utc("2026-01-06T03:00:00Z")), Some(utc("2026-01-06T07:00:00Z")));
        assert_eq!(w.next_boundary(tz, utc("2026-01-06T07:00:00Z")), Some(utc("2026-01-06T23:00:00Z")));
        assert_eq!(w.describe(), "stopped nightly 23:00–07:00");
        assert_eq!(w.opening_cron(), "0 23 * * *");
    }

    #[test]
    fn days_are_the_days_a_period_starts() {
        let tz: Tz = "UTC".parse().unwrap();
        let w = Window::parse("stopped", "23:00", "07:00", Some("mon-fri")).unwrap();
        // Friday 2026-01-09 23:00 runs into Saturday morning; Saturday night has none
        assert!(w.current(tz, utc("2026-01-10T06:00:00Z")).is_some());
        assert!(w.current(tz, utc("2026-01-10T23:30:00Z")).is_none());
        assert!(w.current(tz, utc("2026-01-11T23:30:00Z")).is_none(), "Sunday");
        assert!(w.current(tz, utc("2026-01-12T23:30:00Z")).is_some(), "Monday");
        assert_eq!(
            show(&w.transitions(tz, utc("2026-01-09T12:00:00Z"), 3)),
            ["+2026-01-09T23:00:00Z", "-2026-01-10T07:00:00Z", "+2026-01-12T23:00:00Z"]
        );
        assert_eq!(w.describe(), "stopped 23:00–07:00 on Mon-Fri");
        assert_eq!(w.opening_cron(), "0 23 * * 1,2,3,4,5");
    }

    #[test]
    fn days_parse_lists_ranges_and_ranges_over_the_weekend() {
        assert_eq!(Days::parse("Mon-Fri").unwrap().to_string(), "Mon-Fri");
        assert_eq!(Days::parse("sat,SUN").unwrap().to_string(), "Sat,Sun");
        assert_eq!(Days::parse("Fri-Mon").unwrap().to_string(), "Mon,Fri-Sun");
        assert_eq!(Days::parse("Wed").unwrap().to_string(), "Wed");
        assert_eq!(Days::parse("*").unwrap(), Days::ALL);
        assert_eq!(Days::parse("Mon-Sun").unwrap(), Days::ALL);
        assert!(Days::parse("Funday").unwrap_err().contains("Funday"));
        assert_eq!(Days::parse("Fri-Mon").unwrap().cron_field(), "0,1,5,6");
    }

    #[test]
    fn bad_windows_name_their_field() {
        let field = |r: Result<Window, AppError>| r.unwrap_err().field();
        assert_eq!(field(Window::parse("off", "23:00", "07:00", None)), Some("window.state"));
        assert_eq!(field(Window::parse("stopped", "24:00", "07:00", None)), Some("window.from"));
        assert_eq!(field(Window::parse("stopped", "23:00", "7", None)), Some("window.to"));
        assert_eq!(field(Window::parse("stopped", "23:00", "23:00", None)), Some("window.to"));
        assert_eq!(field(Window::parse("stopped", "23:00", "07:00", Some("x"))), Some("window.days"));
        let short = Window::parse("paused", "12:00:05", "12:00:10", None).unwrap();
        assert_eq!(short.opening_cron(), "5 0 12 * * *");
        assert_eq!(short.to_json("UTC").from, "12:00:05");
    }

    /// Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST) and falls back on
    /// 2026-10-25 (03:00 CEST → 02:00 CET).
    #[test]
    fn a_window_over_midnight_in_berlin_on_the_2026_transition_days() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let w = nightly();
        // the spring night is an hour shorter: 22:00 UTC to 05:00 UTC
        assert_eq!(
            show(&w.transitions(tz, utc("2026-03-28T12:00:00Z"), 2)),
            ["+2026-03-28T22:00:00Z", "-2026-03-29T05:00:00Z"]
        );
        // the autumn night an hour longer: 21:00 UTC (CEST) to 06:00 UTC (CET)
        assert_eq!(
            show(&w.transitions(tz, utc("2026-10-24T12:00:00Z"), 2)),
            ["+2026-10-24T21:00:00Z", "-2026-10-25T06:00:00Z"]
        );
        assert!(w.current(tz, utc("2026-10-25T05:59:59Z")).is_some());
        // a boundary in the gap is the first instant after it; one that happens twice, the first
        let gap = Window::parse("stopped", "02:30", "06:00", None).unwrap();
        assert_eq!(
            show(&gap.transitions(tz, utc("2026-03-28T12:00:00Z"), 2)),
            ["+2026-03-29T01:00:00Z", "-2026-03-29T04:00:00Z"]
        );
        let twice = Window::parse("paused", "01:00", "02:30", None).unwrap();
        assert_eq!(
            show(&twice.transitions(tz, utc("2026-10-24T12:00:00Z"), 2)),
            ["+2026-10-24T23:00:00Z", "-2026-10-25T00:30:00Z"]
        );
        // a window wholly inside the gap has no period that night
        let lost = Window::parse("stopped", "02:10", "02:50", None).unwrap();
        assert_eq!(
            show(&lost.transitions(tz, utc("2026-03-28T12:00:00Z"), 2)),
            ["+2026-03-30T00:10:00Z", "-2026-03-30T00:50:00Z"]
        );
    }
}
