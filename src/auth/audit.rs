//! The audit trail: sign-ins (failed ones too), user, token and schedule changes. Each event is a
//! row of `audit` and an info line in the process log. Details never hold a password or a token.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use crate::actors::store::Store;
use crate::error::AppError;
use crate::store::schema::audit;
use crate::time::to_utc;

/// A row of `audit`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit, check_for_backend(diesel::sqlite::Sqlite))]
pub struct AuditRow {
    pub id: i32,
    pub timestamp: NaiveDateTime,
    pub actor: Option<String>,
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
#[derive(Clone, Debug, Serialize)]
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

/// At most 300 characters, control characters shown as `?`: a detail may quote what someone typed,
/// and must not forge lines in the log.
fn clean(s: &str) -> String {
    crate::text::clip(&s.chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>(), 300)
}

/// Records an event. A failure to store it is logged, never passed on: what was done is done.
pub async fn record(store: &Store, actor: Option<&str>, event: &'static str, detail: impl Into<String>) {
    let detail = clean(&detail.into());
    let actor = actor.map(clean);
    log::info!("audit: {event} by {}: {detail}", actor.as_deref().unwrap_or("-"));
    let row = NewAudit { timestamp: Utc::now().naive_utc(), actor, event: event.into(), detail };
    if let Err(e) = store.run(move |c| insert(c, &row)).await {
        log::error!("the audit entry {event} could not be stored: {e:?}");
    }
}

/// A schedule in one line for the audit trail: `#3 restart web at "0 3 * * *" (Europe/Berlin)`.
pub fn describe(s: &crate::store::Schedule) -> String {
    let when = match (&s.cron, &s.run_at) {
        (Some(cron), _) => format!("at {cron:?}"),
        (None, Some(at)) => format!("once at {}", crate::time::rfc3339(at)),
        (None, None) => String::new(),
    };
    let off = if s.enabled { "" } else { ", disabled" };
    format!("#{} {} {} {when} ({}{off})", s.id, s.action, s.container, s.timezone)
}

fn insert(conn: &mut SqliteConnection, new: &NewAudit) -> Result<(), AppError> {
    diesel::insert_into(audit::table).values(new).execute(conn)?;
    Ok(())
}

/// Newest first, `limit` rows with an id below `before`.
pub fn page(conn: &mut SqliteConnection, limit: i64, before: Option<i32>) -> Result<Vec<AuditRow>, AppError> {
    let mut query =
        audit::table.select(AuditRow::as_select()).order(audit::id.desc()).limit(limit).into_boxed();
    if let Some(before) = before {
        query = query.filter(audit::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Whether the trail holds any `event` (e.g. whether anyone has ever signed in).
pub fn has_event(conn: &mut SqliteConnection, event: &str) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(audit::table.filter(audit::event.eq(event)))).get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn events_are_stored_newest_first_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        assert!(!store.run(|c| has_event(c, "login_succeeded")).await.unwrap());
        record(&store, Some("ann"), "login_succeeded", "from 127.0.0.1").await;
        assert!(store.run(|c| has_event(c, "login_succeeded")).await.unwrap());
        record(&store, None, "login_failed", "from 127.0.0.1\nforged line").await;
        let rows = store.run(|c| page(c, 10, None)).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].event, "login_failed");
        assert_eq!(rows[0].detail, "from 127.0.0.1?forged line");
        assert_eq!(rows[1].actor.as_deref(), Some("ann"));
        let older = store.run(move |c| page(c, 10, Some(rows[0].id))).await.unwrap();
        assert_eq!(older.len(), 1);
    }
}
