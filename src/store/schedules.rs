//! The `schedules` table: its rows, their JSON form (API.md's `Schedule`) and every query on it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use super::schema::schedules;
use super::Store;
use crate::domain::{Action, ChainStep, Guard, HostId, OnlyIf, RunStatus, ScheduleId, Window, WindowJson};
use crate::error::AppError;
use crate::time::to_utc;

/// A row of `schedules`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = schedules, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ScheduleRow {
    pub id: ScheduleId,
    pub host: HostId,
    pub container_name: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub action: Action,
    pub cron_expression: Option<String>,
    pub run_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_run: Option<NaiveDateTime>,
    pub last_status: Option<RunStatus>,
    pub next_run: Option<NaiveDateTime>,
    /// `false`: this schedule's runs are never notified.
    pub notify: bool,
    /// A Swarm service the schedule acts on (then `container_name` holds the same name).
    pub service: Option<String>,
    /// A chain's steps, as JSON (`ChainStep`s); `None` for one target.
    pub steps: Option<String>,
    pub only_if: Option<OnlyIf>,
    pub respect_manual: bool,
    /// A window schedule's window; its `cron_expression` is then only the window's opening
    /// (migration 000011), and the WatchActor acts on it.
    pub time_window: Option<Window>,
}

impl ScheduleRow {
    /// What must hold when it fires.
    pub fn guard(&self) -> Guard {
        Guard { only_if: self.only_if, respect_manual: self.respect_manual }
    }
}

/// A schedule about to be inserted (already validated).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = schedules)]
pub struct NewSchedule {
    pub host: HostId,
    pub container_name: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub action: Action,
    pub cron_expression: Option<String>,
    pub run_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub next_run: Option<NaiveDateTime>,
    pub notify: bool,
    pub service: Option<String>,
    pub steps: Option<String>,
    pub only_if: Option<OnlyIf>,
    pub respect_manual: bool,
    pub time_window: Option<Window>,
}

/// The columns an edit or a run changes (already validated). `None` on an outer `Option` leaves
/// the column as it is.
#[derive(Clone, Debug, Default, AsChangeset)]
#[diesel(table_name = schedules)]
pub struct ScheduleChanges {
    pub host: Option<HostId>,
    pub container_name: Option<String>,
    pub container_id: Option<Option<String>>,
    pub compose_project: Option<Option<String>>,
    pub compose_service: Option<Option<String>>,
    pub action: Option<Action>,
    pub cron_expression: Option<Option<String>>,
    pub run_at: Option<Option<NaiveDateTime>>,
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
    pub description: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
    pub last_run: Option<Option<NaiveDateTime>>,
    pub last_status: Option<Option<RunStatus>>,
    pub next_run: Option<Option<NaiveDateTime>>,
    pub notify: Option<bool>,
    pub service: Option<Option<String>>,
    pub steps: Option<Option<String>>,
    pub only_if: Option<Option<OnlyIf>>,
    pub respect_manual: Option<bool>,
    pub time_window: Option<Option<Window>>,
}

/// API.md's `Schedule`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub id: ScheduleId,
    pub host: HostId,
    pub container: String,
    pub container_id: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub action: Action,
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
    pub last_status: Option<RunStatus>,
    /// `null` when disabled, or when a one-time schedule has run. For a window, its next opening.
    #[serde(with = "crate::time::serde_utc::option")]
    pub next_run: Option<DateTime<Utc>>,
    /// `false`: no notification for this schedule's runs, whatever the channels want.
    pub notify: bool,
    /// The Swarm service it acts on; `null` for a container (then `container` is that service's name too).
    pub service: Option<String>,
    /// A chain: its steps, run in order under one run_id (then `container` and `action` are its
    /// first step's); `null` for a schedule of one target.
    pub steps: Option<Vec<ChainStep>>,
    /// The state the container must be in when it fires; not met, the run is `skipped`.
    pub only_if: Option<OnlyIf>,
    /// Leave alone a container someone stopped or paused outside Chrontainer: its scheduled
    /// start, restart and unpause are `skipped` until a person starts it again (default `true`).
    pub respect_manual: bool,
    /// A time window instead of a cron: the container is kept in `state` from `from` to `to`.
    pub window: Option<WindowJson>,
}

