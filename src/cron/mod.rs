//! The cron dialect of CRON.md: crond's five fields, an optional leading seconds field, crond's
//! macros, `@every` intervals, and crond's daylight-saving rules.
//!
//! croner does the calendar search, on naive wall-clock time. Everything where croner and crond
//! disagree is settled here: fields are parsed by [`field`] (for messages that name the field, 7 as
//! Sunday, `x-0` ranges, the `*`-prefix AND rule) and handed to croner in a numeric form; time zones
//! are applied by [`CronExpr::next_after`] itself, because croner's own rule for which schedules
//! fire twice in a repeated hour differs from crond's.

mod describe;
mod field;
#[cfg(test)]
mod tests;
pub mod when;

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use crate::text::clip;
use field::{Field, Kind};

/// Longest accepted expression, in characters.
pub const MAX_LEN: usize = 256;

/// `next_after` gives up past this many years; every accepted expression fires far more often.
const HORIZON_YEARS: i64 = 100;

/// Upper bound on wall-clock candidates examined by one `next_after`; each step of the walk
/// either returns or jumps past a daylight-saving change, so a handful is normal.
const MAX_WALK_STEPS: usize = 64;

/// Longest `@every` interval: one year.
const MAX_EVERY_SECS: i64 = 366 * 24 * 3600;

const FIELDS_HINT: &str = "minute hour day-of-month month day-of-week";

/// A parsed, validated expression (any of the accepted forms of CRON.md).
#[derive(Clone, Debug)]
pub struct CronExpr {
    text: String,
    schedule: Schedule,
}

#[derive(Clone, Debug)]
enum Schedule {
    /// `@every`: a fixed interval in seconds, anchored on the Unix epoch.
    Every(i64),
    Fields(Box<Fields>),
}

#[derive(Clone, Debug)]
struct Fields {
    seconds: Option<Field>,
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    dow: Field,
    /// crond: when either day field starts with `*`, a day must match both.
    and_days: bool,
    /// crond's fixed-time job: neither minute nor hour starts with `*`. It runs once in a
    /// repeated hour and is carried past a spring-forward gap; a wildcard job does neither.
    fixed_time: bool,
    cron: Cron,
}

impl CronExpr {
    /// Parse and validate; errors are `invalid_cron` naming the field at fault.
    pub fn parse(expr: &str) -> Result<CronExpr, CronError> {
        let text = expr.trim();
        let schedule = parse_schedule(text).map_err(invalid_cron)?;
        Ok(CronExpr { text: text.to_string(), schedule })
    }

    /// The expression as the user typed it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first fire instant strictly after `after`, wall-clock in `tz`, with CRON.md's DST
    /// rules; `None` when there is none within a century (or past the calendar's end).
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let next = match &self.schedule {
            Schedule::Every(secs) => {
                let slot = after.timestamp().div_euclid(*secs).checked_add(1)?;
                DateTime::from_timestamp(slot.checked_mul(*secs)?, 0)
            }
            Schedule::Fields(fields) => fields.next_after(tz, after),
        };
        // RFC 3339 has four-digit years.
        next.filter(|t| t.year() <= 9999)
    }

    /// Short English description: "At 03:00, Monday through Friday", "Every 30 seconds".
    pub fn describe(&self) -> String {
        match &self.schedule {
            Schedule::Every(secs) => describe::every(*secs),
            Schedule::Fields(f) => {
                describe::fields(f.seconds.as_ref(), &f.minute, &f.hour, &f.dom, &f.month, &f.dow, f.and_days)
            }
        }
    }

    /// The shortest time between two consecutive fire times, looking at the next few hundred
    /// runs after `from` (over at most eight days, which covers every day-of-week and day-boundary
    /// pattern of the fields): what `CHRONTAINER_MIN_INTERVAL` is checked against. `None` when it
    /// fires at most once.
    pub fn shortest_gap(&self, tz: Tz, from: DateTime<Utc>) -> Option<std::time::Duration> {
        if let Schedule::Every(secs) = &self.schedule {
            return Some(std::time::Duration::from_secs((*secs).unsigned_abs()));
        }
        let end = from + TimeDelta::days(8);
        let mut shortest: Option<TimeDelta> = None;
        let mut previous = self.next_after(tz, from)?;
        for _ in 0..500 {
            let Some(next) = self.next_after(tz, previous) else { break };
            let gap = next - previous;
            shortest = Some(shortest.map_or(gap, |s| s.min(gap)));
            if next > end || gap <= TimeDelta::seconds(1) {
                break;
            }
            previous = next;
        }
        shortest.and_then(|g| g.to_std().ok())
    }

    /// True when the first field is seconds (six-field form) or it is an `@every` below a minute.
    pub fn has_seconds(&self) -> bool {
        match &self.schedule {
            Schedule::Every(secs) => *secs < 60,
            Schedule::Fields(f) => f.seconds.is_some(),
        }
    }
}

