//! The `logs` table, the activity log: its rows, their JSON form (API.md's `LogEntry`) and every
//! query on it, including the one write that records a run.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use super::schedules::{Schedule, ScheduleChanges, ScheduleRow};
use super::schema::logs;
use super::Store;
use crate::domain::{Action, HostId, RunResult, RunStatus, ScheduleId, Trigger};
use crate::error::AppError;
use crate::time::to_utc;

/// A row of `logs`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = logs, check_for_backend(diesel::sqlite::Sqlite))]
pub struct LogRow {
    pub id: i32,
    pub host: HostId,
    pub schedule_id: Option<ScheduleId>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    pub timestamp: NaiveDateTime,
    pub requested_by: Option<String>,
    pub run_id: Option<String>,
}

/// A log row about to be written.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = logs)]
pub struct NewLog {
    pub host: HostId,
    pub schedule_id: Option<ScheduleId>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    pub timestamp: NaiveDateTime,
    pub requested_by: Option<String>,
    pub run_id: Option<String>,
}

impl NewLog {
    /// The row that records `result`. `requested_by` names who asked (a user, `token:<name>`);
    /// `None` for the scheduler. Why an action did not happen (`result.failure`) is the caller's
    /// to answer with; the row keeps the message.
    pub fn of_run(result: RunResult, requested_by: Option<String>) -> NewLog {
        NewLog {
            host: result.host,
            schedule_id: result.schedule_id,
            container_name: result.container_name,
            container_id: result.container_id,
            action: result.action,
            trigger: result.trigger,
            status: result.status,
            message: result.message,
            duration_ms: result.duration_ms,
            timestamp: result.started_at.naive_utc(),
            requested_by,
            run_id: None,
        }
    }
}

/// API.md's `LogEntry`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub id: i32,
    pub host: HostId,
    #[serde(with = "crate::time::serde_utc")]
    pub timestamp: DateTime<Utc>,
    pub schedule_id: Option<ScheduleId>,
    pub container: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    /// Who asked: a user's or an API token's name (`token:<name>`); null for the scheduler.
    pub requested_by: Option<String>,
    /// The run this entry is a step of (a stack action, a chain); null for a single action.
    pub run_id: Option<String>,
}

impl From<LogRow> for LogEntry {
    fn from(r: LogRow) -> Self {
        LogEntry {
            id: r.id,
            host: r.host,
            timestamp: to_utc(r.timestamp),
            schedule_id: r.schedule_id,
            container: r.container_name,
            container_id: r.container_id,
            action: r.action,
            trigger: r.trigger,
            status: r.status,
            message: r.message,
            duration_ms: r.duration_ms,
            requested_by: r.requested_by,
            run_id: r.run_id,
        }
    }
}

/// Filters and paging of `GET /api/logs` (already validated).
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    pub limit: i64,
    pub before: Option<i32>,
    pub container: Option<String>,
    pub schedule_id: Option<ScheduleId>,
    pub status: Option<RunStatus>,
    pub action: Option<Action>,
    pub trigger: Option<Trigger>,
    /// Only rows at or after this time.
    pub since: Option<NaiveDateTime>,
    /// Only the steps of this run.
    pub run_id: Option<String>,
}

/// One page of the activity log, newest first, as `GET /api/logs` answers it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LogPage {
    pub items: Vec<LogEntry>,
    /// The id to ask `before` for the next page; `None` on the last page.
    pub next_before: Option<i32>,
}

// The queries, on the StoreActor's connection.
impl LogRow {
    /// Writes the row and counts it into the statistics' roll-up, in the caller's transaction.
    pub(super) fn insert(c: &mut SqliteConnection, new: &NewLog) -> Result<LogRow, AppError> {
        let row: LogRow =
            diesel::insert_into(logs::table).values(new).returning(LogRow::as_returning()).get_result(c)?;
        super::stats::count_in(c, row.id)?;
        Ok(row)
    }

    /// Newest first, keyset-paged by id so that a million rows cost no more than a hundred.
    fn page(c: &mut SqliteConnection, q: &LogQuery) -> Result<Vec<LogRow>, AppError> {
        let mut query =
            logs::table.select(LogRow::as_select()).order(logs::id.desc()).limit(q.limit).into_boxed();
        if let Some(before) = q.before {
            query = query.filter(logs::id.lt(before));
        }
        if let Some(container) = &q.container {
            query = query.filter(logs::container_name.eq(container.clone()));
        }
        if let Some(schedule_id) = q.schedule_id {
            query = query.filter(logs::schedule_id.eq(schedule_id));
        }
        if let Some(status) = q.status {
            query = query.filter(logs::status.eq(status));
        }
        if let Some(action) = q.action {
            query = query.filter(logs::action.eq(action));
        }
        if let Some(trigger) = q.trigger {
            query = query.filter(logs::trigger.eq(trigger));
        }
        if let Some(since) = q.since {
            query = query.filter(logs::timestamp.ge(since));
        }
        if let Some(run_id) = &q.run_id {
            query = query.filter(logs::run_id.eq(run_id.clone()));
        }
        Ok(query.load(c)?)
    }