impl From<ScheduleRow> for Schedule {
    fn from(r: ScheduleRow) -> Self {
        let steps = r.chain();
        let window = r.time_window.map(|w| w.to_json(&r.timezone));
        Schedule {
            id: r.id,
            host: r.host,
            container: r.container_name,
            container_id: r.container_id,
            compose_project: r.compose_project,
            compose_service: r.compose_service,
            action: r.action,
            cron: if window.is_some() { None } else { r.cron_expression },
            run_at: r.run_at.map(to_utc),
            timezone: r.timezone,
            enabled: r.enabled,
            description: r.description,
            created_at: to_utc(r.created_at),
            updated_at: to_utc(r.updated_at),
            last_run: r.last_run.map(to_utc),
            last_status: r.last_status,
            next_run: r.next_run.map(to_utc),
            notify: r.notify,
            service: r.service,
            steps,
            only_if: r.only_if,
            respect_manual: r.respect_manual,
            window,
        }
    }
}

impl Schedule {
    /// The schedule in one line for the audit trail: `#3 restart web at "0 3 * * *" (Europe/Berlin)`.
    pub fn describe(&self) -> String {
        let when = match (&self.cron, &self.run_at) {
            _ if self.window.is_some() => self
                .window
                .as_ref()
                .map(|w| format!("{} {}-{}", w.state.as_str(), w.from, w.to))
                .unwrap_or_default(),
            (Some(cron), _) => format!("at {cron:?}"),
            (None, Some(at)) => format!("once at {}", crate::time::rfc3339(at)),
            (None, None) => String::new(),
        };
        let off = if self.enabled { "" } else { ", disabled" };
        format!("#{} {} {} {when} ({}{off})", self.id, self.action, self.container, self.timezone)
    }
}

pub(super) fn not_found(id: ScheduleId) -> AppError {
    AppError::not_found("schedule_not_found", format!("No schedule has id {id}"))
}

// The queries, on the StoreActor's connection.
impl ScheduleRow {
    /// A chain's steps; `None` for one target (or text this code did not write).
    pub fn chain(&self) -> Option<Vec<ChainStep>> {
        self.steps.as_deref().and_then(|text| serde_json::from_str(text).ok())
    }

    pub(super) fn all(c: &mut SqliteConnection) -> Result<Vec<ScheduleRow>, AppError> {
        Ok(schedules::table.order(schedules::id).select(ScheduleRow::as_select()).load(c)?)
    }

    pub(super) fn count(c: &mut SqliteConnection) -> Result<i64, AppError> {
        Ok(schedules::table.count().get_result(c)?)
    }

    pub(super) fn find(c: &mut SqliteConnection, id: ScheduleId) -> Result<ScheduleRow, AppError> {
        schedules::table
            .find(id)
            .select(ScheduleRow::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| not_found(id))
    }

    pub(super) fn insert(c: &mut SqliteConnection, new: &NewSchedule) -> Result<ScheduleRow, AppError> {
        Ok(diesel::insert_into(schedules::table)
            .values(new)
            .returning(ScheduleRow::as_returning())
            .get_result(c)?)
    }

    /// `None` when no row has `id`.
    pub(super) fn update(
        c: &mut SqliteConnection,
        id: ScheduleId,
        changes: &ScheduleChanges,
    ) -> Result<Option<ScheduleRow>, AppError> {
        Ok(diesel::update(schedules::table.find(id))
            .set(changes)
            .returning(ScheduleRow::as_returning())
            .get_result(c)
            .optional()?)
    }

    pub(super) fn delete(c: &mut SqliteConnection, id: ScheduleId) -> Result<(), AppError> {
        match diesel::delete(schedules::table.find(id)).execute(c)? {
            0 => Err(not_found(id)),
            _ => Ok(()),
        }
    }
}

