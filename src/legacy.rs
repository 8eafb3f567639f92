//! `chrontainer import-legacy OLD.db`: brings the schedules and the activity log of the original
//! Python Chrontainer (Flask + APScheduler 3 + sqlite3) into this database.
//!
//! The original kept no migration history, so its schema is reconstructed from what its code
//! created (an assumption, also stated in DEPLOYMENT.md):
//!
//! ```sql
//! CREATE TABLE schedules (id INTEGER PRIMARY KEY, container_id TEXT, container_name TEXT, action TEXT,
//!     cron_expression TEXT, enabled INTEGER DEFAULT 1, created_at TIMESTAMP, last_run TIMESTAMP,
//!     next_run TIMESTAMP);
//! CREATE TABLE logs (id INTEGER PRIMARY KEY, schedule_id INTEGER, container_name TEXT, action TEXT,
//!     status TEXT, message TEXT, timestamp TIMESTAMP);
//! ```
//!
//! Only `schedules.id`, `schedules.cron_expression` and one of the two container columns are
//! required; any other column that is missing is read as NULL, and a missing `logs` table means
//! no logs. Timestamps are what Python's sqlite3 stored for a naive `datetime.now()`
//! (`2024-01-05 03:00:00.123456`), i.e. wall-clock time of the zone the original ran in; they are
//! read in the import's zone (`CHRONTAINER_TIMEZONE`, else `TZ`, else UTC), which is also the zone
//! every imported schedule gets.
//!
//! The original's quirks, and what the import does about each (the report names every change):
//! - APScheduler 3 numbers day-of-week 0 = Monday … 6 = Sunday and rejects 7, so every numeric
//!   day-of-week fired one day later than crontab(5) means (`0 0 * * 0`, "weekly on Sunday", ran
//!   on Mondays) and `7` never ran. Expressions are kept as the user wrote them and now mean what
//!   crontab(5) says (0 and 7 = Sunday).
//! - APScheduler required both day fields to match; crond fires on either when neither starts
//!   with `*` (`0 0 13 * 5`: every 13th and every Friday).
//! - APScheduler's crontab form takes exactly five fields: six-field and `@` forms never ran.
//! - The original always restarted, whatever the action said; the action is now honoured. An
//!   action Chrontainer does not know is imported as `restart`, which is what the original did.
//! - Every imported row remembers its original id (`legacy_id`), so importing twice creates
//!   nothing new. Log rows older than the retention period are left out: the pruner would delete
//!   them at once, and a second import would bring them back.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use crate::config::Config;
use crate::cron::CronExpr;
use crate::domain::Action;
use crate::store::db;
use crate::store::schema::{logs, schedules};

/// What `import-legacy` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The original's `chrontainer.db`.
    pub legacy: PathBuf,
    /// Report what would happen and import nothing.
    pub dry_run: bool,
    /// Ask Docker which containers exist, to name the schedules whose container is gone.
    pub check_docker: bool,
}

/// The counts at the end of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub schedules_imported: usize,
    pub schedules_already: usize,
    pub schedules_skipped: usize,
    pub logs_imported: usize,
    pub logs_already: usize,
    pub logs_skipped: usize,
}

