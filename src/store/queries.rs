//! Every query Chrontainer runs. Each takes the one connection the StoreActor owns.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::models::{LogQuery, LogRow, NewLog, NewSchedule, ScheduleChanges, ScheduleRow};
use super::schema::{logs, schedules};
use crate::error::AppError;

fn schedule_not_found(id: i32) -> AppError {
    AppError::not_found("schedule_not_found", format!("No schedule has id {id}"))
}

pub fn list_schedules(conn: &mut SqliteConnection) -> Result<Vec<ScheduleRow>, AppError> {
    Ok(schedules::table.order(schedules::id).select(ScheduleRow::as_select()).load(conn)?)
}

pub fn count_schedules(conn: &mut SqliteConnection) -> Result<i64, AppError> {
    Ok(schedules::table.count().get_result(conn)?)
}

pub fn get_schedule(conn: &mut SqliteConnection, id: i32) -> Result<ScheduleRow, AppError> {
    schedules::table
        .find(id)
        .select(ScheduleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| schedule_not_found(id))
}

pub fn insert_schedule(conn: &mut SqliteConnection, new: &NewSchedule) -> Result<ScheduleRow, AppError> {
    Ok(diesel::insert_into(schedules::table)
        .values(new)
        .returning(ScheduleRow::as_returning())
        .get_result(conn)?)
}

pub fn update_schedule(
    conn: &mut SqliteConnection,
    id: i32,
    changes: &ScheduleChanges,
) -> Result<ScheduleRow, AppError> {
    diesel::update(schedules::table.find(id))
        .set(changes)
        .returning(ScheduleRow::as_returning())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| schedule_not_found(id))
}

pub fn delete_schedule(conn: &mut SqliteConnection, id: i32) -> Result<(), AppError> {
    match diesel::delete(schedules::table.find(id)).execute(conn)? {
        0 => Err(schedule_not_found(id)),
        _ => Ok(()),
    }
}

pub fn append_log(conn: &mut SqliteConnection, new: &NewLog) -> Result<LogRow, AppError> {
    Ok(diesel::insert_into(logs::table).values(new).returning(LogRow::as_returning()).get_result(conn)?)
}

/// Records one action: its log row and, when it belongs to a schedule, that schedule's last run
/// (and the container it resolved to), in the one transaction the StoreActor runs every job in.
/// The schedule is `None` when it has none or was deleted while the action ran.
pub fn record_run(
    conn: &mut SqliteConnection,
    new: &NewLog,
) -> Result<(LogRow, Option<ScheduleRow>), AppError> {
    let row = append_log(conn, new)?;
    let Some(id) = new.schedule_id else { return Ok((row, None)) };
    let changes = ScheduleChanges {
        last_run: Some(Some(new.timestamp)),
        last_status: Some(Some(new.status.clone())),
        container_id: new.container_id.clone().map(Some),
        ..Default::default()
    };
    match update_schedule(conn, id, &changes) {
        Ok(schedule) => Ok((row, Some(schedule))),
        Err(AppError::NotFound { .. }) => Ok((row, None)),
        Err(e) => Err(e),
    }
}

/// Newest first, keyset-paged by id so that a million rows cost no more than a hundred.
pub fn query_logs(conn: &mut SqliteConnection, q: &LogQuery) -> Result<Vec<LogRow>, AppError> {
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
    if let Some(status) = &q.status {
        query = query.filter(logs::status.eq(status.clone()));
    }
    if let Some(action) = &q.action {
        query = query.filter(logs::action.eq(action.clone()));
    }
    if let Some(trigger) = &q.trigger {
        query = query.filter(logs::trigger.eq(trigger.clone()));
    }
    if let Some(since) = q.since {
        query = query.filter(logs::timestamp.ge(since));
    }
    Ok(query.load(conn)?)
}

/// Counts rows with `status` at or after `since` (the dashboard's failures in the last 24 h).
pub fn count_logs_since(
    conn: &mut SqliteConnection,
    status: &str,
    since: NaiveDateTime,
) -> Result<i64, AppError> {
    Ok(logs::table
        .filter(logs::status.eq(status))
        .filter(logs::timestamp.ge(since))
        .count()
        .get_result(conn)?)
}

/// Deletes log rows older than `before`; returns how many went.
pub fn prune_logs(conn: &mut SqliteConnection, before: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::delete(logs::table.filter(logs::timestamp.lt(before))).execute(conn)?)
}