/// The English description of `expr`, remembered: the dashboard describes every schedule on every
/// render and a parse costs tens of microseconds (croner fills a year table). Bounded: the memo is
/// emptied when it reaches 1,024 expressions.
pub fn describe_cached(expr: &str) -> Result<String, CronError> {
    static MEMO: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
        std::sync::OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    if let Some(found) = memo.lock().ok().and_then(|m| m.get(expr).cloned()) {
        return Ok(found);
    }
    let description = CronExpr::parse(expr)?.describe();
    if let Ok(mut m) = memo.lock() {
        if m.len() >= 1024 {
            m.clear();
        }
        m.insert(expr.to_string(), description.clone());
    }
    Ok(description)
}

/// Parse an IANA zone name (exact, or failing that case-insensitive: `europe/berlin`).
pub fn parse_timezone(name: &str) -> Result<Tz, CronError> {
    let trimmed = name.trim();
    let insensitive =
        || chrono_tz::TZ_VARIANTS.iter().copied().find(|tz| tz.name().eq_ignore_ascii_case(trimmed));
    Tz::from_str(trimmed).ok().or_else(insensitive).ok_or_else(|| {
        CronError::InvalidTimezone(format!(
            "timezone: \"{}\" is not an IANA time zone (e.g. Europe/Berlin)",
            clip(trimmed, 64)
        ))
    })
}

/// Why an expression or a zone was refused, in words for the user. The dialect knows nothing of
/// HTTP: `crate::error` maps these to 400 `invalid_cron` / `invalid_timezone`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("{0}")]
    InvalidCron(String),
    #[error("{0}")]
    InvalidTimezone(String),
}

impl CronError {
    /// API.md's error code.
    pub fn code(&self) -> &'static str {
        match self {
            CronError::InvalidCron(_) => "invalid_cron",
            CronError::InvalidTimezone(_) => "invalid_timezone",
        }
    }

    /// The schedule field at fault.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CronError::InvalidCron(_) => Some("cron"),
            CronError::InvalidTimezone(_) => Some("timezone"),
        }
    }
}

fn invalid_cron(message: String) -> CronError {
    CronError::InvalidCron(message)
}

fn parse_schedule(text: &str) -> Result<Schedule, String> {
    // Checked on bytes first so a huge input is refused before it is even scanned.
    if text.len() > 4 * MAX_LEN || text.chars().count() > MAX_LEN {
        return Err(format!("the expression is longer than {MAX_LEN} characters"));
    }
    if let Some(rest) = text.strip_prefix('@') {
        return parse_macro(rest);
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [m, h, dom, mon, dow] => parse_fields(None, m, h, dom, mon, dow),
        [s, m, h, dom, mon, dow] => parse_fields(Some(s), m, h, dom, mon, dow),
        _ => Err(format!("expected 5 fields ({FIELDS_HINT}), got {}", parts.len())),
    }
}

/// crond's macros, expanded as crond does; `@every` intervals.
fn parse_macro(rest: &str) -> Result<Schedule, String> {
    let mut words = rest.split_whitespace();
    let word = words.next().unwrap_or_default().to_ascii_lowercase();
    let argument: Vec<&str> = words.collect();
    if word == "every" {
        return match argument.as_slice() {
            [interval] => parse_every(interval).map(Schedule::Every),
            [] => Err("@every needs an interval, e.g. @every 5m or @every 1h30m".into()),
            _ => Err("@every takes one interval without spaces, e.g. @every 1h30m".into()),
        };
    }
    let expansion = match word.as_str() {
        "yearly" | "annually" => "0 0 1 1 *",
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 0",
        "daily" | "midnight" => "0 0 * * *",
        "hourly" => "0 * * * *",
        "reboot" => return Err("@reboot is not supported: a schedule needs a time".into()),
        _ => {
            return Err(format!(
                "\"@{}\" is not a known macro (use @yearly, @annually, @monthly, @weekly, @daily, \
                 @midnight, @hourly or @every <interval>)",
                clip(&word, 24)
            ))
        }
    };
    if !argument.is_empty() {
        return Err(format!("@{word} takes nothing after it"));
    }
    parse_schedule(expansion)
}

