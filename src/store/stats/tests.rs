//! The aggregates against counts made directly over the seeded rows.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::*;
use crate::domain::{Action, HostId, RunStatus, ScheduleId, Trigger};
use crate::store::logs::{LogRow, NewLog};
use crate::store::{db, schema::logs};

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap().and_hms_opt(18, 30, 0).unwrap()
}

/// A small deterministic generator, so the seeded rows vary without a dependency.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn seed(conn: &mut SqliteConnection, n: usize) -> Vec<NewLog> {
    let mut rng = Lcg(7);
    use RunStatus::{Error, GaveUp, Missed, Skipped, Success};
    let statuses = [Success, Success, Success, Error, Skipped, Missed, GaveUp];
    // autoheal's restarts (trigger health) have no schedule, like a person's
    let triggers = [Trigger::Schedule, Trigger::Schedule, Trigger::Manual, Trigger::RunNow, Trigger::Health];
    let actions = [Action::Restart, Action::Restart, Action::Stop, Action::Start];
    let mut rows = Vec::new();
    for _ in 0..n {
        // 45 days back, so a third of the rows fall outside a 30-day window
        let at = now() - Duration::minutes(rng.next(45 * 24 * 60) as i64);
        let trigger = triggers[rng.next(5) as usize];
        let row = NewLog {
            host: HostId::local(),
            schedule_id: matches!(trigger, Trigger::Schedule | Trigger::RunNow)
                .then(|| ScheduleId(1 + rng.next(5) as i32)),
            container_name: format!("c{}", rng.next(4)),
            container_id: None,
            action: actions[rng.next(4) as usize],
            trigger,
            status: statuses[rng.next(7) as usize],
            message: String::new(),
            duration_ms: rng.next(5000) as i64,
            timestamp: at,
            requested_by: None,
            run_id: None,
        };
        LogRow::insert(conn, &row).unwrap();
        rows.push(row);
    }
    rows
}

fn nearest_rank(sorted: &[i64], p: usize) -> Option<i64> {
    (!sorted.is_empty()).then(|| sorted[(sorted.len() * p).div_ceil(100) - 1])
}