/// Runs the import and writes its report to `out`. Takes the data directory's lock, so it
/// refuses while the service runs on the same data.
pub fn run(config: &Config, options: &Options, out: &mut dyn Write) -> Result<Summary, String> {
    let legacy_path = &options.legacy;
    if !legacy_path.is_file() {
        return Err(format!("{} does not exist or is not a file", legacy_path.display()));
    }
    let _lock = db::lock_data_dir(&config.data_dir).map_err(|e| {
        format!("{e}; stop the service before importing (e.g. `docker compose stop chrontainer`)")
    })?;
    let target = config.database_path();
    if let (Ok(a), Ok(b)) = (legacy_path.canonicalize(), target.canonicalize()) {
        if a == b {
            return Err(format!("{} is Chrontainer's own database, not the original's", a.display()));
        }
    }

    let mut old = open_read_only(legacy_path)?;
    let old_schedules = read_schedules(&mut old)?;
    let old_logs = read_logs(&mut old)?;
    drop(old);

    let containers = options.check_docker.then(existing_containers);
    let mut new =
        db::open(&target).map_err(|e| format!("cannot open {}: {}", target.display(), e.cause()))?;

    let tz = config.timezone;
    let now = Utc::now();
    let log_cutoff = now - TimeDelta::days(i64::from(config.log_retention_days));
    let mut report = vec![
        format!("Importing {} into {}", legacy_path.display(), target.display()),
        format!(
            "Imported schedules run in the time zone {tz} (CHRONTAINER_TIMEZONE, else TZ); the original's times \
             are read in it too."
        ),
    ];
    if let Some(Err(e)) = &containers {
        report.push(format!("Docker is unreachable ({e}): cannot tell which containers still exist."));
    }
    let containers = containers.and_then(Result::ok);

    let mut written = None;
    let result = new.transaction::<Summary, diesel::result::Error, _>(|c| {
        let mut summary = Summary::default();
        let mut lines = Vec::new();
        let ids =
            import_schedules(c, &old_schedules, tz, now, containers.as_ref(), &mut summary, &mut lines)?;
        import_logs(c, &old_logs, &ids, tz, log_cutoff, config.log_retention_days, &mut summary, &mut lines)?;
        written = Some((summary.clone(), lines));
        if options.dry_run {
            Err(diesel::result::Error::RollbackTransaction)
        } else {
            Ok(summary)
        }
    });
    match result {
        Ok(_) => {}
        // The dry run did everything, then rolled it back.
        Err(diesel::result::Error::RollbackTransaction) if options.dry_run => {}
        Err(e) => return Err(format!("the import failed and nothing was written: {e}")),
    }
    let (summary, lines) = written.unwrap_or_default();
    report.extend(lines);
    if options.dry_run {
        report.push("Dry run: nothing was imported.".into());
    }
    for line in &report {
        writeln!(out, "{line}").map_err(|e| format!("cannot write the report: {e}"))?;
    }
    Ok(summary)
}

/// Opens the original's database read-only, so the import can never change it.
fn open_read_only(path: &Path) -> Result<SqliteConnection, String> {
    let raw = path.to_str().ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    let mut escaped = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '%' => escaped.push_str("%25"),
            '?' => escaped.push_str("%3f"),
            '#' => escaped.push_str("%23"),
            c => escaped.push(c),
        }
    }
    SqliteConnection::establish(&format!("file:{escaped}?mode=ro"))
        .map_err(|e| format!("cannot open {} read-only: {e}", path.display()))
}

#[derive(QueryableByName)]
struct ColumnName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The columns of `table` in the old database; empty when there is no such table.
fn columns(conn: &mut SqliteConnection, table: &str) -> Result<HashSet<String>, String> {
    diesel::sql_query(format!("PRAGMA table_info({table})"))
        .load::<ColumnName>(conn)
        .map(|cols| cols.into_iter().map(|c| c.name.to_ascii_lowercase()).collect())
        .map_err(|e| format!("cannot read the original's database: {e}"))
}

