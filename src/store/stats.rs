//! The statistics of `/api/stats`, `/stats` and the dashboard's sparklines: SQL aggregates over
//! one window of whole UTC days. Counts come from the roll-up `log_days` (one row per day and per
//! host, schedule, container, action, trigger and result; see its migration), which every log row
//! is counted into in its own transaction ([`count_in`]); the duration percentiles, which a count
//! cannot give, from a range scan of the covering index `logs_stats` over the window's entries.
//! Every statistic covers all hosts, or one host when one is named (`log_days.host`, `logs.host`);
//! a container is known by its host and its name, so namesakes on two hosts stay apart.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::{Sqlite, SqliteConnection};
use serde::Serialize;

use crate::domain::HostId;
use crate::error::AppError;

/// Successful restarts of one container on one day from which it counts as flapping.
pub const FLAPPING_RESTARTS_PER_DAY: i64 = 3;

/// Actions of one UTC day, by result. `gave_up` counts autoheal giving up on a container (no
/// schedule missed anything), so it is a bucket of its own, not `missed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DayCounts {
    pub date: NaiveDate,
    pub success: i64,
    pub error: i64,
    pub skipped: i64,
    pub missed: i64,
    pub gave_up: i64,
}

impl DayCounts {
    pub fn total(&self) -> i64 {
        self.success + self.error + self.skipped + self.missed + self.gave_up
    }
}

/// One schedule over the window. `success_rate` is successes over every entry (skipped and missed
/// ones count against it); the durations are nearest-rank percentiles over the entries that
/// reached Docker (success or error), `None` when there were none.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduleStats {
    pub id: i32,
    pub runs: i64,
    pub success_rate: f64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub last_failure: Option<NaiveDateTime>,
}

/// Successful restarts of a container by what asked for them. A schedule's "run now" is a person
/// asking, so it counts as manual; `health` is autoheal's. `window` stays 0: a time window only
/// stops, starts, pauses and unpauses (`actors/watch.rs`), it never restarts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Restarts {
    pub schedule: i64,
    pub manual: i64,
    pub health: i64,
    pub window: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContainerStats {
    pub host: HostId,
    pub container: String,
    pub restarts: Restarts,
}

/// A container restarted at least [`FLAPPING_RESTARTS_PER_DAY`] times on one day: its worst day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flapping {
    pub host: HostId,
    pub container: String,
    pub date: NaiveDate,
    pub restarts: i64,
}

/// Everything `/api/stats` answers, for the days from `since` (midnight UTC) on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    pub days: Vec<DayCounts>,
    pub schedules: Vec<ScheduleStats>,
    pub containers: Vec<ContainerStats>,
    pub flapping: Vec<Flapping>,
}

/// The first instant of a window of `days` UTC days ending with the day of `now`.
pub fn window_start(now: NaiveDateTime, days: u32) -> NaiveDateTime {
    (now.date() - Duration::days(i64::from(days.max(1)) - 1)).and_time(chrono::NaiveTime::MIN)
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ScheduleRow {
    #[diesel(sql_type = Integer)]
    schedule_id: i32,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    successes: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_failure: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct DurationRow {
    #[diesel(sql_type = Integer)]
    schedule_id: i32,
    #[diesel(sql_type = BigInt)]
    duration_ms: i64,
}

#[derive(QueryableByName)]
struct ContainerRow {
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

#[derive(QueryableByName)]
struct FlappingRow {
    #[diesel(sql_type = Text)]
    host: String,
    #[diesel(sql_type = Text)]
    container_name: String,
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    restarts: i64,
}

fn parse_day(day: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|e| AppError::Database(format!("a log row has an unreadable timestamp ({day:?}): {e}")))
}

/// ` AND host = ?` when the statistics are of one host: put right after a query's first bind.
fn on_host(host: Option<&HostId>) -> &'static str {
    if host.is_some() {
        " AND host = ?"
    } else {
        ""
    }
}

/// `sql` (with [`on_host`] after its first `?`) with the window's first day bound, then the host.
fn in_window<'f>(
    sql: String,
    since: NaiveDateTime,
    host: Option<&HostId>,
) -> BoxedSqlQuery<'f, Sqlite, SqlQuery> {
    let query = diesel::sql_query(sql).into_boxed::<Sqlite>().bind::<Text, _>(day_of(since));
    match host {
        Some(h) => query.bind::<Text, _>(h.as_str().to_string()),
        None => query,
    }
}

