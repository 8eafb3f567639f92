//! What `chrontainer import-legacy` writes into `schedules` and `logs`. The import runs as its own
//! command, before the service, on its own connection and in one transaction that a dry run rolls
//! back; so these take that connection instead of going through the StoreActor.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::{logs, schedules};
use crate::domain::{Action, RunStatus, ScheduleId, Trigger};

/// A schedule of the original, as it is imported.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = schedules)]
pub struct ImportedSchedule {
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub cron_expression: Option<String>,
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_run: Option<NaiveDateTime>,
    pub next_run: Option<NaiveDateTime>,
    /// The row's id in the original's database.
    pub legacy_id: Option<i32>,
}

/// A log row of the original, as it is imported.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = logs)]
pub struct ImportedLog {
    pub schedule_id: Option<ScheduleId>,
    pub container_name: String,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    pub timestamp: NaiveDateTime,
    /// The row's id in the original's database.
    pub legacy_id: Option<i32>,
}

/// Original id → our id, for every schedule imported before.
pub fn imported_schedules(c: &mut SqliteConnection) -> QueryResult<HashMap<i64, ScheduleId>> {
    Ok(schedules::table
        .filter(schedules::legacy_id.is_not_null())
        .select((schedules::legacy_id.assume_not_null(), schedules::id))
        .load::<(i32, ScheduleId)>(c)?
        .into_iter()
        .map(|(old, new)| (i64::from(old), new))
        .collect())
}

/// Adds one schedule; answers its id.
pub fn insert_schedule(c: &mut SqliteConnection, new: &ImportedSchedule) -> QueryResult<ScheduleId> {
    diesel::insert_into(schedules::table).values(new).returning(schedules::id).get_result(c)
}

/// The original ids of every log row imported before.
pub fn imported_logs(c: &mut SqliteConnection) -> QueryResult<HashSet<i32>> {
    Ok(logs::table
        .filter(logs::legacy_id.is_not_null())
        .select(logs::legacy_id.assume_not_null())
        .load(c)?
        .into_iter()
        .collect())
}

/// Adds log rows, 500 per statement; answers how many.
pub fn insert_logs(c: &mut SqliteConnection, rows: &[ImportedLog]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(500) {
        written += diesel::insert_into(logs::table).values(chunk).execute(c)?;
    }
    super::stats::recount_all(c)?;
    Ok(written)
}