/// `30s`, `5m`, `1h30m`, `90s`: whole numbers with `h`, `m` or `s`, at least one second.
fn parse_every(text: &str) -> Result<i64, String> {
    let bad = || format!("@every: \"{}\" is not an interval like 30s, 5m or 1h30m", clip(text, 24));
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            if number.len() >= 9 {
                return Err(format!("@every: interval {} is longer than 8784h", clip(text, 24)));
            }
            number.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = total.saturating_add(n.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(bad());
    }
    if total < 1 {
        return Err("@every: the interval must be at least 1s".into());
    }
    if total > MAX_EVERY_SECS {
        return Err(format!("@every: interval {} is longer than 8784h", clip(text, 24)));
    }
    Ok(total)
}

fn parse_fields(
    seconds: Option<&str>,
    minute: &str,
    hour: &str,
    dom: &str,
    month: &str,
    dow: &str,
) -> Result<Schedule, String> {
    let seconds = seconds.map(|s| Field::parse(Kind::Second, s)).transpose()?;
    let minute = Field::parse(Kind::Minute, minute)?;
    let hour = Field::parse(Kind::Hour, hour)?;
    let dom = Field::parse(Kind::DayOfMonth, dom)?;
    let month = Field::parse(Kind::Month, month)?;
    let dow = Field::parse(Kind::DayOfWeek, dow)?;
    let and_days = dom.star || dow.star;
    let fixed_time = !minute.star && !hour.star;
    let plain_days_exist = check_days_exist(&dom, &month, &dow, and_days)?;

    let second_text = seconds.as_ref().map_or_else(|| "0".to_string(), Field::croner_text);
    let croner_text = format!(
        "{second_text} {} {} {} {} {}",
        minute.croner_text(),
        hour.croner_text(),
        dom.croner_text(),
        month.croner_text(),
        dow.croner_text()
    );
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Disallowed)
        .dom_and_dow(and_days)
        .build()
        .parse(&croner_text)
        // Every field was validated above, so this is our bug, not the user's; say so plainly.
        .map_err(|e| format!("the expression cannot be used ({e})"))?;

    if !plain_days_exist {
        check_some_date_matches(&cron, &month)?;
    }
    let fields = Fields { seconds, minute, hour, dom, month, dow, and_days, fixed_time, cron };
    Ok(Schedule::Fields(Box::new(fields)))
}

impl Fields {
    fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = wall_clock(tz, after)?;
        let horizon =
            local.checked_add_signed(TimeDelta::days(366 * HORIZON_YEARS)).unwrap_or(NaiveDateTime::MAX);
        let ahead = self.walk(tz, after, local, horizon);
        let other_half = if self.fixed_time { None } else { self.later_half_of_fold(tz, after, local) };
        match (ahead, other_half) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Walks matching wall-clock times from `local` on and maps each to real instants: once for a
    /// time that exists once; the first occurrence of a repeated time (and, for a wildcard job,
    /// the second too); for a skipped time, the first instant after the gap if it is a fixed-time
    /// job. Returns the earliest mapped instant after `after` on this walk.
    fn walk(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        local: NaiveDateTime,
        horizon: NaiveDateTime,
    ) -> Option<DateTime<Utc>> {
        let mut cursor = local;
        let mut inclusive = true;
        // A second occurrence found in a repeated hour: a later wall-clock time may still map
        // to an earlier instant (its first occurrence), so it waits for the next candidate.
        let mut second_pass: Option<DateTime<Utc>> = None;
        for _ in 0..MAX_WALK_STEPS {
            let Some(wall) =
                self.cron.find_next_occurrence(&cursor, inclusive).ok().filter(|w| *w <= horizon)
            else {
                return second_pass;
            };
            inclusive = false;
            cursor = wall;
            let found = match tz.from_local_datetime(&wall) {
                chrono::LocalResult::Single(t) => Some(t.to_utc()).filter(|t| *t > after),
                chrono::LocalResult::Ambiguous(first, second) => {
                    let (first, second) = (first.to_utc(), second.to_utc());
                    if first > after {
                        Some(first)
                    } else if self.fixed_time {
                        // Already in the second pass of the repeated hour, where a fixed-time
                        // job never runs: jump to its end instead of stepping through it.
                        (cursor, inclusive) = (fold_bounds(tz, first, second).1, true);
                        None
                    } else if second_pass.is_some() {
                        // Both passes of this time are behind the one already found.
                        return second_pass;
                    } else {
                        second_pass = Some(second).filter(|t| *t > after);
                        None
                    }
                }
                chrono::LocalResult::None => {
                    let resumed = first_instant_at_or_after(tz, wall);
                    (cursor, inclusive) = (wall_clock(tz, resumed).unwrap_or(wall), true);
                    Some(resumed).filter(|t| self.fixed_time && *t > after)
                }
            };
            if let Some(t) = found {
                return Some(second_pass.map_or(t, |s| s.min(t)));
            }
        }
        second_pass
    }

