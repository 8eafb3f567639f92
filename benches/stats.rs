//! `cargo bench --bench stats`: `/api/stats`'s queries over a seeded million-row activity log (a
//! year of a busy install), with SQLite's plan for each. Each figure is the best of five runs.
//! Then the answer itself is checked against direct `COUNT … GROUP BY`s over `logs` (not the
//! roll-up): a mismatch is printed and the bench exits with 1. `STATS_BENCH_ROWS` seeds fewer rows
//! (a quick check of the check); the default is a million.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

use std::time::{Duration, Instant};

use chrono::Utc;
use chrontainer::store::{db, stats};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

const DEFAULT_ROWS: u32 = 1_000_000;
const RUNS: usize = 5;

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text)]
    detail: String,
}

fn best_of<R>(mut f: impl FnMut() -> R) -> Duration {
    (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[derive(QueryableByName)]
struct DayStatus {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ScheduleCount {
    #[diesel(sql_type = Integer)]
    schedule_id: i32,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    successes: i64,
}

#[derive(QueryableByName)]
struct ContainerCount {
    #[diesel(sql_type = Text)]
    host: String,
    #[diesel(sql_type = Text)]
    container_name: String,
    #[diesel(sql_type = BigInt)]
    schedule: i64,
    #[diesel(sql_type = BigInt)]
    manual: i64,
    #[diesel(sql_type = BigInt)]
    health: i64,
}

/// The mismatches between `stats::stats` over `days` and direct counts over `logs`.
fn check(conn: &mut SqliteConnection, now: chrono::NaiveDateTime, days: u32) -> Vec<String> {
    let answer = stats::stats(conn, now, days, None).expect("the statistics");
    let since = stats::window_start(now, days).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut wrong = Vec::new();
    let mut differ = |what: String, ours: String, direct: String| {
        if ours != direct {
            wrong.push(format!("{days} days, {what}: the answer says {ours}, a direct count {direct}"));
        }
    };

    let by_day: Vec<DayStatus> = diesel::sql_query(
        "SELECT substr(timestamp, 1, 10) AS day, status, COUNT(*) AS n FROM logs WHERE timestamp >= ? \
         GROUP BY 1, 2",
    )
    .bind::<Text, _>(&since)
    .load(conn)
    .expect("the direct count per day");
    let mut direct: std::collections::BTreeMap<String, [i64; 5]> = std::collections::BTreeMap::new();
    for r in &by_day {
        let slot = ["success", "error", "skipped", "missed", "gave_up"].iter().position(|s| *s == r.status);
        let Some(slot) = slot else {
            differ(format!("status {:?}", r.status), "nothing".into(), r.n.to_string());
            continue;
        };
        direct.entry(r.day.clone()).or_default()[slot] += r.n;
    }
    let total: i64 = by_day.iter().map(|r| r.n).sum();
    differ(
        "the total".into(),
        answer.days.iter().map(|d| d.total()).sum::<i64>().to_string(),
        total.to_string(),
    );
    for d in &answer.days {
        let ours = [d.success, d.error, d.skipped, d.missed, d.gave_up];
        let theirs = direct.remove(&d.date.to_string()).unwrap_or_default();
        differ(format!("day {}", d.date), format!("{ours:?}"), format!("{theirs:?}"));
    }
    for (day, theirs) in direct {
        differ(format!("day {day} (not in the answer)"), "nothing".into(), format!("{theirs:?}"));
    }

    let schedules: Vec<ScheduleCount> = diesel::sql_query(
        "SELECT schedule_id, COUNT(*) AS runs, SUM(status = 'success') AS successes FROM logs \
         WHERE timestamp >= ? AND schedule_id IS NOT NULL GROUP BY schedule_id ORDER BY schedule_id",
    )
    .bind::<Text, _>(&since)
    .load(conn)
    .expect("the direct count per schedule");
    let ours = answer.schedules.iter().map(|s| {
        (
            format!("schedule {}", s.id),
            format!("{:?}", (s.runs, (s.success_rate * s.runs as f64).round() as i64)),
        )
    });
    let theirs = schedules
        .iter()
        .map(|s| (format!("schedule {}", s.schedule_id), format!("{:?}", (s.runs, s.successes))));
    for (what, ours, theirs) in pairs(ours, theirs) {
        differ(format!("{what} (runs, successes)"), ours, theirs);
    }

    let containers: Vec<ContainerCount> = diesel::sql_query(
        "SELECT host, container_name, \
           SUM(action = 'restart' AND status = 'success' AND \"trigger\" = 'schedule') AS schedule, \
           SUM(action = 'restart' AND status = 'success' AND \"trigger\" IN ('manual', 'run_now')) AS manual, \
           SUM(action = 'restart' AND status = 'success' AND \"trigger\" = 'health') AS health \
         FROM logs WHERE timestamp >= ? GROUP BY host, container_name ORDER BY container_name, host",
    )
    .bind::<Text, _>(&since)
    .load(conn)
    .expect("the direct count per container");
    let ours = answer.containers.iter().map(|c| {
        let r = &c.restarts;
        (format!("{}/{}", c.host, c.container), format!("{:?}", (r.schedule, r.manual, r.health)))
    });
    let theirs = containers.iter().map(|c| {
        (format!("{}/{}", c.host, c.container_name), format!("{:?}", (c.schedule, c.manual, c.health)))
    });
    for (what, ours, theirs) in pairs(ours, theirs) {
        differ(format!("{what} (restarts by schedule, manual, health)"), ours, theirs);
    }
    wrong
}

/// Each key of either list with its value in each ("nothing" where it is missing).
fn pairs(
    ours: impl Iterator<Item = (String, String)>,
    theirs: impl Iterator<Item = (String, String)>,
) -> Vec<(String, String, String)> {
    let mut all: std::collections::BTreeMap<String, (String, String)> = std::collections::BTreeMap::new();
    for (k, v) in ours {
        all.entry(k).or_insert_with(|| (String::new(), "nothing".into())).0 = v;
    }
    for (k, v) in theirs {
        all.entry(k).or_insert_with(|| ("nothing".into(), String::new())).1 = v;
    }
    all.into_iter().map(|(k, (a, b))| (k, a, b)).collect()
}

fn main() {
    let rows: u32 =
        std::env::var("STATS_BENCH_ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(DEFAULT_ROWS);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut conn = db::open(&dir.path().join("bench.db")).expect("the database opens");
    let started = Instant::now();
    // A year back from now, evenly spread: 200 schedules on 50 containers, 8 in 10 successes, a few
    // manual restarts and as many autoheal ones (one in a hundred of those gave up), durations from
    // 0 to 5 s.
    conn.batch_execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO logs (schedule_id, container_name, action, \"trigger\", status, message, duration_ms, timestamp) \
         SELECT CASE WHEN i % 20 IN (0, 10) THEN NULL ELSE i % 200 + 1 END, 'container-' || (i % 50), \
           CASE WHEN i % 3 = 0 THEN 'stop' ELSE 'restart' END, \
           CASE i % 20 WHEN 0 THEN 'manual' WHEN 10 THEN 'health' ELSE 'schedule' END, \
           CASE WHEN i % 2000 = 10 THEN 'gave_up' \
             ELSE CASE i % 10 WHEN 8 THEN 'error' WHEN 9 THEN 'skipped' ELSE 'success' END END, '', \
           (i * 7919) % 5000, \
           strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ((({last} - i) * 31536) / {rows}) || ' seconds', '-0 seconds') \
         FROM n;",
        last = rows - 1,
        rows = (rows / 1000).max(1),
    ))
    .expect("the rows go in");
    stats::recount_all(&mut conn).expect("the roll-up is counted");
    conn.batch_execute("ANALYZE;").expect("analyze");
    println!(
        "seeded {rows} rows over 365 days and their roll-up in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );

    let now = Utc::now().naive_utc();
    println!("| query | 30 days | 365 days |\n|---|---|---|");
    let since = |days| stats::window_start(now, days);
    let row = |name: &str, a: Duration, b: Duration| {
        println!("| {name} | {:.1} ms | {:.1} ms |", a.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3)
    };
    let mut time = |days| best_of(|| stats::days(&mut conn, since(days), now.date(), None).map(|d| d.len()));
    let (a, b) = (time(30), time(365));
    row("per day by result", a, b);
    let mut time = |days| best_of(|| stats::schedules(&mut conn, since(days), None).map(|s| s.len()));
    let (a, b) = (time(30), time(365));
    row("per schedule (runs, success rate, p50/p95, last failure)", a, b);
    let mut time = |days| best_of(|| stats::containers(&mut conn, since(days), None).map(|s| s.len()));
    let (a, b) = (time(30), time(365));
    row("per container (restarts by trigger)", a, b);
    let mut time = |days| best_of(|| stats::flapping(&mut conn, since(days), None).map(|s| s.len()));
    let (a, b) = (time(30), time(365));
    row("flapping", a, b);
    let mut time = |days| best_of(|| stats::stats(&mut conn, now, days, None).map(|s| s.days.len()));
    let (a, b) = (time(30), time(365));
    row("**all of /api/stats**", a, b);

    println!("\nplans (30 days):");
    let (since, day) =
        (since(30).format("%Y-%m-%d %H:%M:%S").to_string(), since(30).format("%Y-%m-%d").to_string());
    for (name, sql, bound) in [
        ("days", "SELECT day, status, SUM(runs) FROM log_days WHERE day >= ?1 GROUP BY day, status", &day),
        ("schedules", "SELECT schedule_id, SUM(runs), MAX(last_at) FROM log_days WHERE day >= ?1 AND schedule_id > 0 GROUP BY schedule_id", &day),
        ("durations", "SELECT schedule_id, duration_ms FROM logs WHERE timestamp >= ?1 AND schedule_id IS NOT NULL AND +status IN ('success', 'error')", &since),
        ("containers", "SELECT container_name, SUM(runs) FROM log_days WHERE day >= ?1 GROUP BY container_name", &day),
    ] {
        let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .bind::<Text, _>(bound)
            .load(&mut conn)
            .expect("a plan");
        println!("  {name}: {}", plan.iter().map(|p| p.detail.as_str()).collect::<Vec<_>>().join("; "));
    }

    println!("\nthe answer against direct counts over logs:");
    let wrong: Vec<String> = [30, 366].into_iter().flat_map(|days| check(&mut conn, now, days)).collect();
    if !wrong.is_empty() {
        for w in &wrong {
            eprintln!("  MISMATCH {w}");
        }
        std::process::exit(1);
    }
    println!("  30 and 366 days: per day by result, the total, per schedule and per container all match");
}