/// Every schedule, by id.
pub async fn list(store: &Store) -> Result<Vec<ScheduleRow>, AppError> {
    store.run(ScheduleRow::all).await
}

/// The schedule `id`; 404 `schedule_not_found` when there is none.
pub async fn get(store: &Store, id: ScheduleId) -> Result<ScheduleRow, AppError> {
    store.run(move |c| ScheduleRow::find(c, id)).await
}

pub async fn insert(store: &Store, new: NewSchedule) -> Result<ScheduleRow, AppError> {
    store.run(move |c| ScheduleRow::insert(c, &new)).await
}

/// Inserts `new` if `allowed` accepts the number of schedules there are now, counted in the same
/// transaction (the scheduler's limit).
pub async fn insert_counted<F>(store: &Store, new: NewSchedule, allowed: F) -> Result<ScheduleRow, AppError>
where
    F: FnOnce(i64) -> Result<(), AppError> + Send + 'static,
{
    store
        .run(move |c| {
            allowed(schedules::table.count().get_result(c)?)?;
            ScheduleRow::insert(c, &new)
        })
        .await
}

/// Changes the columns `changes` names; 404 `schedule_not_found` when there is no such schedule.
pub async fn update(
    store: &Store,
    id: ScheduleId,
    changes: ScheduleChanges,
) -> Result<ScheduleRow, AppError> {
    store.run(move |c| ScheduleRow::update(c, id, &changes)?.ok_or_else(|| not_found(id))).await
}

/// An edit and the `next_run` that follows from the edited row, in one transaction: `next_run`
/// is computed by `next` (the scheduler's timetable) from the row as the edit left it.
pub async fn edit<F>(
    store: &Store,
    id: ScheduleId,
    changes: ScheduleChanges,
    next: F,
) -> Result<ScheduleRow, AppError>
where
    F: FnOnce(&ScheduleRow) -> Result<Option<NaiveDateTime>, AppError> + Send + 'static,
{
    store
        .run(move |c| {
            let row = ScheduleRow::update(c, id, &changes)?.ok_or_else(|| not_found(id))?;
            let next_run = ScheduleChanges { next_run: Some(next(&row)?), ..Default::default() };
            ScheduleRow::update(c, id, &next_run)?.ok_or_else(|| not_found(id))
        })
        .await
}

/// Writes the `next_run` of several schedules at once (rows armed at start-up that had none);
/// a schedule deleted meanwhile is passed over.
pub async fn set_next_runs(store: &Store, next: Vec<(ScheduleId, NaiveDateTime)>) -> Result<(), AppError> {
    store
        .run(move |c| {
            for (id, at) in next {
                ScheduleRow::update(
                    c,
                    id,
                    &ScheduleChanges { next_run: Some(Some(at)), ..Default::default() },
                )?;
            }
            Ok(())
        })
        .await
}

