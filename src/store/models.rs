//! Rows of the two tables and their JSON form (API.md's `Schedule` and `LogEntry`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{logs, schedules};
use crate::domain::{Action, RunStatus, Trigger};
use crate::time::to_utc;

/// A row of `schedules`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = schedules, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ScheduleRow {
    pub id: i32,
    pub container_name: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub action: String,
    pub cron_expression: Option<String>,
    pub run_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_run: Option<NaiveDateTime>,
    pub last_status: Option<String>,
    pub next_run: Option<NaiveDateTime>,
}

/// A schedule about to be inserted (already validated).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = schedules)]
pub struct NewSchedule {
    pub container_name: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub action: String,
    pub cron_expression: Option<String>,
    pub run_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub next_run: Option<NaiveDateTime>,
}

/// The user-editable fields of a schedule, as they are after an edit (already validated).
/// `None` on an outer `Option` leaves the column as it is.
#[derive(Clone, Debug, Default, AsChangeset)]
#[diesel(table_name = schedules)]
pub struct ScheduleChanges {
    pub container_name: Option<String>,
    pub container_id: Option<Option<String>>,
    pub compose_project: Option<Option<String>>,
    pub compose_service: Option<Option<String>>,
    pub action: Option<String>,
    pub cron_expression: Option<Option<String>>,
    pub run_at: Option<Option<NaiveDateTime>>,
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
    pub description: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
    pub last_run: Option<Option<NaiveDateTime>>,
    pub last_status: Option<Option<String>>,
    pub next_run: Option<Option<NaiveDateTime>>,
}

/// API.md's `Schedule`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub id: i32,
    pub container: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    #[schema(value_type = Action)]
    pub action: String,
    /// The cron expression (CRON.md) of a repeating schedule; `null` for a one-time one.
    #[schema(example = "0 3 * * 1")]
    pub cron: Option<String>,
    /// When a one-time schedule runs; `null` for a repeating one.
    #[serde(with = "crate::time::serde_utc::option")]
    pub run_at: Option<DateTime<Utc>>,
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    #[serde(with = "crate::time::serde_utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc::option")]
    pub last_run: Option<DateTime<Utc>>,
    #[schema(value_type = Option<RunStatus>)]
    pub last_status: Option<String>,
    /// `null` when disabled, or when a one-time schedule has run.
    #[serde(with = "crate::time::serde_utc::option")]
    pub next_run: Option<DateTime<Utc>>,
}

impl From<ScheduleRow> for Schedule {
    fn from(r: ScheduleRow) -> Self {
        Schedule {
            id: r.id,
            container: r.container_name,
            container_id: r.container_id,
            compose_project: r.compose_project,
            compose_service: r.compose_service,
            action: r.action,
            cron: r.cron_expression,
            run_at: r.run_at.map(to_utc),
            timezone: r.timezone,
            enabled: r.enabled,
            description: r.description,
            created_at: to_utc(r.created_at),
            updated_at: to_utc(r.updated_at),
            last_run: r.last_run.map(to_utc),
            last_status: r.last_status,
            next_run: r.next_run.map(to_utc),
        }
    }
}

/// A row of `logs`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = logs, check_for_backend(diesel::sqlite::Sqlite))]
pub struct LogRow {
    pub id: i32,
    pub schedule_id: Option<i32>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: String,
    pub trigger: String,
    pub status: String,
    pub message: String,
    pub duration_ms: i64,
    pub timestamp: NaiveDateTime,
    pub actor: Option<String>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = logs)]
pub struct NewLog {
    pub schedule_id: Option<i32>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: String,
    pub trigger: String,
    pub status: String,
    pub message: String,
    pub duration_ms: i64,
    pub timestamp: NaiveDateTime,
    pub actor: Option<String>,
}

/// API.md's `LogEntry`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub id: i32,
    #[serde(with = "crate::time::serde_utc")]
    pub timestamp: DateTime<Utc>,
    pub schedule_id: Option<i32>,
    pub container: String,
    pub container_id: Option<String>,
    #[schema(value_type = Action)]
    pub action: String,
    #[schema(value_type = Trigger)]
    pub trigger: String,
    #[schema(value_type = RunStatus)]
    pub status: String,
    pub message: String,
    pub duration_ms: i64,
    /// Who asked: a user's or an API token's name; null for the scheduler.
    pub actor: Option<String>,
}

impl From<LogRow> for LogEntry {
    fn from(r: LogRow) -> Self {
        LogEntry {
            id: r.id,
            timestamp: to_utc(r.timestamp),
            schedule_id: r.schedule_id,
            container: r.container_name,
            container_id: r.container_id,
            action: r.action,
            trigger: r.trigger,
            status: r.status,
            message: r.message,
            duration_ms: r.duration_ms,
            actor: r.actor,
        }
    }
}

/// Filters and paging of `GET /api/logs` (already validated).
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    pub limit: i64,
    pub before: Option<i32>,
    pub container: Option<String>,
    pub schedule_id: Option<i32>,
    pub status: Option<String>,
    pub action: Option<String>,
    pub trigger: Option<String>,
    /// Only rows at or after this time (the dashboard's "failures in the last 24 h").
    pub since: Option<NaiveDateTime>,
}