/// `CAST(col AS type) AS col` when the old table has the column, else `NULL AS col`.
fn select_list(present: &HashSet<String>, wanted: &[(&str, &str)]) -> String {
    wanted
        .iter()
        .map(|(col, ty)| {
            if present.contains(*col) {
                format!("CAST(\"{col}\" AS {ty}) AS {col}")
            } else {
                format!("NULL AS {col}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Debug, QueryableByName)]
struct LegacySchedule {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    container_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    container_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    action: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    cron_expression: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    enabled: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    created_at: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last_run: Option<String>,
}

#[derive(Clone, Debug, QueryableByName)]
struct LegacyLog {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    schedule_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    container_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    action: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    timestamp: Option<String>,
}

fn read_schedules(conn: &mut SqliteConnection) -> Result<Vec<LegacySchedule>, String> {
    let present = columns(conn, "schedules")?;
    if present.is_empty() {
        return Err("this is not the original Chrontainer's database: it has no table `schedules`".into());
    }
    let required_missing: Vec<&str> =
        ["id", "cron_expression"].into_iter().filter(|c| !present.contains(*c)).collect();
    if !required_missing.is_empty()
        || !(present.contains("container_name") || present.contains("container_id"))
    {
        return Err(format!(
            "the table `schedules` of the original's database lacks {}: it is not the expected schema \
             (id, container_id, container_name, action, cron_expression, enabled, created_at, last_run, next_run)",
            if required_missing.is_empty() { "container_name and container_id".into() } else { required_missing.join(" and ") }
        ));
    }
    let list = select_list(
        &present,
        &[
            ("container_id", "TEXT"),
            ("container_name", "TEXT"),
            ("action", "TEXT"),
            ("cron_expression", "TEXT"),
            ("enabled", "INTEGER"),
            ("created_at", "TEXT"),
            ("last_run", "TEXT"),
        ],
    );
    diesel::sql_query(format!("SELECT CAST(id AS INTEGER) AS id, {list} FROM schedules ORDER BY id"))
        .load(conn)
        .map_err(|e| format!("cannot read the original's schedules: {e}"))
}

fn read_logs(conn: &mut SqliteConnection) -> Result<Vec<LegacyLog>, String> {
    let present = columns(conn, "logs")?;
    if !present.contains("id") {
        return Ok(Vec::new());
    }
    let list = select_list(
        &present,
        &[
            ("schedule_id", "INTEGER"),
            ("container_name", "TEXT"),
            ("action", "TEXT"),
            ("status", "TEXT"),
            ("message", "TEXT"),
            ("timestamp", "TEXT"),
        ],
    );
    diesel::sql_query(format!("SELECT CAST(id AS INTEGER) AS id, {list} FROM logs ORDER BY id"))
        .load(conn)
        .map_err(|e| format!("cannot read the original's logs: {e}"))
}

#[derive(Insertable)]
#[diesel(table_name = schedules)]
struct ImportedSchedule {
    container_name: String,
    container_id: Option<String>,
    action: String,
    cron_expression: Option<String>,
    timezone: String,
    enabled: bool,
    description: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_run: Option<NaiveDateTime>,
    next_run: Option<NaiveDateTime>,
    legacy_id: Option<i32>,
}

#[derive(Insertable)]
#[diesel(table_name = logs)]
struct ImportedLog {
    schedule_id: Option<i32>,
    container_name: String,
    action: String,
    trigger: String,
    status: String,
    message: String,
    duration_ms: i64,
    timestamp: NaiveDateTime,
    legacy_id: Option<i32>,
}

/// Imports every valid schedule not imported before; returns old id → new id for all of them
/// (also those imported by an earlier run).
fn import_schedules(
    c: &mut SqliteConnection,
    old: &[LegacySchedule],
    tz: Tz,
    now: DateTime<Utc>,
    containers: Option<&HashSet<String>>,
    summary: &mut Summary,
    lines: &mut Vec<String>,
) -> Result<HashMap<i64, i32>, diesel::result::Error> {
    let mut ids: HashMap<i64, i32> = schedules::table
        .filter(schedules::legacy_id.is_not_null())
        .select((schedules::legacy_id.assume_not_null(), schedules::id))
        .load::<(i32, i32)>(c)?
        .into_iter()
        .map(|(old, new)| (i64::from(old), new))
        .collect();
    let mut missing_containers = false;
    for row in old {
        let name = container_name(row.container_name.as_deref(), row.container_id.as_deref());
        let raw_action = row.action.as_deref().unwrap_or("").trim().to_ascii_lowercase();
        let cron = row.cron_expression.as_deref().unwrap_or("").trim().to_string();
        let head = format!(
            "schedule #{} ({}, {}, \"{cron}\")",
            row.id,
            name.as_deref().unwrap_or("no container"),
            if raw_action.is_empty() { "no action" } else { &raw_action }
        );
        if let Some(new_id) = ids.get(&row.id) {
            summary.schedules_already += 1;
            lines.push(format!("{head}: already imported as #{new_id}"));
            continue;
        }
        let Ok(legacy_id) = i32::try_from(row.id) else {
            summary.schedules_skipped += 1;
            lines.push(format!("{head}: skipped: its id is too large to remember"));
            continue;
        };
        let Some(name) = name else {
            summary.schedules_skipped += 1;
            lines.push(format!("{head}: skipped: it names no container"));
            continue;
        };
        let expr = match CronExpr::parse(&cron) {
            Ok(expr) => expr,
            Err(e) => {
                summary.schedules_skipped += 1;
                lines.push(format!("{head}: skipped: invalid cron expression: {e}"));
                continue;
            }
        };
        let mut notes: Vec<String> = day_change(&expr).into_iter().collect();
        let never_ran = notes.iter().any(|n| n.starts_with(NEVER_RAN));
        let action = match raw_action.parse::<Action>() {
            Ok(Action::Restart) => Action::Restart,
            Ok(other) if never_ran => {
                notes
                    .push(format!("action: now {} (the original would have restarted instead)", verb(other)));
                other
            }
            Ok(other) => {
                notes.push(format!(
                    "action: was restarting (the original ignored \"{other}\" and always restarted), now {}",
                    verb(other)
                ));
                other
            }
            Err(_) => {
                let what = if raw_action.is_empty() {
                    "none was given".to_string()
                } else {
                    format!("\"{raw_action}\" is unknown")
                };
                notes.push(format!("action: {what}; imported as restart, which is what the original did"));
                Action::Restart
            }
        };
        if let Some(existing) = containers {
            if !existing.contains(&name) {
                missing_containers = true;
                notes.push(format!(
                    "container: no container named \"{name}\" exists now; imported anyway (each run logs an error \
                     until a container of that name exists)"
                ));
            }
        }
        let enabled = row.enabled.unwrap_or(1) != 0;
        let next_run = if enabled { expr.next_after(tz, now).map(|t| t.naive_utc()) } else { None };
        let new = ImportedSchedule {
            container_name: name,
            container_id: row
                .container_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
            action: action.as_str().to_string(),
            cron_expression: Some(expr.as_str().to_string()),
            timezone: tz.name().to_string(),
            enabled,
            description: Some(format!("Imported from the original Chrontainer (schedule #{})", row.id)),
            created_at: row.created_at.as_deref().and_then(|t| legacy_time(t, tz)).unwrap_or(now.naive_utc()),
            updated_at: now.naive_utc(),
            last_run: row.last_run.as_deref().and_then(|t| legacy_time(t, tz)),
            next_run,
            legacy_id: Some(legacy_id),
        };
        let new_id: i32 =
            diesel::insert_into(schedules::table).values(&new).returning(schedules::id).get_result(c)?;
        ids.insert(row.id, new_id);
        summary.schedules_imported += 1;
        let state = if enabled { "" } else { " (disabled, as it was)" };
        lines.push(format!("{head}: imported as #{new_id}{state}"));
        lines.extend(notes.into_iter().map(|n| format!("  {n}")));
    }
    lines.push(format!(
        "Schedules: {} imported, {} already imported, {} skipped.",
        summary.schedules_imported, summary.schedules_already, summary.schedules_skipped
    ));
    if missing_containers || containers.is_none() {
        lines.push(
            "Schedules name their container by name: one whose container no longer exists is imported anyway \
             and runs again once a container of that name exists."
                .into(),
        );
    }
    Ok(ids)
}

#[allow(clippy::too_many_arguments)]
fn import_logs(
    c: &mut SqliteConnection,
    old: &[LegacyLog],
    schedule_ids: &HashMap<i64, i32>,
    tz: Tz,
    cutoff: DateTime<Utc>,
    retention_days: u32,
    summary: &mut Summary,
    lines: &mut Vec<String>,
) -> Result<(), diesel::result::Error> {
    let done: HashSet<i32> = logs::table
        .filter(logs::legacy_id.is_not_null())
        .select(logs::legacy_id.assume_not_null())
        .load(c)?
        .into_iter()
        .collect();
    let (mut unreadable, mut too_old) = (0, 0);
    let mut rows = Vec::new();
    for row in old {
        let Ok(legacy_id) = i32::try_from(row.id) else {
            unreadable += 1;
            continue;
        };
        if done.contains(&legacy_id) {
            summary.logs_already += 1;
            continue;
        }
        let Some(timestamp) = row.timestamp.as_deref().and_then(|t| legacy_time(t, tz)) else {
            unreadable += 1;
            continue;
        };
        if timestamp < cutoff.naive_utc() {
            too_old += 1;
            continue;
        }
        let raw_status = row.status.as_deref().unwrap_or("").trim().to_ascii_lowercase();
        let status = match raw_status.as_str() {
            "success" | "succeeded" | "ok" | "done" => "success",
            "skipped" => "skipped",
            "missed" => "missed",
            _ => "error",
        };
        let mut message = row.message.as_deref().unwrap_or("").trim().to_string();
        if status == "error" && !matches!(raw_status.as_str(), "error" | "failed" | "failure" | "fail") {
            message = format!("status was \"{raw_status}\": {message}");
        }
        message.push_str(if message.is_empty() {
            "(imported from the original Chrontainer)"
        } else {
            " (imported from the original Chrontainer)"
        });
        rows.push(ImportedLog {
            schedule_id: row.schedule_id.and_then(|old| schedule_ids.get(&old).copied()),
            container_name: container_name(row.container_name.as_deref(), None)
                .unwrap_or_else(|| "(unknown)".into()),
            action: row
                .action
                .as_deref()
                .map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "restart".into()),
            trigger: if row.schedule_id.is_some() { "schedule" } else { "manual" }.to_string(),
            status: status.to_string(),
            message,
            duration_ms: 0,
            timestamp,
            legacy_id: Some(legacy_id),
        });
    }
    for chunk in rows.chunks(500) {
        summary.logs_imported += diesel::insert_into(logs::table).values(chunk).execute(c)?;
    }
    summary.logs_skipped = unreadable + too_old;
    let mut line =
        format!("Logs: {} imported, {} already imported", summary.logs_imported, summary.logs_already);
    if too_old > 0 {
        line.push_str(&format!(
            ", {too_old} older than CHRONTAINER_LOG_RETENTION_DAYS={retention_days} days left out (they would be pruned)"
        ));
    }
    if unreadable > 0 {
        line.push_str(&format!(", {unreadable} without a readable time left out"));
    }
    line.push('.');
    lines.push(line);
    Ok(())
}

/// The container a row names: its name without Docker's leading `/`, else its ID.
fn container_name(name: Option<&str>, id: Option<&str>) -> Option<String> {
    let name = name.map(|n| n.trim().trim_start_matches('/')).filter(|n| !n.is_empty());
    name.or_else(|| id.map(str::trim).filter(|i| !i.is_empty())).map(String::from)
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Start => "starts",
        Action::Stop => "stops",
        Action::Restart => "restarts",
        Action::Pause => "pauses",
        Action::Unpause => "unpauses",
    }
}

/// A time the original stored, as naive UTC: Python's `str(datetime)` read in `tz` (an explicit
/// offset, when there is one, wins), or Unix seconds.
fn legacy_time(raw: &str, tz: Tz) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return DateTime::from_timestamp(secs.trunc() as i64, 0).map(|t| t.naive_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, format) {
            return Some(t.naive_utc());
        }
    }
    let raw = raw.trim_end_matches('Z');
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    // A time in a spring-forward gap did not exist; an hour later did.
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + TimeDelta::hours(1))).earliest())
        .map(|t| t.naive_utc())
}

