//! The timer maths, pure and clock-free: when a schedule fires next, what a timer that woke at
//! `now` for the intended instant `T` must do, and how many runs a long sleep missed
//! (ARCHITECTURE.md, "How a timer fires exactly once"). The SchedulerActor only applies it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::CronExpr;

/// Counting missed runs stops here; the log then says "at least".
pub const MAX_MISSED_COUNT: u32 = 10_000;

/// When a schedule fires.
#[derive(Clone, Debug)]
pub enum When {
    Cron { expr: CronExpr, tz: Tz },
    Once(DateTime<Utc>),
}

impl When {
    /// The first intended instant strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            When::Cron { expr, tz } => expr.next_after(*tz, t),
            When::Once(at) => (*at > t).then_some(*at),
        }
    }
}

/// What to do when a timer wakes at `now` for the intended instant `intended`.
#[derive(Debug, PartialEq)]
pub enum Wake {
    /// Woke early (or the clock went back): sleep again for what is left.
    Early(Duration),
    /// Fire now; `late` is how far past the intended instant.
    Fire { late: Duration },
    /// Too late (process down, host asleep, clock jumped): log it as missed, do not replay.
    Missed,
}

pub fn decide(intended: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> Wake {
    match (now - intended).to_std() {
        Err(_) => Wake::Early((intended - now).to_std().unwrap_or_default()),
        Ok(late) if late > grace => Wake::Missed,
        Ok(late) => Wake::Fire { late },
    }
}

/// What follows a wake-up that fires for `intended` at `now`: how many runs were missed (`None`
/// when this one runs) and the next intended instant. The next instant counts from the intended
/// one, never from now, so a late wake-up neither skips nor repeats a run; a missed stretch
/// resumes after now.
pub fn after_wake(
    when: &When,
    intended: DateTime<Utc>,
    now: DateTime<Utc>,
    wake: &Wake,
) -> (Option<u32>, Option<DateTime<Utc>>) {
    match wake {
        Wake::Missed => {
            let (count, next) = count_missed(when, intended, now);
            (Some(count), next)
        }
        Wake::Early(_) | Wake::Fire { .. } => (None, when.next_after(intended)),
    }
}

/// How many intended instants from `first` (included) up to `now` (included), and the next one after `now`.
pub fn count_missed(when: &When, first: DateTime<Utc>, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
    let mut count = 1;
    let mut t = first;
    loop {
        match when.next_after(t) {
            Some(next) if next <= now && count < MAX_MISSED_COUNT => {
                count += 1;
                t = next;
            }
            Some(next) if next <= now => return (count, when.next_after(now)),
            other => return (count, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, m, s).unwrap()
    }

    fn every_five_seconds() -> When {
        When::Cron { expr: CronExpr::parse("*/5 * * * * *").unwrap(), tz: chrono_tz::UTC }
    }

    #[test]
    fn an_early_wake_sleeps_again_for_what_is_left() {
        assert_eq!(
            decide(at(3, 0, 0), at(2, 59, 58), Duration::from_secs(60)),
            Wake::Early(Duration::from_secs(2))
        );
    }

    #[test]
    fn on_time_or_within_grace_fires_once_with_its_lateness() {
        let grace = Duration::from_secs(60);
        assert_eq!(decide(at(3, 0, 0), at(3, 0, 0), grace), Wake::Fire { late: Duration::ZERO });
        assert_eq!(decide(at(3, 0, 0), at(3, 0, 59), grace), Wake::Fire { late: Duration::from_secs(59) });
        assert_eq!(decide(at(3, 0, 0), at(3, 1, 1), grace), Wake::Missed);
    }

    #[test]
    fn missed_runs_are_counted_and_resume_after_now() {
        let when = When::Cron { expr: CronExpr::parse("*/15 * * * *").unwrap(), tz: chrono_tz::UTC };
        // due 03:00, back at 04:10: 03:00 03:15 03:30 03:45 04:00 were missed, next is 04:15
        let (count, next) = count_missed(&when, at(3, 0, 0), at(4, 10, 0));
        assert_eq!(count, 5);
        assert_eq!(next, Some(at(4, 15, 0)));
        let wake = decide(at(3, 0, 0), at(4, 10, 0), Duration::from_secs(60));
        assert_eq!(after_wake(&when, at(3, 0, 0), at(4, 10, 0), &wake), (Some(5), Some(at(4, 15, 0))));
    }

    #[test]
    fn a_one_time_schedule_has_nothing_after_its_instant() {
        let when = When::Once(at(3, 0, 0));
        assert_eq!(when.next_after(at(2, 0, 0)), Some(at(3, 0, 0)));
        assert_eq!(when.next_after(at(3, 0, 0)), None);
        assert_eq!(count_missed(&when, at(3, 0, 0), at(5, 0, 0)), (1, None));
    }

    #[test]
    fn the_next_instant_counts_from_the_intended_one_not_from_now() {
        let when = every_five_seconds();
        // fired for 03:00:00 but woke at 03:00:07 (within the grace): this run happens, late, and
        // the next intended is 03:00:05, not 03:00:10 (after now) nor nothing
        let (intended, now) = (at(3, 0, 0), at(3, 0, 7));
        let wake = decide(intended, now, Duration::from_secs(60));
        assert_eq!(wake, Wake::Fire { late: Duration::from_secs(7) });
        assert_eq!(after_wake(&when, intended, now, &wake), (None, Some(at(3, 0, 5))));
    }

    #[test]
    fn a_wake_inside_the_lead_time_counts_from_the_intended_instant_too() {
        // woke 200 ms early to write the next run before the instant itself
        let when = every_five_seconds();
        let now = at(3, 0, 0) - chrono::Duration::milliseconds(200);
        let wake = decide(at(3, 0, 0), now, Duration::from_secs(60));
        assert_eq!(wake, Wake::Early(Duration::from_millis(200)));
        assert_eq!(after_wake(&when, at(3, 0, 0), now, &wake), (None, Some(at(3, 0, 5))));
    }
}