/// A real read of both tables, so that "healthy" means the database can work.
pub fn ping(conn: &mut SqliteConnection) -> Result<(), AppError> {
    schedules::table.count().get_result::<i64>(conn)?;
    logs::table.select(logs::id).order(logs::id.desc()).first::<i32>(conn).optional()?;
    Ok(())
}

pub fn checkpoint(conn: &mut SqliteConnection) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    Ok(conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;
    use chrono::{Duration, NaiveDate};

    fn t(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    fn new_schedule(name: &str) -> NewSchedule {
        NewSchedule {
            container_name: name.into(),
            container_id: None,
            compose_project: Some("proj".into()),
            compose_service: Some("web".into()),
            action: "restart".into(),
            cron_expression: Some("0 3 * * 1".into()),
            run_at: None,
            timezone: "Europe/Berlin".into(),
            enabled: true,
            description: None,
            created_at: t(1),
            updated_at: t(1),
            next_run: Some(t(2)),
        }
    }

    fn new_log(name: &str, status: &str, at: NaiveDateTime) -> NewLog {
        NewLog {
            schedule_id: Some(1),
            container_name: name.into(),
            container_id: Some("abc".into()),
            action: "restart".into(),
            trigger: "schedule".into(),
            status: status.into(),
            message: "ok".into(),
            duration_ms: 12,
            timestamp: at,
            actor: None,
        }
    }

    #[test]
    fn schedule_crud() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let row = insert_schedule(&mut c, &new_schedule("web")).unwrap();
        assert_eq!(row.container_name, "web");
        assert!(row.enabled);
        assert_eq!(get_schedule(&mut c, row.id).unwrap(), row);

        let changes = ScheduleChanges { enabled: Some(false), next_run: Some(None), ..Default::default() };
        let updated = update_schedule(&mut c, row.id, &changes).unwrap();
        assert!(!updated.enabled);
        assert_eq!(updated.next_run, None);
        assert_eq!(updated.cron_expression.as_deref(), Some("0 3 * * 1"));

        assert_eq!(list_schedules(&mut c).unwrap().len(), 1);
        delete_schedule(&mut c, row.id).unwrap();
        assert_eq!(get_schedule(&mut c, row.id).unwrap_err().code(), "schedule_not_found");
        assert_eq!(delete_schedule(&mut c, row.id).unwrap_err().code(), "schedule_not_found");
        assert_eq!(update_schedule(&mut c, row.id, &changes).unwrap_err().code(), "schedule_not_found");
    }

    #[test]
    fn the_database_refuses_a_schedule_with_both_cron_and_run_at() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let mut both = new_schedule("web");
        both.run_at = Some(t(5));
        assert!(insert_schedule(&mut c, &both).is_err());
        let mut bad_action = new_schedule("web");
        bad_action.action = "explode".into();
        assert!(insert_schedule(&mut c, &bad_action).is_err());
    }

    #[test]
    fn logs_page_newest_first_with_filters() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        for i in 0..10 {
            let status = if i % 2 == 0 { "success" } else { "error" };
            append_log(&mut c, &new_log(if i < 5 { "a" } else { "b" }, status, t(i))).unwrap();
        }
        let page = query_logs(&mut c, &LogQuery { limit: 3, ..Default::default() }).unwrap();
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![10, 9, 8]);
        let next = query_logs(&mut c, &LogQuery { limit: 3, before: Some(8), ..Default::default() }).unwrap();
        assert_eq!(next.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7, 6, 5]);
        let errors_of_a = query_logs(
            &mut c,
            &LogQuery {
                limit: 50,
                container: Some("a".into()),
                status: Some("error".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(errors_of_a.iter().map(|r| r.id).collect::<Vec<_>>(), vec![4, 2]);
        assert_eq!(count_logs_since(&mut c, "error", t(6)).unwrap(), 2);
    }

    #[test]
    fn prune_deletes_only_older_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        append_log(&mut c, &new_log("a", "success", t(1))).unwrap();
        append_log(&mut c, &new_log("a", "success", t(1) + Duration::days(100))).unwrap();
        assert_eq!(prune_logs(&mut c, t(1) + Duration::days(10)).unwrap(), 1);
        assert_eq!(query_logs(&mut c, &LogQuery { limit: 10, ..Default::default() }).unwrap().len(), 1);
        ping(&mut c).unwrap();
        checkpoint(&mut c).unwrap();
    }
}
