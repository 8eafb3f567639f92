//! The `window_marks` table: what each time window did to its container (so that its end
//! restores only what it changed) and until when a person's start inside it is respected. A row
//! goes with its schedule (`ON DELETE CASCADE`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::window_marks;
use super::Store;
use crate::domain::ScheduleId;
use crate::error::AppError;

/// A row of `window_marks`; a window without one has changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = window_marks, check_for_backend(diesel::sqlite::Sqlite))]
pub struct WindowMark {
    pub schedule_id: ScheduleId,
    /// The window stopped or paused the container, and its end must undo that.
    pub changed: bool,
    /// A person started the container inside the window: leave it until then (the window's end).
    pub overridden_until: Option<NaiveDateTime>,
}

impl WindowMark {
    /// A window that has changed nothing yet.
    pub fn new(schedule_id: ScheduleId) -> WindowMark {
        WindowMark { schedule_id, changed: false, overridden_until: None }
    }

    fn all(c: &mut SqliteConnection) -> Result<Vec<WindowMark>, AppError> {
        Ok(window_marks::table.select(WindowMark::as_select()).load(c)?)
    }

    fn save(c: &mut SqliteConnection, mark: &WindowMark) -> Result<(), AppError> {
        diesel::insert_into(window_marks::table)
            .values(mark)
            .on_conflict(window_marks::schedule_id)
            .do_update()
            // a None `overridden_until` must clear the column, so not a changeset of the struct
            .set((
                window_marks::changed.eq(mark.changed),
                window_marks::overridden_until.eq(mark.overridden_until),
            ))
            .execute(c)?;
        Ok(())
    }
}

/// Every window's mark.
pub async fn all(store: &Store) -> Result<Vec<WindowMark>, AppError> {
    store.run(WindowMark::all).await
}

/// Writes one window's mark; a schedule deleted meanwhile is passed over.
pub async fn save(store: &Store, mark: WindowMark) -> Result<(), AppError> {
    store
        .run(move |c| match WindowMark::save(c, &mark) {
            Err(AppError::Database(e)) if e.contains("FOREIGN KEY") => Ok(()),
            other => other,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schedules::tests::{new_schedule, t};

    #[actix_rt::test]
    async fn a_mark_is_written_over_and_goes_with_its_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let row = crate::store::schedules::insert(&store, new_schedule("web")).await.unwrap();
        let mark = WindowMark { schedule_id: row.id, changed: true, overridden_until: None };
        save(&store, mark).await.unwrap();
        let later = WindowMark { changed: false, overridden_until: Some(t(7)), ..mark };
        save(&store, later).await.unwrap();
        assert_eq!(all(&store).await.unwrap(), [later]);
        save(&store, WindowMark { schedule_id: ScheduleId(99), ..mark }).await.unwrap();
        crate::store::schedules::delete(&store, row.id).await.unwrap();
        assert!(all(&store).await.unwrap().is_empty());
    }
}