/// Deletes a schedule (its log rows stay); 404 `schedule_not_found` when there is none.
pub async fn delete(store: &Store, id: ScheduleId) -> Result<(), AppError> {
    store.run(move |c| ScheduleRow::delete(c, id)).await
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::db;
    use chrono::NaiveDate;

    pub fn t(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    pub fn new_schedule(name: &str) -> NewSchedule {
        NewSchedule {
            host: HostId::local(),
            container_name: name.into(),
            container_id: None,
            compose_project: Some("proj".into()),
            compose_service: Some("web".into()),
            action: Action::Restart,
            cron_expression: Some("0 3 * * 1".into()),
            run_at: None,
            timezone: "Europe/Berlin".into(),
            enabled: true,
            description: None,
            created_at: t(1),
            updated_at: t(1),
            next_run: Some(t(2)),
            notify: true,
            service: None,
            steps: None,
            only_if: None,
            respect_manual: true,
            time_window: None,
        }
    }

    #[test]
    fn schedule_crud() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let row = ScheduleRow::insert(&mut c, &new_schedule("web")).unwrap();
        assert_eq!(row.container_name, "web");
        assert_eq!((row.host.as_str(), row.action), ("local", Action::Restart));
        assert!(row.enabled);
        assert_eq!(ScheduleRow::find(&mut c, row.id).unwrap(), row);

        let changes = ScheduleChanges {
            enabled: Some(false),
            next_run: Some(None),
            last_status: Some(Some(RunStatus::Missed)),
            ..Default::default()
        };
        let updated = ScheduleRow::update(&mut c, row.id, &changes).unwrap().unwrap();
        assert!(!updated.enabled);
        assert_eq!(updated.next_run, None);
        assert_eq!(updated.last_status, Some(RunStatus::Missed));
        assert_eq!(updated.cron_expression.as_deref(), Some("0 3 * * 1"));

        assert_eq!(ScheduleRow::all(&mut c).unwrap().len(), 1);
        ScheduleRow::delete(&mut c, row.id).unwrap();
        assert_eq!(ScheduleRow::find(&mut c, row.id).unwrap_err().code(), "schedule_not_found");
        assert_eq!(ScheduleRow::delete(&mut c, row.id).unwrap_err().code(), "schedule_not_found");
        assert_eq!(ScheduleRow::update(&mut c, row.id, &changes).unwrap(), None);
    }

    #[test]
    fn the_database_refuses_a_schedule_with_both_cron_and_run_at() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let mut both = new_schedule("web");
        both.run_at = Some(t(5));
        assert!(ScheduleRow::insert(&mut c, &both).is_err());
        // an action the code does not know cannot be built; the table refuses one written by hand
        let bad_action = diesel::sql_query(
            "INSERT INTO schedules (container_name, action, cron_expression, created_at, updated_at) \
             VALUES ('web', 'explode', '0 3 * * *', '2026-01-05 01:00:00', '2026-01-05 01:00:00')",
        )
        .execute(&mut c);
        assert!(bad_action.is_err());
    }

    #[test]
    fn a_schedule_carries_its_host_and_typed_words_into_its_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let row = ScheduleRow::insert(&mut c, &new_schedule("web")).unwrap();
        let json = serde_json::to_value(Schedule::from(row)).unwrap();
        assert_eq!(json["host"], "local");
        assert_eq!(json["action"], "restart");
        assert_eq!(json["id"], 1);
        assert_eq!(json["last_status"], serde_json::Value::Null);
    }

    #[actix_rt::test]
    async fn an_edit_and_its_next_run_are_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let row = insert(&store, new_schedule("web")).await.unwrap();
        let changes =
            ScheduleChanges { cron_expression: Some(Some("0 4 * * 1".into())), ..Default::default() };
        let edited = edit(&store, row.id, changes, |r| {
            assert_eq!(r.cron_expression.as_deref(), Some("0 4 * * 1"), "next sees the edited row");
            Ok(Some(t(4)))
        })
        .await
        .unwrap();
        assert_eq!(edited.next_run, Some(t(4)));

        // a failing timetable leaves the edit undone
        let changes =
            ScheduleChanges { cron_expression: Some(Some("0 5 * * 1".into())), ..Default::default() };
        let refused =
            edit(&store, row.id, changes, |_| Err(AppError::invalid("invalid_cron", Some("cron"), "no")))
                .await;
        assert_eq!(refused.unwrap_err().code(), "invalid_cron");
        assert_eq!(get(&store, row.id).await.unwrap().cron_expression.as_deref(), Some("0 4 * * 1"));

        let missing = ScheduleId(99);
        set_next_runs(&store, vec![(row.id, t(6)), (missing, t(6))]).await.unwrap();
        assert_eq!(get(&store, row.id).await.unwrap().next_run, Some(t(6)));
        let off = ScheduleChanges { enabled: Some(false), ..Default::default() };
        assert_eq!(update(&store, missing, off.clone()).await.unwrap_err().code(), "schedule_not_found");
        assert_eq!(edit(&store, missing, off, |_| Ok(None)).await.unwrap_err().code(), "schedule_not_found");
        delete(&store, row.id).await.unwrap();
        assert!(list(&store).await.unwrap().is_empty());
    }
}