/// Actions per day from `since` to `until` (both days included, every day present).
pub fn days(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    until: NaiveDate,
    host: Option<&HostId>,
) -> Result<Vec<DayCounts>, AppError> {
    let sql = format!(
        "SELECT day, status, SUM(runs) AS n FROM log_days WHERE day >= ?{} GROUP BY day, status",
        on_host(host)
    );
    let rows: Vec<DayRow> = in_window(sql, since, host).load(conn)?;
    let mut by_day = empty_days(since, until);
    for row in rows {
        add(&mut by_day, &row)?;
    }
    Ok(by_day.into_values().collect())
}

/// Every day from `since` to `until`, with nothing counted yet.
fn empty_days(since: NaiveDateTime, until: NaiveDate) -> BTreeMap<NaiveDate, DayCounts> {
    let mut by_day = BTreeMap::new();
    let mut day = since.date();
    while day <= until {
        by_day.insert(day, DayCounts { date: day, ..Default::default() });
        day += Duration::days(1);
    }
    by_day
}

/// Counts one row's entries on its day.
fn add(by_day: &mut BTreeMap<NaiveDate, DayCounts>, row: &DayRow) -> Result<(), AppError> {
    let date = parse_day(&row.day)?;
    // A row stamped after `until` (a clock set back) has no bar to go in.
    let Some(counts) = by_day.get_mut(&date) else { return Ok(()) };
    let bucket = match row.status.as_str() {
        "success" => &mut counts.success,
        "error" => &mut counts.error,
        "skipped" => &mut counts.skipped,
        "missed" => &mut counts.missed,
        "gave_up" => &mut counts.gave_up,
        other => {
            return Err(AppError::Database(format!("a log row has an unknown status {other:?}")));
        }
    };
    *bucket += row.n;
    Ok(())
}

#[derive(QueryableByName)]
struct ScheduleDayRow {
    #[diesel(sql_type = Integer)]
    schedule_id: i32,
    #[diesel(embed)]
    counts: DayRow,
}

/// Actions per day from `since` to `until` of every schedule with entries since `since`, in one
/// query (the dashboard's sparklines).
pub fn schedule_days(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    until: NaiveDate,
) -> Result<BTreeMap<i32, Vec<DayCounts>>, AppError> {
    let rows: Vec<ScheduleDayRow> = diesel::sql_query(
        "SELECT schedule_id, day, status, SUM(runs) AS n FROM log_days WHERE day >= ? AND schedule_id > 0 \
         GROUP BY schedule_id, day, status",
    )
    .bind::<Text, _>(day_of(since))
    .load(conn)?;
    let mut by_schedule: BTreeMap<i32, BTreeMap<NaiveDate, DayCounts>> = BTreeMap::new();
    for row in rows {
        let days = by_schedule.entry(row.schedule_id).or_insert_with(|| empty_days(since, until));
        add(days, &row.counts)?;
    }
    Ok(by_schedule.into_iter().map(|(id, days)| (id, days.into_values().collect())).collect())
}

/// The actions per day of every schedule over the `days` UTC days ending with the day of `now`.
pub async fn load_schedule_days(
    store: &super::Store,
    now: NaiveDateTime,
    days: u32,
) -> Result<BTreeMap<i32, Vec<DayCounts>>, AppError> {
    store.run(move |c| schedule_days(c, window_start(now, days), now.date())).await
}