    fn count_since(
        c: &mut SqliteConnection,
        status: RunStatus,
        since: NaiveDateTime,
    ) -> Result<i64, AppError> {
        Ok(logs::table
            .filter(logs::status.eq(status))
            .filter(logs::timestamp.ge(since))
            .count()
            .get_result(c)?)
    }

    pub(super) fn prune(c: &mut SqliteConnection, before: NaiveDateTime) -> Result<usize, AppError> {
        let deleted = diesel::delete(logs::table.filter(logs::timestamp.lt(before))).execute(c)?;
        super::stats::forget_before(c, before)?;
        Ok(deleted)
    }

    /// The newest id, if any: a real read for the health check.
    pub(super) fn newest_id(c: &mut SqliteConnection) -> Result<Option<i32>, AppError> {
        Ok(logs::table.select(logs::id).order(logs::id.desc()).first::<i32>(c).optional()?)
    }
}

/// Writes one log row.
pub async fn append(store: &Store, new: NewLog) -> Result<LogEntry, AppError> {
    store.run(move |c| LogRow::insert(c, &new).map(LogEntry::from)).await
}

/// Records a run in one transaction: its log row and, when it belongs to a schedule, that
/// schedule's `last_run`, `last_status` and (when known) `container_id`. Answers with the stored
/// entry and the updated schedule, `None` when the run has no schedule or it was deleted meanwhile
/// (its log row stays).
pub async fn record_run(store: &Store, new: NewLog) -> Result<(LogEntry, Option<Schedule>), AppError> {
    store
        .run(move |c| {
            let row = LogRow::insert(c, &new)?;
            let schedule = match row.schedule_id {
                Some(id) => {
                    let changes = ScheduleChanges {
                        last_run: Some(Some(row.timestamp)),
                        last_status: Some(Some(row.status)),
                        container_id: row.container_id.clone().map(Some),
                        ..Default::default()
                    };
                    ScheduleRow::update(c, id, &changes)?.map(Schedule::from)
                }
                None => None,
            };
            Ok((LogEntry::from(row), schedule))
        })
        .await
}

/// One page of entries and the id to ask `before` for the next one.
pub async fn page(store: &Store, query: LogQuery) -> Result<LogPage, AppError> {
    let limit = query.limit;
    let rows = store.run(move |c| LogRow::page(c, &query)).await?;
    let next_before = if rows.len() as i64 == limit { rows.last().map(|r| r.id) } else { None };
    Ok(LogPage { items: rows.into_iter().map(LogEntry::from).collect(), next_before })
}

/// How many entries ended with `status` at or after `since` (the dashboard's failures in 24 h).
pub async fn count_since(store: &Store, status: RunStatus, since: NaiveDateTime) -> Result<i64, AppError> {
    store.run(move |c| LogRow::count_since(c, status, since)).await
}