/// How a day note starts when APScheduler refused the expression, so the original never ran it.
const NEVER_RAN: &str = "days: the original never ran it";

const DAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const APS_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Days of the week, Monday first.
type Days = [bool; 7];

/// What changes in the days an expression fires on, or `None` when nothing does.
fn day_change(expr: &CronExpr) -> Option<String> {
    let fields: Vec<&str> = expr.as_str().split_whitespace().collect();
    let [_, _, dom, _, dow] = fields.as_slice() else {
        return Some(format!(
            "{NEVER_RAN} (APScheduler's crontab form takes exactly 5 fields); now: {}",
            expr.describe()
        ));
    };
    let new = crond_days(dow)?;
    let old = match apscheduler_days(dow) {
        Ok(old) => old,
        Err(e) => {
            return Some(format!(
                "{NEVER_RAN} (APScheduler rejected day-of-week \"{dow}\": {e}); now: {}",
                expr.describe()
            ))
        }
    };
    if !dom.starts_with('*') && !dow.starts_with('*') {
        return Some(format!(
            "days: was firing on day {dom} of the month only when it fell on {} (APScheduler numbers days from \
             0 = Monday and requires both day fields), now fires on day {dom} of the month and on {}",
            days_text(&old),
            days_text(&new)
        ));
    }
    (old != new).then(|| {
        format!(
            "days: was firing on {} (APScheduler numbers days from 0 = Monday), now fires on {}",
            days_text(&old),
            days_text(&new)
        )
    })
}