#[test]
fn the_aggregates_match_direct_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = db::open(&dir.path().join("t.db")).unwrap();
    let rows = seed(&mut c, 3000);
    let stats = stats(&mut c, now(), 30, None).unwrap();
    let since = window_start(now(), 30);
    assert_eq!(since, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(0, 0, 0).unwrap());
    let window: Vec<&NewLog> = rows.iter().filter(|r| r.timestamp >= since).collect();
    assert!(window.len() > 1000 && window.len() < rows.len(), "{}", window.len());

    // per day: every day present, each count equal to SQL's own COUNT with a plain filter
    assert_eq!(stats.days.len(), 30);
    assert_eq!(stats.days.first().unwrap().date, since.date());
    assert_eq!(stats.days.last().unwrap().date, now().date());
    for day in &stats.days {
        let start = day.date.and_hms_opt(0, 0, 0).unwrap();
        let mut count = |status: &str| -> i64 {
            logs::table
                .filter(logs::timestamp.ge(start))
                .filter(logs::timestamp.lt(start + Duration::days(1)))
                .filter(logs::status.eq(status))
                .count()
                .get_result(&mut c)
                .unwrap()
        };
        assert_eq!(
            (day.success, day.error, day.skipped, day.missed, day.gave_up),
            (count("success"), count("error"), count("skipped"), count("missed"), count("gave_up")),
            "{}",
            day.date
        );
    }
    assert_eq!(stats.days.iter().map(DayCounts::total).sum::<i64>(), window.len() as i64);
    assert!(stats.days.iter().map(|d| d.gave_up).sum::<i64>() > 0, "gave_up rows are seeded");

    // per schedule
    assert_eq!(stats.schedules.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    for s in &stats.schedules {
        let mine: Vec<&&NewLog> = window.iter().filter(|r| r.schedule_id == Some(ScheduleId(s.id))).collect();
        assert_eq!(s.runs, mine.len() as i64);
        let ok = mine.iter().filter(|r| r.status == RunStatus::Success).count();
        assert!((s.success_rate - ok as f64 / mine.len() as f64).abs() < 1e-9);
        let mut durations: Vec<i64> = mine
            .iter()
            .filter(|r| r.status == RunStatus::Success || r.status == RunStatus::Error)
            .map(|r| r.duration_ms)
            .collect();
        durations.sort_unstable();
        assert_eq!(s.p50_ms, nearest_rank(&durations, 50), "schedule {}", s.id);
        assert_eq!(s.p95_ms, nearest_rank(&durations, 95), "schedule {}", s.id);
        let last_failure = mine.iter().filter(|r| r.status == RunStatus::Error).map(|r| r.timestamp).max();
        assert_eq!(s.last_failure, last_failure);
    }

    // per container
    assert_eq!(stats.containers.len(), 4);
    for cs in &stats.containers {
        let restarts = |triggers: &[&str]| {
            window
                .iter()
                .filter(|r| {
                    r.container_name == cs.container
                        && r.action == Action::Restart
                        && r.status == RunStatus::Success
                })
                .filter(|r| triggers.contains(&r.trigger.as_str()))
                .count() as i64
        };
        assert_eq!(cs.restarts.schedule, restarts(&["schedule"]));
        assert_eq!(cs.restarts.manual, restarts(&["manual", "run_now"]));
        assert_eq!(cs.restarts.health, restarts(&["health"]));
        assert!(cs.restarts.health > 0, "autoheal's restarts are seeded and counted");
        assert_eq!(cs.restarts.window, 0, "windows never restart");
    }

    // per schedule and day (the dashboard's sparklines): one query, every day present
    let spark = schedule_days(&mut c, window_start(now(), 14), now().date()).unwrap();
    assert_eq!(spark.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    for (id, days) in &spark {
        assert_eq!(days.len(), 14);
        for day in days {
            let mine = || {
                rows.iter()
                    .filter(|r| r.schedule_id == Some(ScheduleId(*id)) && r.timestamp.date() == day.date)
            };
            assert_eq!(day.total(), mine().count() as i64, "schedule {id} on {}", day.date);
            assert_eq!(day.error, mine().filter(|r| r.status == RunStatus::Error).count() as i64);
        }
    }
}

#[test]
fn flapping_names_each_container_once_with_its_worst_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = db::open(&dir.path().join("t.db")).unwrap();
    let restart = |c: &mut SqliteConnection, name: &str, at: NaiveDateTime, status: &str| {
        let row = NewLog {
            host: HostId::local(),
            schedule_id: None,
            container_name: name.into(),
            container_id: None,
            action: Action::Restart,
            trigger: Trigger::Manual,
            status: RunStatus::ALL.into_iter().find(|s| s.as_str() == status).unwrap(),
            message: String::new(),
            duration_ms: 5,
            timestamp: at,
            requested_by: None,
            run_id: None,
        };
        LogRow::insert(c, &row).unwrap();
    };
    let day = |d: i64| now() - Duration::days(d);
    for i in 0..4 {
        restart(&mut c, "flappy", day(1) + Duration::minutes(i), "success");
    }
    for i in 0..3 {
        restart(&mut c, "flappy", day(2) + Duration::minutes(i), "success");
        restart(&mut c, "steady", day(i), "success");
        // failed restarts did not restart anything
        restart(&mut c, "broken", day(1) + Duration::minutes(i), "error");
    }
    // too long ago for the window
    for i in 0..5 {
        restart(&mut c, "old", day(40) + Duration::minutes(i), "success");
    }
    let flapping = flapping(&mut c, window_start(now(), 30), None).unwrap();
    assert_eq!(
        flapping,
        vec![Flapping {
            host: HostId::local(),
            container: "flappy".into(),
            date: day(1).date(),
            restarts: 4
        }]
    );
}