/// Per schedule that has entries since `since`, by id.
pub fn schedules(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    host: Option<&HostId>,
) -> Result<Vec<ScheduleStats>, AppError> {
    let sql = format!(
        "SELECT schedule_id, SUM(runs) AS runs, SUM(CASE WHEN status = 'success' THEN runs ELSE 0 END) AS successes, \
         MAX(CASE WHEN status = 'error' THEN last_at END) AS last_failure \
         FROM log_days WHERE day >= ?{} AND schedule_id > 0 GROUP BY schedule_id ORDER BY schedule_id",
        on_host(host)
    );
    let rows: Vec<ScheduleRow> = in_window(sql, since, host).load(conn)?;
    let percentiles = percentiles(conn, since, host)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let p = percentiles.get(&r.schedule_id);
            ScheduleStats {
                id: r.schedule_id,
                runs: r.runs,
                success_rate: if r.runs == 0 { 0.0 } else { r.successes as f64 / r.runs as f64 },
                p50_ms: p.map(|p| p.0),
                p95_ms: p.map(|p| p.1),
                last_failure: r.last_failure,
            }
        })
        .collect())
}

/// Per container (host and name) with entries since `since`, by name, then host.
pub fn containers(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    host: Option<&HostId>,
) -> Result<Vec<ContainerStats>, AppError> {
    let sql = format!(
        "SELECT host, container_name, \
           SUM(CASE WHEN action = 'restart' AND status = 'success' AND \"trigger\" = 'schedule' THEN runs ELSE 0 END) \
             AS schedule, \
           SUM(CASE WHEN action = 'restart' AND status = 'success' AND \"trigger\" IN ('manual', 'run_now') \
             THEN runs ELSE 0 END) AS manual, \
           SUM(CASE WHEN action = 'restart' AND status = 'success' AND \"trigger\" = 'health' THEN runs ELSE 0 END) \
             AS health \
         FROM log_days WHERE day >= ?{} GROUP BY host, container_name ORDER BY container_name, host",
        on_host(host)
    );
    let rows: Vec<ContainerRow> = in_window(sql, since, host).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| ContainerStats {
            host: HostId(r.host),
            container: r.container_name,
            restarts: Restarts { schedule: r.schedule, manual: r.manual, health: r.health, window: 0 },
        })
        .collect())
}

/// Containers that flapped since `since`, most restarts first.
pub fn flapping(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    host: Option<&HostId>,
) -> Result<Vec<Flapping>, AppError> {
    let sql = format!(
        "SELECT host, container_name, day, SUM(runs) AS restarts FROM log_days \
         WHERE day >= ?{} AND action = 'restart' AND status = 'success' \
         GROUP BY host, container_name, day HAVING SUM(runs) >= ? ORDER BY restarts DESC, day DESC",
        on_host(host)
    );
    let rows: Vec<FlappingRow> =
        in_window(sql, since, host).bind::<BigInt, _>(FLAPPING_RESTARTS_PER_DAY).load(conn)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        if seen.insert((r.host.clone(), r.container_name.clone())) {
            out.push(Flapping {
                host: HostId(r.host),
                container: r.container_name,
                date: parse_day(&r.day)?,
                restarts: r.restarts,
            });
        }
    }
    Ok(out)
}

/// The p50 and p95 duration (nearest rank) of each schedule's entries since `since` that reached
/// Docker (success or error): one range scan of the covering index, sorted here, which is several
/// times faster than SQLite's window functions over the same rows. With a host, each row in the
/// range is also looked up for its host (not in the index): only the filtered answer pays for it.
fn percentiles(
    conn: &mut SqliteConnection,
    since: NaiveDateTime,
    host: Option<&HostId>,
) -> Result<BTreeMap<i32, (i64, i64)>, AppError> {
    // `+status`: not by the index on (status, timestamp), which needs a table lookup per row, but
    // by the covering `logs_stats`
    let sql = format!(
        "SELECT schedule_id, duration_ms FROM logs \
         WHERE timestamp >= ?{} AND schedule_id IS NOT NULL AND +status IN ('success', 'error')",
        on_host(host)
    );
    let query = diesel::sql_query(sql).into_boxed::<Sqlite>().bind::<Timestamp, _>(since);
    let query = match host {
        Some(h) => query.bind::<Text, _>(h.as_str().to_string()),
        None => query,
    };
    let rows: Vec<DurationRow> = query.load(conn)?;
    let mut by_schedule: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for r in rows {
        by_schedule.entry(r.schedule_id).or_default().push(r.duration_ms);
    }
    Ok(by_schedule
        .into_iter()
        .map(|(id, mut durations)| {
            durations.sort_unstable();
            // the k-th smallest with k = ceil(n * p / 100)
            let rank = |p: usize| durations[(durations.len() * p).div_ceil(100).max(1) - 1];
            (id, (rank(50), rank(95)))
        })
        .collect())
}