/// The weekdays a day-of-week field selects under crontab(5), asked of the project's own parser.
fn crond_days(dow: &str) -> Option<Days> {
    let probe = CronExpr::parse(&format!("0 0 * * {dow}")).ok()?;
    // Saturday 2026-01-03, one second before the week that is sampled.
    let mut after = Utc.with_ymd_and_hms(2026, 1, 3, 23, 59, 59).single()?;
    let end = after + Duration::from_secs(7 * 86400);
    let mut days = [false; 7];
    while let Some(t) = probe.next_after(Tz::UTC, after).filter(|t| *t <= end) {
        days[t.weekday().num_days_from_monday() as usize] = true;
        after = t;
    }
    Some(days)
}

/// The weekdays APScheduler 3's `DayOfWeekField` selected: 0 = Monday … 6 = Sunday, names
/// `mon`…`sun`, `*`, `*/n`, `a`, `a-b`, `a-b/n`, `a/n` (a to 6), `name`, `name-name`, comma lists;
/// with its errors for values it refused.
fn apscheduler_days(field: &str) -> Result<Days, String> {
    let mut days = [false; 7];
    for part in field.split(',') {
        let (first, last, step) = aps_range(part)?;
        let mut d = first;
        while d <= last {
            days[d] = true;
            d += step;
        }
    }
    Ok(days)
}