#[test]
fn the_roll_up_still_matches_after_a_prune_cuts_a_day_in_two_and_after_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = db::open(&dir.path().join("t.db")).unwrap();
    seed(&mut c, 1500);
    let direct = |c: &mut SqliteConnection| -> Vec<(NaiveDate, i64)> {
        let stamps: Vec<NaiveDateTime> = logs::table.select(logs::timestamp).load(c).unwrap();
        let mut by_day = BTreeMap::new();
        for t in stamps.into_iter().filter(|t| *t >= window_start(now(), 45)) {
            *by_day.entry(t.date()).or_insert(0) += 1;
        }
        by_day.into_iter().collect()
    };
    let counted = |c: &mut SqliteConnection| -> Vec<(NaiveDate, i64)> {
        let days = days(c, window_start(now(), 45), now().date(), None).unwrap();
        days.iter().filter(|d| d.total() > 0).map(|d| (d.date, d.total())).collect()
    };
    assert_eq!(counted(&mut c), direct(&mut c));
    // in the middle of a day: that day keeps only its later rows
    let before = (now() - Duration::days(20)).date().and_hms_opt(12, 0, 0).unwrap();
    LogRow::prune(&mut c, before).unwrap();
    assert_eq!(counted(&mut c), direct(&mut c));
    assert_eq!(counted(&mut c).first().unwrap().0, before.date());
    recount_all(&mut c).unwrap();
    assert_eq!(counted(&mut c), direct(&mut c));
}

#[test]
fn an_empty_log_has_every_day_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = db::open(&dir.path().join("t.db")).unwrap();
    let stats = stats(&mut c, now(), 7, None).unwrap();
    assert_eq!(stats.days.len(), 7);
    assert!(stats.days.iter().all(|d| d.total() == 0));
    assert!(stats.schedules.is_empty() && stats.containers.is_empty() && stats.flapping.is_empty());
}

#[test]
fn one_host_counts_only_its_own_and_namesakes_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = db::open(&dir.path().join("t.db")).unwrap();
    let pi = HostId("pi".into());
    let mut write = |host: &HostId, status: RunStatus, schedule: i32, duration_ms: i64, minutes: i64| {
        let row = NewLog {
            host: host.clone(),
            schedule_id: Some(ScheduleId(schedule)),
            container_name: "web".into(),
            container_id: None,
            action: Action::Restart,
            trigger: Trigger::Schedule,
            status,
            message: String::new(),
            duration_ms,
            timestamp: now() - Duration::minutes(minutes),
            requested_by: None,
            run_id: None,
        };
        LogRow::insert(&mut c, &row).unwrap();
    };
    // local: 2 successes of schedule 1 (100 ms); pi: 3 successes and an error of schedule 2 (900 ms)
    for m in 0..2 {
        write(&HostId::local(), RunStatus::Success, 1, 100, m);
    }
    for m in 0..3 {
        write(&pi, RunStatus::Success, 2, 900, m);
    }
    write(&pi, RunStatus::Error, 2, 900, 5);

    let all = stats(&mut c, now(), 30, None).unwrap();
    assert_eq!(all.days.iter().map(DayCounts::total).sum::<i64>(), 6);
    let by_host: Vec<(&str, i64)> =
        all.containers.iter().map(|s| (s.host.as_str(), s.restarts.schedule)).collect();
    assert_eq!(by_host, [("local", 2), ("pi", 3)], "the namesakes are two rows");
    assert_eq!(all.flapping.len(), 1, "pi's web restarted 3 times; local's only twice");
    assert_eq!(all.flapping[0].host, pi);

    let only_pi = stats(&mut c, now(), 30, Some(&pi)).unwrap();
    let day = only_pi.days.last().unwrap();
    assert_eq!((day.success, day.error, day.total()), (3, 1, 4));
    assert_eq!(only_pi.schedules.iter().map(|s| (s.id, s.runs)).collect::<Vec<_>>(), [(2, 4)]);
    assert_eq!((only_pi.schedules[0].p50_ms, only_pi.schedules[0].p95_ms), (Some(900), Some(900)));
    assert_eq!(only_pi.containers.len(), 1);
    assert_eq!((only_pi.containers[0].host.as_str(), only_pi.containers[0].restarts.schedule), ("pi", 3));

    let only_local = stats(&mut c, now(), 30, Some(&HostId::local())).unwrap();
    assert_eq!(only_local.days.iter().map(DayCounts::total).sum::<i64>(), 2);
    assert_eq!(only_local.schedules.iter().map(|s| (s.id, s.p50_ms)).collect::<Vec<_>>(), [(1, Some(100))]);
    assert!(only_local.flapping.is_empty());
    let nobody = stats(&mut c, now(), 30, Some(&HostId("gone".into()))).unwrap();
    assert!(nobody.days.iter().all(|d| d.total() == 0) && nobody.containers.is_empty());
}