/// The roll-up's key for the day of `since` (a window starts at midnight UTC).
fn day_of(since: NaiveDateTime) -> String {
    since.date().format("%Y-%m-%d").to_string()
}

/// The roll-up's row for one day, from `logs` rows chosen by `filter` (SQL after `WHERE`).
const RECOUNT: &str = "INSERT INTO log_days (day, host, schedule_id, container_name, action, \"trigger\", status, \
    runs, last_at) \
    SELECT substr(timestamp, 1, 10), host, COALESCE(schedule_id, 0), container_name, action, \"trigger\", status, \
    COUNT(*), MAX(timestamp) FROM logs";

/// Counts the log row `id`, just written, into its day (in the writer's transaction).
pub(super) fn count_in(conn: &mut SqliteConnection, id: i32) -> Result<(), AppError> {
    diesel::sql_query(format!(
        "{RECOUNT} WHERE id = ? GROUP BY 1, 2, 3, 4, 5, 6, 7 \
         ON CONFLICT (day, host, schedule_id, container_name, action, \"trigger\", status) \
         DO UPDATE SET runs = runs + excluded.runs, last_at = max(last_at, excluded.last_at)"
    ))
    .bind::<Integer, _>(id)
    .execute(conn)?;
    Ok(())
}

/// After the rows before `before` were deleted: forgets the days before, and counts again the day
/// of `before`, which kept only some of its rows.
pub(super) fn forget_before(conn: &mut SqliteConnection, before: NaiveDateTime) -> Result<(), AppError> {
    let day = day_of(before);
    let next = day_of(before + Duration::days(1));
    diesel::sql_query("DELETE FROM log_days WHERE day <= ?").bind::<Text, _>(&day).execute(conn)?;
    // the stored timestamps are text, `YYYY-MM-DD HH:MM:SS…`: a bare day sorts before its first instant
    diesel::sql_query(format!(
        "{RECOUNT} WHERE timestamp >= ? AND timestamp < ? GROUP BY 1, 2, 3, 4, 5, 6, 7"
    ))
    .bind::<Text, _>(&day)
    .bind::<Text, _>(&next)
    .execute(conn)?;
    Ok(())
}

/// Counts every day again from `logs` (after rows were written without [`count_in`]: the legacy
/// import, a benchmark's seeding).
pub fn recount_all(conn: &mut SqliteConnection) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM log_days").execute(conn)?;
    diesel::sql_query(format!("{RECOUNT} GROUP BY 1, 2, 3, 4, 5, 6, 7")).execute(conn)?;
    Ok(())
}

/// Every statistic over the `days` UTC days ending with the day of `now`, of every host or of `host`.
pub fn stats(
    conn: &mut SqliteConnection,
    now: NaiveDateTime,
    days: u32,
    host: Option<&HostId>,
) -> Result<Stats, AppError> {
    let since = window_start(now, days);
    Ok(Stats {
        days: self::days(conn, since, now.date(), host)?,
        schedules: schedules(conn, since, host)?,
        containers: containers(conn, since, host)?,
        flapping: flapping(conn, since, host)?,
    })
}

#[cfg(test)]
mod tests;

/// The statistics of the `days` days up to `now` (of `host`, or of all), computed on the StoreActor's thread.
pub async fn load(
    store: &super::Store,
    now: NaiveDateTime,
    days: u32,
    host: Option<HostId>,
) -> Result<Stats, AppError> {
    store.run(move |c| stats(c, now, days, host.as_ref())).await
}