/// One comma-separated part of an APScheduler day-of-week field as (first, last, step).
fn aps_range(part: &str) -> Result<(usize, usize, usize), String> {
    let unrecognized = || format!("unrecognized expression \"{part}\"");
    let number = |s: &str| s.parse::<usize>().map_err(|_| unrecognized());
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => (r, Some(number(s)?)),
        None => (part, None),
    };
    if step == Some(0) {
        return Err("increment must be higher than 0".into());
    }
    let check_step = |span: usize| match step {
        Some(s) if s > span => {
            Err(format!("the step value ({s}) is higher than the total range of the expression ({span})"))
        }
        _ => Ok(step.unwrap_or(1)),
    };
    if range == "*" {
        return Ok((0, 6, check_step(6)?));
    }
    if range.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !range.is_empty() {
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (number(a)?, Some(number(b)?)),
            None => (number(range)?, None),
        };
        let last = match (last, step) {
            (Some(l), _) => l,
            (None, None) => first,
            (None, Some(_)) => 6,
        };
        if last > 6 {
            return Err(format!("the last value ({last}) is higher than the maximum value (6)"));
        }
        if first > last {
            return Err("the minimum value in a range must not be higher than the maximum".into());
        }
        let span = if last == 0 { 6 } else { last } - first;
        return Ok((first, last, check_step(span)?));
    }
    if step.is_some() {
        return Err(unrecognized());
    }
    let index = |name: &str| {
        APS_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("invalid weekday name \"{name}\""))
    };
    let (first, last) = match range.split_once('-') {
        Some((a, b)) => (index(a)?, index(b)?),
        None => (index(range)?, index(range)?),
    };
    if first > last {
        return Err("the minimum value in a range must not be higher than the maximum".into());
    }
    Ok((first, last, 1))
}