/// Deletes entries older than `before`; answers how many went.
pub async fn prune(store: &Store, before: NaiveDateTime) -> Result<usize, AppError> {
    store.run(move |c| LogRow::prune(c, before)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;
    use crate::store::schedules::tests::{new_schedule, t};
    use chrono::Duration;

    fn new_log(name: &str, status: RunStatus, at: NaiveDateTime) -> NewLog {
        NewLog {
            host: HostId::local(),
            schedule_id: Some(ScheduleId(1)),
            container_name: name.into(),
            container_id: Some("abc".into()),
            action: Action::Restart,
            trigger: Trigger::Schedule,
            status,
            message: "ok".into(),
            duration_ms: 12,
            timestamp: at,
            requested_by: None,
            run_id: None,
        }
    }

    #[test]
    fn logs_page_newest_first_with_filters() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        for i in 0..10 {
            let status = if i % 2 == 0 { RunStatus::Success } else { RunStatus::Error };
            LogRow::insert(&mut c, &new_log(if i < 5 { "a" } else { "b" }, status, t(i))).unwrap();
        }
        let page = LogRow::page(&mut c, &LogQuery { limit: 3, ..Default::default() }).unwrap();
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![10, 9, 8]);
        let next =
            LogRow::page(&mut c, &LogQuery { limit: 3, before: Some(8), ..Default::default() }).unwrap();
        assert_eq!(next.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7, 6, 5]);
        let errors_of_a = LogRow::page(
            &mut c,
            &LogQuery {
                limit: 50,
                container: Some("a".into()),
                status: Some(RunStatus::Error),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(errors_of_a.iter().map(|r| r.id).collect::<Vec<_>>(), vec![4, 2]);
        assert_eq!(LogRow::count_since(&mut c, RunStatus::Error, t(6)).unwrap(), 2);
        let by_words = LogQuery {
            limit: 50,
            action: Some(Action::Restart),
            trigger: Some(Trigger::Schedule),
            schedule_id: Some(ScheduleId(1)),
            since: Some(t(8)),
            ..Default::default()
        };
        assert_eq!(LogRow::page(&mut c, &by_words).unwrap().len(), 2);
        let none = LogQuery { limit: 50, action: Some(Action::Stop), ..Default::default() };
        assert!(LogRow::page(&mut c, &none).unwrap().is_empty());
    }

    #[test]
    fn prune_deletes_only_older_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        LogRow::insert(&mut c, &new_log("a", RunStatus::Success, t(1))).unwrap();
        LogRow::insert(&mut c, &new_log("a", RunStatus::Success, t(1) + Duration::days(100))).unwrap();
        assert_eq!(LogRow::prune(&mut c, t(1) + Duration::days(10)).unwrap(), 1);
        assert_eq!(LogRow::page(&mut c, &LogQuery { limit: 10, ..Default::default() }).unwrap().len(), 1);
    }

    #[test]
    fn a_word_the_code_does_not_know_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        diesel::sql_query(
            "INSERT INTO logs (container_name, action, \"trigger\", status, timestamp) \
             VALUES ('a', 'explode', 'manual', 'success', '2026-01-05 01:00:00')",
        )
        .execute(&mut c)
        .unwrap();
        let e = LogRow::page(&mut c, &LogQuery { limit: 10, ..Default::default() }).unwrap_err();
        assert_eq!(e.code(), "database_error");
    }

    #[actix_rt::test]
    async fn a_run_is_recorded_with_its_schedules_last_run_in_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let schedule = crate::store::schedules::insert(&store, new_schedule("web")).await.unwrap();

        let mut run = new_log("web", RunStatus::Error, t(5));
        run.schedule_id = Some(schedule.id);
        run.container_id = Some("c0ffee".into());
        let (entry, updated) = record_run(&store, run.clone()).await.unwrap();
        let updated = updated.expect("the schedule exists");
        assert_eq!(
            (entry.schedule_id, entry.status, entry.host.as_str()),
            (Some(schedule.id), RunStatus::Error, "local")
        );
        assert_eq!(updated.last_run, Some(to_utc(t(5))));
        assert_eq!(updated.last_status, Some(RunStatus::Error));
        assert_eq!(updated.container_id.as_deref(), Some("c0ffee"));

        // not knowing the container leaves the last one seen
        run.container_id = None;
        run.status = RunStatus::Missed;
        let (_, updated) = record_run(&store, run.clone()).await.unwrap();
        let updated = updated.unwrap();
        assert_eq!(
            (updated.container_id.as_deref(), updated.last_status),
            (Some("c0ffee"), Some(RunStatus::Missed))
        );

        // a manual run has no schedule; a deleted schedule's runs are still logged
        run.schedule_id = None;
        run.requested_by = Some("ann".into());
        let (manual, none) = record_run(&store, run.clone()).await.unwrap();
        assert_eq!((manual.requested_by.as_deref(), none), (Some("ann"), None));
        crate::store::schedules::delete(&store, schedule.id).await.unwrap();
        run.schedule_id = Some(schedule.id);
        let (orphan, none) = record_run(&store, run).await.unwrap();
        assert_eq!((orphan.schedule_id, none), (Some(schedule.id), None));

        let page = page(&store, LogQuery { limit: 3, ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.next_before, Some(page.items[2].id));
        let json = serde_json::to_value(&page.items[0]).unwrap();
        assert_eq!((json["host"].as_str(), json["status"].as_str()), (Some("local"), Some("missed")));
        assert!(json.get("actor").is_none() && json.get("requested_by").is_some(), "{json}");
        assert_eq!(count_since(&store, RunStatus::Missed, t(1)).await.unwrap(), 3);
        assert_eq!(prune(&store, t(6)).await.unwrap(), 4);
    }
}
