//! Expected instants come from crontab(5) / crond semantics and the calendar, worked out by hand
//! (weekdays and DST transitions checked against the 2026 calendar), not from this code.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;
use chrono_tz::UTC;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn expr(text: &str) -> CronExpr {
    CronExpr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The next `n` fire times, formatted like the API.
fn next_n(text: &str, tz: Tz, from: &str, n: usize) -> Vec<String> {
    let e = expr(text);
    let mut t = utc(from);
    let mut out = Vec::new();
    for _ in 0..n {
        match e.next_after(tz, t) {
            Some(next) => {
                assert!(next > t, "{text}: {next} is not after {t}");
                out.push(next.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                t = next;
            }
            None => break,
        }
    }
    out
}

fn error(text: &str) -> String {
    let e = CronExpr::parse(text).expect_err(text);
    assert_eq!(e.code(), "invalid_cron", "{text}");
    assert_eq!(e.field(), Some("cron"), "{text}");
    e.to_string()
}

// ---- the fields -------------------------------------------------------------------------------

#[test]
fn monday_at_three_in_utc() {
    assert_eq!(
        next_n("0 3 * * 1", UTC, "2026-01-01T00:00:00Z", 3),
        ["2026-01-05T03:00:00Z", "2026-01-12T03:00:00Z", "2026-01-19T03:00:00Z"]
    );
}

#[test]
fn zero_and_seven_are_both_sunday() {
    let sundays = ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"];
    assert_eq!(next_n("0 0 * * 0", UTC, "2026-01-01T00:00:00Z", 2), sundays);
    assert_eq!(next_n("0 0 * * 7", UTC, "2026-01-01T00:00:00Z", 2), sundays);
    assert_eq!(next_n("0 0 * * sun", UTC, "2026-01-01T00:00:00Z", 2), sundays);
}

#[test]
fn one_to_five_is_monday_to_friday() {
    // 2026-01-01 is a Thursday.
    assert_eq!(
        next_n("0 0 * * 1-5", UTC, "2026-01-01T00:00:00Z", 4),
        ["2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"]
    );
    assert_eq!(
        next_n("0 0 * * MON-FRI", UTC, "2026-01-01T00:00:00Z", 4),
        next_n("0 0 * * 1-5", UTC, "2026-01-01T00:00:00Z", 4)
    );
}

#[test]
fn weekend_ranges_run_to_sunday() {
    let fri_to_sun =
        ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"];
    for text in ["0 0 * * 5-7", "0 0 * * 5-0", "0 0 * * FRI-SUN", "0 0 * * fri-Sun", "0 0 * * 5,6,0"] {
        assert_eq!(next_n(text, UTC, "2026-01-01T00:00:00Z", 4), fri_to_sun, "{text}");
    }
}

#[test]
fn names_are_case_insensitive() {
    let a = next_n("0 0 1 jan,Jul * ", UTC, "2026-01-01T00:00:00Z", 3);
    assert_eq!(a, ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"]);
    assert_eq!(next_n("0 0 1 JAN,JUL *", UTC, "2026-01-01T00:00:00Z", 3), a);
}

#[test]
fn restricted_day_fields_are_ored() {
    // crontab(5): "30 4 1,15 * 5" runs on the 1st, the 15th and every Friday. 2026-01-13 is a
    // Tuesday, 2026-02-13 a Friday.
    assert_eq!(
        next_n("0 0 13 * 5", UTC, "2026-01-01T00:00:00Z", 6),
        [
            "2026-01-02T00:00:00Z",
            "2026-01-09T00:00:00Z",
            "2026-01-13T00:00:00Z",
            "2026-01-16T00:00:00Z",
            "2026-01-23T00:00:00Z",
            "2026-01-30T00:00:00Z",
        ]
    );
    assert_eq!(
        next_n("30 4 1,15 * 5", UTC, "2026-01-01T00:00:00Z", 4),
        ["2026-01-01T04:30:00Z", "2026-01-02T04:30:00Z", "2026-01-09T04:30:00Z", "2026-01-15T04:30:00Z"]
    );
}

#[test]
fn a_star_prefixed_day_field_ands() {
    // Mondays that fall on an odd day of the month: 5 and 19 January, 9 and 23 February 2026.
    assert_eq!(
        next_n("0 3 */2 * 1", UTC, "2026-01-01T00:00:00Z", 4),
        ["2026-01-05T03:00:00Z", "2026-01-19T03:00:00Z", "2026-02-09T03:00:00Z", "2026-02-23T03:00:00Z"]
    );
    // */7 in day-of-week is {0, 7}: Sunday, and ANDed: the first Sunday of each month.
    assert_eq!(
        next_n("0 0 1-7 * */7", UTC, "2026-01-01T00:00:00Z", 3),
        ["2026-01-04T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]
    );
    // A plain * on one side leaves the other side alone.
    assert_eq!(
        next_n("0 0 13 * *", UTC, "2026-01-01T00:00:00Z", 2),
        ["2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"]
    );
}

#[test]
fn or_with_a_full_field_matches_every_day() {
    // crond ORs "1-31" with "1": every day.
    assert_eq!(
        next_n("0 0 1-31 * 1", UTC, "2026-01-01T00:00:00Z", 2),
        ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]
    );
}

#[test]
fn steps_ranges_and_lists() {
    assert_eq!(
        next_n("10-40/15,59 * * * *", UTC, "2026-01-01T00:00:00Z", 5),
        [
            "2026-01-01T00:10:00Z",
            "2026-01-01T00:25:00Z",
            "2026-01-01T00:40:00Z",
            "2026-01-01T00:59:00Z",
            "2026-01-01T01:10:00Z"
        ]
    );
    assert_eq!(
        next_n("0 */6 * * *", UTC, "2026-01-01T00:00:00Z", 2),
        ["2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z"]
    );
}

#[test]
fn six_fields_have_seconds_first() {
    assert_eq!(
        next_n("*/15 * * * * *", UTC, "2026-01-01T10:00:00Z", 3),
        ["2026-01-01T10:00:15Z", "2026-01-01T10:00:30Z", "2026-01-01T10:00:45Z"]
    );
    assert_eq!(next_n("30 0 3 * * *", UTC, "2026-01-01T00:00:00Z", 1), ["2026-01-01T03:00:30Z"]);
    assert!(expr("*/15 * * * * *").has_seconds());
    // Five fields are never read as seconds.
    assert_eq!(next_n("*/15 * * * *", UTC, "2026-01-01T10:00:00Z", 1), ["2026-01-01T10:15:00Z"]);
    assert!(!expr("*/15 * * * *").has_seconds());
}

#[test]
fn macros_expand_as_crond_does() {
    let from = "2026-01-01T00:00:00Z"; // a Thursday
    assert_eq!(next_n("@yearly", UTC, from, 1), ["2027-01-01T00:00:00Z"]);
    assert_eq!(next_n("@annually", UTC, from, 1), ["2027-01-01T00:00:00Z"]);
    assert_eq!(next_n("@monthly", UTC, from, 1), ["2026-02-01T00:00:00Z"]);
    assert_eq!(next_n("@weekly", UTC, from, 2), ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]);
    assert_eq!(next_n("@daily", UTC, from, 1), ["2026-01-02T00:00:00Z"]);
    assert_eq!(next_n("@midnight", UTC, from, 1), ["2026-01-02T00:00:00Z"]);
    assert_eq!(next_n("@hourly", UTC, from, 2), ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]);
    assert_eq!(next_n("@DAILY", UTC, from, 1), ["2026-01-02T00:00:00Z"]);
    assert_eq!(expr(" @weekly ").as_str(), "@weekly");
    // Macros follow the zone like the fields they stand for.
    assert_eq!(next_n("@daily", Berlin, from, 1), ["2026-01-01T23:00:00Z"]);
}

#[test]
fn every_is_anchored_on_the_unix_epoch() {
    assert_eq!(
        next_n("@every 15m", UTC, "2026-01-01T10:07:00Z", 3),
        ["2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z"]
    );
    assert_eq!(next_n("@every 15m", UTC, "2026-01-01T10:15:00Z", 1), ["2026-01-01T10:30:00Z"]);
    // 2026-01-01T00:00Z is 1767225600 s, 360 s past a multiple of 660 s.
    assert_eq!(
        next_n("@every 11m", UTC, "2026-01-01T00:00:00Z", 2),
        ["2026-01-01T00:05:00Z", "2026-01-01T00:16:00Z"]
    );
    assert_eq!(
        next_n("@every 30s", UTC, "2026-01-01T10:00:10Z", 2),
        ["2026-01-01T10:00:30Z", "2026-01-01T10:01:00Z"]
    );
    assert_eq!(
        next_n("@every 1h30m", UTC, "2026-01-01T00:00:00Z", 2),
        ["2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"]
    );
    assert_eq!(next_n("@every 1s", UTC, "2026-01-01T00:00:00.5Z", 1), ["2026-01-01T00:00:01Z"]);
    // The zone does not move an interval, not even across a DST change.
    assert_eq!(
        next_n("@every 1h", Berlin, "2026-03-29T00:30:00Z", 3),
        ["2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", "2026-03-29T03:00:00Z"]
    );
    assert!(expr("@every 30s").has_seconds());
    assert!(!expr("@every 1m").has_seconds());
    assert!(!expr("@every 2h").has_seconds());
}

#[test]
fn l_w_and_hash_extension() {
    let from = "2026-01-01T00:00:00Z";
    assert_eq!(next_n("0 0 L * *", UTC, from, 2), ["2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z"]);
    // 31 January 2026 is a Saturday.
    assert_eq!(next_n("0 0 LW * *", UTC, from, 1), ["2026-01-30T00:00:00Z"]);
    // 15 February 2026 is a Sunday.
    assert_eq!(next_n("0 0 15W * *", UTC, from, 2), ["2026-01-15T00:00:00Z", "2026-02-16T00:00:00Z"]);
    assert_eq!(next_n("0 0 * * 5L", UTC, from, 2), ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z"]);
    assert_eq!(next_n("0 0 * * FRI#L", UTC, from, 1), ["2026-01-30T00:00:00Z"]);
    assert_eq!(next_n("0 0 * * mon#2", UTC, from, 2), ["2026-01-12T00:00:00Z", "2026-02-09T00:00:00Z"]);
    // The fifth Monday of February needs a leap year starting on a Monday: 2044.
    assert_eq!(next_n("0 0 * 2 1#5", UTC, from, 1), ["2044-02-29T00:00:00Z"]);
}

// ---- daylight saving --------------------------------------------------------------------------

#[test]
fn berlin_spring_forward_fixed_times() {
    // 2026-03-29 02:00 CET becomes 03:00 CEST (01:00Z); 02:00-02:59 never happens.
    assert_eq!(
        next_n("30 2 * * *", Berlin, "2026-03-28T12:00:00Z", 2),
        ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
    );
    // Two skipped times still fire once, and a real 03:00 run is the same run, not a second one.
    assert_eq!(
        next_n("0,30 2 * * *", Berlin, "2026-03-28T12:00:00Z", 2),
        ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"]
    );
    assert_eq!(
        next_n("0 2,3 * * *", Berlin, "2026-03-28T12:00:00Z", 3),
        ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"]
    );
    // A list of hours is still a fixed time for crond: 02:30 is carried past the gap.
    assert_eq!(
        next_n("30 1,2 * * *", Berlin, "2026-03-28T12:00:00Z", 3),
        ["2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T23:30:00Z"]
    );
    // A fixed time after the gap is untouched.
    assert_eq!(next_n("0 4 * * *", Berlin, "2026-03-28T12:00:00Z", 1), ["2026-03-29T02:00:00Z"]);
}

#[test]
fn berlin_spring_forward_wildcards() {
    assert_eq!(
        next_n("*/30 * * * *", Berlin, "2026-03-29T00:00:00Z", 4),
        ["2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"]
    );
    // A wildcard job skips what does not exist (crond runs it again within the hour anyway).
    assert_eq!(
        next_n("30 * * * *", Berlin, "2026-03-29T00:00:00Z", 2),
        ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"]
    );
    // The local day has 23 hours: 46 half hours.
    assert_eq!(fires_between("*/30 * * * *", Berlin, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"), 46);
}

#[test]
fn berlin_fall_back_fixed_times() {
    // 2026-10-25 03:00 CEST becomes 02:00 CET (01:00Z); 02:00-02:59 happens twice.
    assert_eq!(
        next_n("30 2 * * *", Berlin, "2026-10-24T12:00:00Z", 2),
        ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
    );
    // From inside the repeated hour, in its first and in its second pass.
    assert_eq!(next_n("30 2 * * *", Berlin, "2026-10-25T00:45:00Z", 1), ["2026-10-26T01:30:00Z"]);
    assert_eq!(next_n("30 2 * * *", Berlin, "2026-10-25T01:10:00Z", 1), ["2026-10-26T01:30:00Z"]);
    assert_eq!(next_n("30 2 * * *", Berlin, "2026-10-25T00:10:00Z", 1), ["2026-10-25T00:30:00Z"]);
    // A list of hours is a fixed time too: 02:00 once, then 03:00 CET.
    assert_eq!(
        next_n("0 2,3 * * *", Berlin, "2026-10-24T23:00:00Z", 3),
        ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-26T01:00:00Z"]
    );
}

#[test]
fn berlin_fall_back_wildcards() {
    // CRON.md: */30 fires at 02:00 and 02:30 CEST and again at 02:00 and 02:30 CET.
    assert_eq!(
        next_n("*/30 * * * *", Berlin, "2026-10-24T23:45:00Z", 5),
        [
            "2026-10-25T00:00:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T01:30:00Z",
            "2026-10-25T02:00:00Z"
        ]
    );
    // Starting inside the first pass, the second pass is still ahead.
    assert_eq!(next_n("*/30 * * * *", Berlin, "2026-10-25T00:40:00Z", 1), ["2026-10-25T01:00:00Z"]);
    assert_eq!(next_n("*/30 * * * *", Berlin, "2026-10-25T00:10:00Z", 1), ["2026-10-25T00:30:00Z"]);
    assert_eq!(next_n("*/30 * * * *", Berlin, "2026-10-25T01:10:00Z", 1), ["2026-10-25T01:30:00Z"]);
    assert_eq!(
        next_n("15 * * * *", Berlin, "2026-10-24T23:30:00Z", 3),
        ["2026-10-25T00:15:00Z", "2026-10-25T01:15:00Z", "2026-10-25T02:15:00Z"]
    );
    // The local day has 25 hours: 50 half hours.
    assert_eq!(fires_between("*/30 * * * *", Berlin, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"), 50);
    assert_eq!(fires_between("30 2 * * *", Berlin, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"), 1);
}

#[test]
fn new_york_2026_both_directions() {
    // Spring: 2026-03-08 02:00 EST becomes 03:00 EDT (07:00Z).
    assert_eq!(
        next_n("30 2 * * *", New_York, "2026-03-07T12:00:00Z", 2),
        ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]
    );
    assert_eq!(
        next_n("*/30 * * * *", New_York, "2026-03-08T06:15:00Z", 3),
        ["2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"]
    );
    // Fall: 2026-11-01 02:00 EDT becomes 01:00 EST (06:00Z); 01:00-01:59 happens twice.
    assert_eq!(
        next_n("30 1 * * *", New_York, "2026-10-31T12:00:00Z", 2),
        ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]
    );
    assert_eq!(
        next_n("*/30 * * * *", New_York, "2026-11-01T04:50:00Z", 5),
        [
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-01T07:00:00Z"
        ]
    );
}

#[test]
fn six_fields_across_a_gap_fire_once_after_it() {
    assert_eq!(
        next_n("*/20 30 2 * * *", Berlin, "2026-03-28T12:00:00Z", 2),
        ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
    );
}

#[test]
fn gaps_at_midnight_and_half_hour_shifts() {
    use chrono_tz::America::Santiago;
    use chrono_tz::Australia::Lord_Howe;
    // Santiago, 2026-09-06: 00:00 -04 becomes 01:00 -03, so that day's midnight is 01:00 (04:00Z).
    assert_eq!(
        next_n("0 0 * * *", Santiago, "2026-09-05T00:00:00Z", 3),
        ["2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"]
    );
    // Santiago, 2026-04-04: 24:00 -03 becomes 23:00 -04, so 23:00-23:59 happens twice.
    assert_eq!(
        next_n("30 23 * * *", Santiago, "2026-04-04T12:00:00Z", 2),
        ["2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"]
    );
    // Lord Howe, 2026-04-05: 02:00 +11 becomes 01:30 +10:30, so 01:30-01:59 happens twice.
    assert_eq!(
        next_n("45 1 * * *", Lord_Howe, "2026-04-04T12:00:00Z", 2),
        ["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"]
    );
    assert_eq!(
        next_n("*/15 * * * *", Lord_Howe, "2026-04-04T14:20:00Z", 5),
        [
            "2026-04-04T14:30:00Z",
            "2026-04-04T14:45:00Z",
            "2026-04-04T15:00:00Z",
            "2026-04-04T15:15:00Z",
            "2026-04-04T15:30:00Z"
        ]
    );
}

/// How many fire times lie in (from, to].
fn fires_between(text: &str, tz: Tz, from: &str, to: &str) -> usize {
    let e = expr(text);
    let (mut t, end) = (utc(from), utc(to));
    let mut count = 0;
    while let Some(next) = e.next_after(tz, t).filter(|n| *n <= end) {
        assert!(next > t);
        count += 1;
        t = next;
    }
    count
}

#[test]
fn fire_times_strictly_increase_through_a_year_of_transitions() {
    for tz in [Berlin, New_York, chrono_tz::Australia::Lord_Howe, chrono_tz::America::Santiago] {
        for text in ["*/30 * * * *", "30 2 * * *", "0 1,2,3 * * *", "15 * * * *", "0 0 * * *"] {
            let e = expr(text);
            let mut t = utc("2026-01-01T00:00:00Z");
            let end = utc("2027-01-01T00:00:00Z");
            while t < end {
                let next = e.next_after(tz, t).unwrap_or_else(|| panic!("{text} in {tz} stops at {t}"));
                assert!(next > t, "{text} in {tz}: {next} after {t}");
                t = next;
            }
        }
    }
}

/// An independent reading of the dialect: walk every minute of UTC and test each field's bits
/// with crond's day rule. croner's search must find exactly the same minutes.
#[test]
fn search_agrees_with_a_minute_by_minute_scan() {
    use chrono::{Datelike, Timelike};
    for text in [
        "0 3 * * 1-5",
        "*/7 */5 * * *",
        "0 0 13 * 5",
        "0 12 */2 * 1",
        "5 4 1,15 jan-mar,dec 6,7",
        "0 0 1-7 * */7",
        "59 23 31 * *",
        "0 6 * * 5-0",
    ] {
        let e = expr(text);
        let Schedule::Fields(f) = &e.schedule else { unreachable!() };
        let matches = |t: DateTime<Utc>| {
            let bit = |field: &Field, v: u32| field.bits & (1 << v) != 0;
            let dom = bit(&f.dom, t.day());
            let dow = bit(&f.dow, t.weekday().num_days_from_sunday());
            let day = if f.and_days { dom && dow } else { dom || dow };
            bit(&f.minute, t.minute()) && bit(&f.hour, t.hour()) && bit(&f.month, t.month()) && day
        };
        let mut scan = utc("2025-12-01T00:00:00Z");
        let mut t = scan;
        let end = utc("2026-04-01T00:00:00Z");
        while let Some(next) = e.next_after(UTC, t).filter(|n| *n < end) {
            scan += TimeDelta::minutes(1);
            while !matches(scan) {
                scan += TimeDelta::minutes(1);
            }
            assert_eq!(next, scan, "{text}");
            t = next;
        }
        scan += TimeDelta::minutes(1);
        while scan < end {
            assert!(!matches(scan), "{text}: missed {scan}");
            scan += TimeDelta::minutes(1);
        }
    }
}

// ---- errors -----------------------------------------------------------------------------------

#[test]
fn error_messages_name_the_field() {
    assert_eq!(error("0 24 * * *"), "hour: 24 is out of range 0-23");
    assert_eq!(error("0 0 * * FUN"), "day-of-week: \"FUN\" is not a day name");
    assert_eq!(error("0 0 * * fun"), "day-of-week: \"fun\" is not a day name");
    assert_eq!(error("0 0 *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 3");
    assert_eq!(error(""), "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
    assert_eq!(
        error("0 0 0 1 1 * 2026"),
        "expected 5 fields (minute hour day-of-month month day-of-week), got 7"
    );
    assert_eq!(error("60 * * * *"), "minute: 60 is out of range 0-59");
    assert_eq!(error("60 * * * * *"), "second: 60 is out of range 0-59");
    assert_eq!(error("* * 0 * *"), "day-of-month: 0 is out of range 1-31");
    assert_eq!(error("* * 32 * *"), "day-of-month: 32 is out of range 1-31");
    assert_eq!(error("* * * 13 *"), "month: 13 is out of range 1-12");
    assert_eq!(error("* * * foo *"), "month: \"foo\" is not a month name");
    assert_eq!(error("* * * * 8"), "day-of-week: 8 is out of range 0-7");
    assert_eq!(error("x * * * *"), "minute: \"x\" is not a number");
    assert_eq!(error("* MON * * *"), "hour: \"MON\" is not a number");
    assert_eq!(error("*/0 * * * *"), "minute: step 0 is out of range 1-60");
    assert_eq!(error("*/61 * * * *"), "minute: step 61 is out of range 1-60");
    assert_eq!(error("*/x * * * *"), "minute: step \"x\" is not a number");
    assert_eq!(error("0 22-2 * * *"), "hour: range 22-2 runs backwards; to wrap around write 22-23,0-2");
    assert_eq!(error("0 0 * * SAT-MON"), "day-of-week: range \"SAT-MON\" runs backwards");
    assert_eq!(error("1,,2 * * * *"), "minute: empty list item in \"1,,2\"");
    assert_eq!(error("1- * * * *"), "minute: a number is missing");
    assert_eq!(error("0 0 ? * *"), "day-of-month: \"?\" is not cron syntax; use *");
    assert!(error("5/15 * * * *").starts_with("minute: \"5/15\" has a step but no range"));
    assert!(error("0 0 * * L").starts_with("day-of-week: \"L\" needs a day"));
    assert!(error("0 0 * * 1#6").starts_with("day-of-week: \"1#6\" needs an occurrence from 1 to 5"));
    assert_eq!(error("0 0 5L * *"), "day-of-month: \"5L\" is not a number");
    assert_eq!(error("0 0 L * *x"), "day-of-week: \"*x\" is not a day name");
    assert_eq!(error("99999999999999999999 * * * *"), "minute: 99999999999999999999 is out of range 0-59");
}

#[test]
fn macro_and_interval_errors() {
    assert!(error("@fortnightly").starts_with("\"@fortnightly\" is not a known macro"));
    assert!(error("@reboot").starts_with("@reboot is not supported"));
    assert_eq!(error("@daily 5"), "@daily takes nothing after it");
    assert!(error("@every").starts_with("@every needs an interval"));
    assert_eq!(error("@every 0s"), "@every: the interval must be at least 1s");
    assert!(error("@every 500ms").starts_with("@every: \"500ms\" is not an interval"));
    assert!(error("@every 5").starts_with("@every: \"5\" is not an interval"));
    assert!(error("@every 1.5h").starts_with("@every: \"1.5h\" is not an interval"));
    assert!(error("@every 9999h").starts_with("@every: interval 9999h is longer than"));
    assert!(error("@every 5m 3s").starts_with("@every takes one interval"));
}

#[test]
fn expressions_that_can_never_fire_are_rejected() {
    assert_eq!(error("0 0 30 2 *"), "this schedule can never fire: February has no day 30");
    assert_eq!(
        error("0 0 31 4,6,9,11 *"),
        "this schedule can never fire: April, June, September and November have no day 31"
    );
    assert_eq!(error("0 0 30,31 2 */2"), "this schedule can never fire: February has no day 30 or 31");
    // ORed with the last Friday of February.
    assert!(CronExpr::parse("0 0 30 2 5L").is_ok());
    assert!(error("0 0 */30 2 1#5").contains("can never fire"));
    // ORed with a weekday it fires on that weekday; 29 February exists in leap years.
    assert!(CronExpr::parse("0 0 30 2 1").is_ok());
    assert_eq!(
        next_n("0 0 29 2 *", UTC, "2026-01-01T00:00:00Z", 2),
        ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]
    );
}

#[test]
fn pathological_input_is_rejected_fast() {
    let started = Instant::now();
    assert_eq!(error(&"*".repeat(100_000)), "the expression is longer than 256 characters");
    assert_eq!(
        error(&format!("{} * * * *", "1,".repeat(200))),
        "the expression is longer than 256 characters"
    );
    let many: Vec<String> = (0..70).map(|i| (i % 60).to_string()).collect();
    assert_eq!(error(&format!("{} * * * *", many.join(","))), "minute: too many list items (at most 64)");
    assert_eq!(error(&"é".repeat(300)), "the expression is longer than 256 characters");
    assert!(error(&"* ".repeat(100)).starts_with("expected 5 fields"));
    assert!(started.elapsed() < Duration::from_millis(200), "{:?}", started.elapsed());

    // Valid but rare: each search stays quick.
    for text in ["0 0 29 2 *", "59 23 31 12 *", "0 0 * 2 1#5", "0 0 1-7 2 */7", "0 0 29 2 1"] {
        let started = Instant::now();
        assert!(expr(text).next_after(Berlin, utc("2026-01-01T00:00:00Z")).is_some(), "{text}");
        assert!(started.elapsed() < Duration::from_millis(50), "{text}: {:?}", started.elapsed());
    }
}

#[test]
fn far_ends_of_the_calendar_give_none_not_a_panic() {
    assert_eq!(expr("0 0 * * *").next_after(UTC, utc("9999-12-31T12:00:00Z")), None);
    assert_eq!(expr("@every 1h").next_after(UTC, utc("9999-12-31T23:30:00Z")), None);
    assert_eq!(
        expr("0 0 1 1 *").next_after(Berlin, utc("0000-01-01T00:00:00Z")).map(|t| t.year() <= 2),
        Some(true)
    );
    let max = DateTime::<Utc>::MAX_UTC;
    assert_eq!(expr("@every 1s").next_after(UTC, max), None);
    assert_eq!(expr("* * * * *").next_after(UTC, max), None);
    assert_eq!(expr("* * * * *").next_after(chrono_tz::Asia::Tokyo, max), None);
    let min = DateTime::<Utc>::MIN_UTC;
    assert!(expr("@every 1h").next_after(UTC, min).is_some());
}

// ---- descriptions, timezones --------------------------------------------------------------------

#[test]
fn descriptions() {
    for (text, want) in [
        ("0 3 * * 1-5", "At 03:00, Monday through Friday"),
        ("*/30 * * * * *", "Every 30 seconds"),
        ("0 * * * *", "At minute 0 past every hour"),
        ("@hourly", "At minute 0 past every hour"),
        ("* * * * *", "Every minute"),
        ("*/5 * * * *", "Every 5 minutes"),
        ("@every 30s", "Every 30 seconds"),
        ("@every 1h30m", "Every 1 hour and 30 minutes"),
        ("@every 60m", "Every hour"),
        ("@daily", "At 00:00"),
        ("@weekly", "At 00:00, on Sunday"),
        ("@monthly", "At 00:00, on day 1 of the month"),
        ("@yearly", "At 00:00, on day 1 of the month, in January"),
        ("0 9,17 * * *", "At 09:00 and 17:00"),
        ("30 0 3 * * *", "At 03:00:30"),
        ("*/15 9-17 * * 1-5", "Every 15 minutes, between 09:00 and 17:59, Monday through Friday"),
        ("0 0 * * 5-0", "At 00:00, Friday through Sunday"),
        ("0 0 * * 1,3", "At 00:00, on Monday and Wednesday"),
        ("0 0 13 * 5", "At 00:00, on day 13 of the month and on every Friday"),
        ("0 3 */2 * 1", "At 03:00, on every 2nd day of the month if it falls on Monday"),
        ("0 0 L * *", "At 00:00, on the last day of the month"),
        ("0 0 * * 5L", "At 00:00, on the last Friday of the month"),
        ("0 0 1 jan-mar,jul *", "At 00:00, on day 1 of the month, in January through March and July"),
        ("0,30 */2 * * *", "At minutes 0 and 30 past every 2nd hour"),
        ("0 0 1-31 * 1", "At 00:00"),
        ("*/10 30 2 * * *", "Every 10 seconds, during 02:30"),
        ("0-30/10 * * * *", "Every 10 minutes from minute 0 through 30"),
        ("* 3 * * *", "Every minute, between 03:00 and 03:59"),
        ("0 0 1 * 1-5", "At 00:00, on day 1 of the month and on every Monday through Friday"),
    ] {
        assert_eq!(expr(text).describe(), want, "{text}");
    }
}

#[test]
fn time_zones() {
    assert_eq!(parse_timezone("Europe/Berlin").unwrap(), Berlin);
    assert_eq!(parse_timezone(" europe/berlin ").unwrap(), Berlin);
    assert_eq!(parse_timezone("UTC").unwrap(), UTC);
    let e = parse_timezone("Nowhere/Land").unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_timezone", Some("timezone")));
    assert_eq!(e.to_string(), "timezone: \"Nowhere/Land\" is not an IANA time zone (e.g. Europe/Berlin)");
    assert!(parse_timezone(&"x".repeat(10_000)).unwrap_err().to_string().len() < 200);
    // Fire times are wall-clock in the zone: 03:00 Berlin is 02:00Z in winter, 01:00Z in summer.
    assert_eq!(next_n("0 3 * * *", Berlin, "2026-01-01T00:00:00Z", 1), ["2026-01-01T02:00:00Z"]);
    assert_eq!(next_n("0 3 * * *", Berlin, "2026-07-01T00:00:00Z", 1), ["2026-07-01T01:00:00Z"]);
}

#[test]
fn the_shortest_gap_is_what_min_interval_is_checked_against() {
    let from = utc("2026-01-05T00:00:00Z");
    let gap = |e: &str| CronExpr::parse(e).unwrap().shortest_gap(chrono_tz::UTC, from).map(|d| d.as_secs());
    assert_eq!(gap("* * * * * *"), Some(1));
    assert_eq!(gap("*/5 * * * * *"), Some(5));
    assert_eq!(gap("0,1 * * * * *"), Some(1));
    assert_eq!(gap("@every 30s"), Some(30));
    assert_eq!(gap("* * * * *"), Some(60));
    assert_eq!(gap("0 3 * * *"), Some(86400));
    // the gap across midnight is the short one: 23:59 then 00:00
    assert_eq!(gap("0,59 0,23 * * *"), Some(60));
    assert_eq!(gap("0 3 * * 1"), Some(7 * 86400));
}