/// "Monday", "Monday and Sunday", "Monday through Friday", "every day".
fn days_text(days: &Days) -> String {
    if days.iter().all(|d| *d) {
        return "every day".into();
    }
    let mut items = Vec::new();
    let mut i = 0;
    while i < 7 {
        if !days[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < 7 && days[i] {
            i += 1;
        }
        match i - start {
            1 => items.push(DAY_NAMES[start].to_string()),
            2 => items.extend([DAY_NAMES[start].to_string(), DAY_NAMES[start + 1].to_string()]),
            _ => items.push(format!("{} through {}", DAY_NAMES[start], DAY_NAMES[i - 1])),
        }
    }
    match items.as_slice() {
        [] => "no day".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Names of every container Docker knows (running or not), to say which schedules lost theirs.
fn existing_containers() -> Result<HashSet<String>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(async {
        let ask = async {
            // The service's own way of reaching the Engine (DOCKER_HOST, API version negotiation).
            let connection = crate::docker::connect::connect().await?;
            let options =
                bollard::query_parameters::ListContainersOptionsBuilder::default().all(true).build();
            let list = connection.client.list_containers(Some(options)).await;
            list.map_err(|e| crate::docker::connect::describe(&e))
        };
        let list = tokio::time::timeout(Duration::from_secs(10), ask)
            .await
            .map_err(|_| "no answer within 10 s".to_string())??;
        Ok(list
            .into_iter()
            .flat_map(|c| c.names.unwrap_or_default())
            .map(|n| n.trim_start_matches('/').to_string())
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aps(field: &str) -> String {
        match apscheduler_days(field) {
            Ok(d) => days_text(&d),
            Err(e) => format!("error: {e}"),
        }
    }

    fn crond(field: &str) -> String {
        days_text(&crond_days(field).unwrap())
    }

    #[test]
    fn apscheduler_counted_days_from_monday() {
        assert_eq!(aps("0"), "Monday");
        assert_eq!(aps("6"), "Sunday");
        assert_eq!(aps("1-5"), "Tuesday through Saturday");
        assert_eq!(aps("*/2"), "Monday, Wednesday, Friday and Sunday");
        assert_eq!(aps("4/1"), "Friday through Sunday");
        assert_eq!(aps("mon-fri"), "Monday through Friday");
        assert_eq!(aps("SAT,sun"), "Saturday and Sunday");
        assert_eq!(aps("0,3"), "Monday and Thursday");
        assert_eq!(aps("*"), "every day");
    }

    #[test]
    fn apscheduler_refused_what_crond_accepts() {
        assert_eq!(aps("7"), "error: the last value (7) is higher than the maximum value (6)");
        assert_eq!(aps("5-7"), "error: the last value (7) is higher than the maximum value (6)");
        assert_eq!(aps("sun-tue"), "error: the minimum value in a range must not be higher than the maximum");
        assert!(aps("*/7").starts_with("error: the step value (7)"));
        assert!(aps("funday").starts_with("error: invalid weekday name"));
    }

    #[test]
    fn crond_days_come_from_the_project_parser() {
        assert_eq!(crond("0"), "Sunday");
        assert_eq!(crond("7"), "Sunday");
        assert_eq!(crond("1-5"), "Monday through Friday");
        assert_eq!(crond("mon-fri"), "Monday through Friday");
    }

    #[test]
    fn day_changes_are_described() {
        let change = |e: &str| day_change(&CronExpr::parse(e).unwrap());
        assert_eq!(
            change("0 0 * * 0").as_deref(),
            Some(
                "days: was firing on Monday (APScheduler numbers days from 0 = Monday), now fires on Sunday"
            )
        );
        assert_eq!(change("0 3 * * *"), None);
        assert_eq!(change("0 3 * * mon-fri"), None);
        assert_eq!(change("0 3 1 * *"), None);
        assert!(change("0 0 13 * 5").unwrap().contains("only when it fell on Saturday"));
        assert!(change("0 0 * * 7").unwrap().contains("the original never ran it"));
        assert!(change("@daily").unwrap().contains("exactly 5 fields"));
    }

    #[test]
    fn legacy_times_are_read_in_the_import_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let t = |s: &str, tz| legacy_time(s, tz).map(|t| t.to_string());
        assert_eq!(t("2024-01-05 03:00:00.123456", Tz::UTC).as_deref(), Some("2024-01-05 03:00:00.123456"));
        assert_eq!(t("2024-01-05 03:00:00", berlin).as_deref(), Some("2024-01-05 02:00:00"));
        assert_eq!(t("2024-01-05T03:00:00+00:00", berlin).as_deref(), Some("2024-01-05 03:00:00"));
        assert_eq!(t("1704423600", berlin).as_deref(), Some("2024-01-05 03:00:00"));
        assert_eq!(t("2026-03-29 02:30:00", berlin).as_deref(), Some("2026-03-29 01:30:00"));
        assert_eq!(t("yesterday", Tz::UTC), None);
    }

    #[test]
    fn container_names_lose_the_leading_slash() {
        assert_eq!(container_name(Some("/web"), Some("abc")).as_deref(), Some("web"));
        assert_eq!(container_name(Some(" "), Some("abc")).as_deref(), Some("abc"));
        assert_eq!(container_name(None, None), None);
    }
}