    /// When `after` lies in the first pass of a repeated hour, the wall-clock walk has already
    /// passed the start of the second pass; for a wildcard job that second pass still lies
    /// ahead, so its first matching time is a candidate too.
    fn later_half_of_fold(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        local: NaiveDateTime,
    ) -> Option<DateTime<Utc>> {
        let chrono::LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&local) else {
            return None;
        };
        let (first, second) = (first.to_utc(), second.to_utc());
        if after >= second {
            return None;
        }
        let (start, end) = fold_bounds(tz, first, second);
        let wall = self.cron.find_next_occurrence(&start, true).ok()?;
        if wall >= end {
            return None;
        }
        match tz.from_local_datetime(&wall) {
            chrono::LocalResult::Ambiguous(_, later) => Some(later.to_utc()).filter(|t| *t > after),
            _ => None,
        }
    }
}

/// Rejects day and month combinations that match no date at all (`0 0 30 2 *`), which would
/// otherwise send every search to its limit. Decided without croner where the fields are plain.
fn check_days_exist(dom: &Field, month: &Field, dow: &Field, and_days: bool) -> Result<bool, String> {
    if !dom.specials.is_empty() || !dow.specials.is_empty() {
        return Ok(false);
    }
    if !and_days {
        // Either field alone is enough, and every month has every weekday.
        return Ok(true);
    }
    // Every day of a month falls on every weekday in some year, so only the day-month pairs
    // matter (29 February included: leap days also cycle through the week).
    let fits = month.values().any(|m| dom.values().any(|d| u32::from(d) <= max_days_in_month(u32::from(m))));
    if fits {
        return Ok(true);
    }
    let months: Vec<u8> = month.values().collect();
    let days: Vec<String> = dom.values().map(|d| d.to_string()).collect();
    Err(format!(
        "this schedule can never fire: {} {} no day {}",
        describe::month_list(&months),
        if months.len() == 1 { "has" } else { "have" },
        describe::join_or(&days),
    ))
}

/// For `L`, `W` and `#`: tries every date of 2001-2028, whose 28 years hold every combination of
/// leap year and weekday of 1 January, so no match there means no match ever.
fn check_some_date_matches(cron: &Cron, month: &Field) -> Result<(), String> {
    for year in 2001..=2028 {
        for m in month.values().map(u32::from) {
            let Some(first) = NaiveDate::from_ymd_opt(year, m, 1) else { continue };
            let first_weekday = first.weekday().num_days_from_sunday();
            let days = first.iter_days().take_while(|d| d.month() == m).count() as u32;
            for day in 1..=days {
                let weekday = croner::Weekday::from_days_from_sunday(first_weekday + day - 1);
                if cron.pattern.day_match(year, m, day, weekday).unwrap_or(false) {
                    return Ok(());
                }
            }
        }
    }
    Err("this schedule can never fire: no date matches its day and month fields".into())
}

/// February counts 29: a day-month pair is possible if it exists in some year.
fn max_days_in_month(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The wall-clock time in `tz` at `t`; `None` past the ends of chrono's calendar, where
/// `naive_local` would panic.
fn wall_clock(tz: Tz, t: DateTime<Utc>) -> Option<NaiveDateTime> {
    t.naive_utc().checked_add_offset(tz.offset_from_utc_datetime(&t.naive_utc()).fix())
}

fn offset_secs(tz: Tz, t: i64) -> i64 {
    DateTime::from_timestamp(t, 0)
        .map(|t| i64::from(tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()))
        .unwrap_or(0)
}

/// The repeated wall-clock range that contains the two instants `first` and `second` of one
/// wall-clock time, as [start, end) in wall-clock time.
fn fold_bounds(tz: Tz, first: DateTime<Utc>, second: DateTime<Utc>) -> (NaiveDateTime, NaiveDateTime) {
    let later_offset = offset_secs(tz, second.timestamp());
    // Bisect for the moment the clock went back: the first second with the later offset.
    let (mut lo, mut hi) = (first.timestamp(), second.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_secs(tz, mid) == later_offset {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let change = DateTime::from_timestamp(hi, 0).unwrap_or(second);
    let start = wall_clock(tz, change).unwrap_or_else(|| second.naive_utc());
    (start, start.checked_add_signed(second - first).unwrap_or(start))
}

/// The first instant whose wall-clock time is at or past `wall`: for a time skipped by a
/// spring-forward gap, the instant the gap ends.
fn first_instant_at_or_after(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let as_utc = wall.and_utc().timestamp();
    // Offsets lie within -12h..+14h, so the change lies within this window around `wall`.
    let (mut lo, mut hi) = (as_utc - 15 * 3600, as_utc + 13 * 3600);
    let wall_at = |t: i64| t + offset_secs(tz, t);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wall_at(mid) >= as_utc {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| wall.and_utc())
}
