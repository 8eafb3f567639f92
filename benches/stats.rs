//! `cargo bench --bench stats`: `/api/stats`'s queries over a seeded million-row activity log (a
//! year of a busy install), with SQLite's plan for each. Each figure is the best of five runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

use std::time::{Duration, Instant};

use chrono::Utc;
use chrontainer::store::{db, stats};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

const ROWS: u32 = 1_000_000;
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

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut conn = db::open(&dir.path().join("bench.db")).expect("the database opens");
    let started = Instant::now();
    // A year back from now, evenly spread: 200 schedules on 50 containers, 8 in 10 successes, a few
    // manual restarts, durations from 0 to 5 s.
    conn.batch_execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO logs (schedule_id, container_name, action, \"trigger\", status, message, duration_ms, timestamp) \
         SELECT CASE WHEN i % 20 = 0 THEN NULL ELSE i % 200 + 1 END, 'container-' || (i % 50), \
           CASE WHEN i % 3 = 0 THEN 'stop' ELSE 'restart' END, \
           CASE WHEN i % 20 = 0 THEN 'manual' ELSE 'schedule' END, \
           CASE i % 10 WHEN 8 THEN 'error' WHEN 9 THEN 'skipped' ELSE 'success' END, '', \
           (i * 7919) % 5000, \
           strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ((({last} - i) * 31536) / {rows}) || ' seconds', '-0 seconds') \
         FROM n;",
        last = ROWS - 1,
        rows = ROWS / 1000,
    ))
    .expect("the rows go in");
    stats::recount_all(&mut conn).expect("the roll-up is counted");
    conn.batch_execute("ANALYZE;").expect("analyze");
    println!(
        "seeded {ROWS} rows over 365 days and their roll-up in {:.1} s\n",
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
}
