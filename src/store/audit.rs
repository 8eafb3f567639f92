//! The `audit` table, the audit trail: sign-ins (failed ones too), user, token and schedule
//! changes. Each event is a row and an info line in the process log. Details never hold a
//! password or a token.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use super::schema::audit;
use super::Store;
use crate::error::AppError;
use crate::time::to_utc;

/// A row of `audit`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit, check_for_backend(diesel::sqlite::Sqlite))]
pub struct AuditRow {
    pub id: i32,
    pub timestamp: NaiveDateTime,
    pub actor: Option<String>,
    /// login_succeeded, login_failed, logout, password_changed, password_change_failed,
    /// user_created, user_updated, user_deleted, token_created, token_revoked, schedule_created,
    /// schedule_updated or schedule_deleted.
    pub event: String,
    pub detail: String,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = audit)]
struct NewAudit {
    timestamp: NaiveDateTime,
    actor: Option<String>,
    event: String,
    detail: String,
}

/// An audit entry as `GET /api/audit` shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i32,
    #[serde(with = "crate::time::serde_utc")]
    pub timestamp: DateTime<Utc>,
    /// A user's name, `token:<name>`, or null (the system, or authentication off).
    pub actor: Option<String>,
    pub event: String,
    pub detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            timestamp: to_utc(r.timestamp),
            actor: r.actor,
            event: r.event,
            detail: r.detail,
        }
    }
}

/// One page of the audit trail, newest first, as `GET /api/audit` answers it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// The id to ask `before` for the next page; `None` on the last page.
    pub next_before: Option<i32>,
}

/// At most 300 characters, control characters shown as `?`: a detail may quote what someone typed,
/// and must not forge lines in the log.
fn clean(s: &str) -> String {
    crate::text::clip(&s.chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>(), 300)
}

// The queries, on the StoreActor's connection.
impl AuditRow {
    fn insert(c: &mut SqliteConnection, new: &NewAudit) -> Result<(), AppError> {
        diesel::insert_into(audit::table).values(new).execute(c)?;
        Ok(())
    }

    /// Newest first, `limit` rows with an id below `before`.
    fn page(c: &mut SqliteConnection, limit: i64, before: Option<i32>) -> Result<Vec<AuditRow>, AppError> {
        let mut query =
            audit::table.select(AuditRow::as_select()).order(audit::id.desc()).limit(limit).into_boxed();
        if let Some(before) = before {
            query = query.filter(audit::id.lt(before));
        }
        Ok(query.load(c)?)
    }
}

/// Records an event. A failure to store it is logged, never passed on: what was done is done.
pub async fn record(store: &Store, actor: Option<&str>, event: &'static str, detail: impl Into<String>) {
    let detail = clean(&detail.into());
    let actor = actor.map(clean);
    log::info!("audit: {event} by {}: {detail}", actor.as_deref().unwrap_or("-"));
    let row = NewAudit { timestamp: Utc::now().naive_utc(), actor, event: event.into(), detail };
    if let Err(e) = store.run(move |c| AuditRow::insert(c, &row)).await {
        log::error!("the audit entry {event} could not be stored: {e:?}");
    }
}

/// Records an event on a connection of its own (a command run with the service stopped).
pub(super) fn record_on(
    c: &mut SqliteConnection,
    actor: Option<&str>,
    event: &'static str,
    detail: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let row =
        NewAudit { timestamp: now, actor: actor.map(clean), event: event.into(), detail: clean(detail) };
    AuditRow::insert(c, &row)
}

/// `limit` entries with an id below `before`, newest first, and the id to ask for the next page.
/// Whether the trail holds any `event` (e.g. whether anyone has ever signed in).
pub async fn has_event(store: &Store, event: &'static str) -> Result<bool, AppError> {
    store
        .run(move |c| {
            Ok(diesel::select(diesel::dsl::exists(audit::table.filter(audit::event.eq(event))))
                .get_result(c)?)
        })
        .await
}

pub async fn page(store: &Store, limit: i64, before: Option<i32>) -> Result<AuditPage, AppError> {
    let rows = store.run(move |c| AuditRow::page(c, limit, before)).await?;
    let next_before = if rows.len() as i64 == limit { rows.last().map(|r| r.id) } else { None };
    Ok(AuditPage { items: rows.into_iter().map(AuditEntry::from).collect(), next_before })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn events_are_stored_newest_first_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        record(&store, Some("ann"), "login_succeeded", "from 127.0.0.1").await;
        record(&store, None, "login_failed", "from 127.0.0.1\nforged line").await;
        let rows = page(&store, 10, None).await.unwrap();
        assert_eq!(rows.items.len(), 2);
        assert_eq!(rows.next_before, None);
        assert_eq!(rows.items[0].event, "login_failed");
        assert_eq!(rows.items[0].detail, "from 127.0.0.1?forged line");
        assert_eq!(rows.items[1].actor.as_deref(), Some("ann"));
        let older = page(&store, 10, Some(rows.items[0].id)).await.unwrap();
        assert_eq!(older.items.len(), 1);
        let first = page(&store, 1, None).await.unwrap();
        assert_eq!(first.next_before, Some(rows.items[0].id));
    }
}
