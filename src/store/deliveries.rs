//! The `deliveries` table: one row per message handed to a channel, updated as its attempts go
//! (`retrying` until it is `sent` or `failed`). Pruned with the activity log.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::schema::{channels, deliveries};
use super::Store;
use crate::error::AppError;
use crate::time::to_utc;

/// How a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Failed,
    Retrying,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Retrying => "retrying",
        }
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = deliveries)]
struct NewDelivery {
    channel_id: i32,
    log_id: Option<i32>,
    status: &'static str,
    attempts: i32,
    error: Option<String>,
    timestamp: NaiveDateTime,
}

/// API.md's delivery: `{id, channel, log_id, status, attempts, error, timestamp}`.
#[derive(Clone, Debug, PartialEq, Serialize, Queryable, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i32,
    /// The channel's name.
    pub channel: String,
    pub channel_id: i32,
    /// The activity-log entry it tells about; `null` for a test message or a host event.
    pub log_id: Option<i32>,
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub attempts: i32,
    /// The last failure: the remote's status and message, or why it could not be reached.
    pub error: Option<String>,
    #[serde(serialize_with = "naive_utc")]
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: NaiveDateTime,
}

fn naive_utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    let t: DateTime<Utc> = to_utc(*t);
    s.serialize_str(&crate::time::rfc3339(&t))
}

fn status_schema() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["sent", "failed", "retrying"])).build()
}

/// Starts a delivery (`retrying`, no attempt yet); answers its id.
pub async fn start(
    store: &Store,
    channel_id: i32,
    log_id: Option<i32>,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    let new = NewDelivery {
        channel_id,
        log_id,
        status: DeliveryStatus::Retrying.as_str(),
        attempts: 0,
        error: None,
        timestamp: now,
    };
    store
        .run(move |c| {
            Ok(diesel::insert_into(deliveries::table).values(&new).returning(deliveries::id).get_result(c)?)
        })
        .await
}

/// Records an attempt's outcome.
pub async fn attempted(
    store: &Store,
    id: i32,
    status: DeliveryStatus,
    attempts: i32,
    error: Option<String>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    store
        .run(move |c| {
            diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::status.eq(status.as_str()),
                    deliveries::attempts.eq(attempts),
                    deliveries::error.eq(error),
                    deliveries::timestamp.eq(now),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
}

/// The newest `limit` deliveries, of one channel if given.
pub async fn recent(store: &Store, limit: i64, channel_id: Option<i32>) -> Result<Vec<Delivery>, AppError> {
    store
        .run(move |c: &mut SqliteConnection| {
            let mut q = deliveries::table
                .inner_join(channels::table)
                .select((
                    deliveries::id,
                    channels::name,
                    deliveries::channel_id,
                    deliveries::log_id,
                    deliveries::status,
                    deliveries::attempts,
                    deliveries::error,
                    deliveries::timestamp,
                ))
                .order(deliveries::id.desc())
                .limit(limit)
                .into_boxed();
            if let Some(id) = channel_id {
                q = q.filter(deliveries::channel_id.eq(id));
            }
            Ok(q.load::<Delivery>(c)?)
        })
        .await
}

/// Deletes deliveries older than `before`; answers how many went.
pub async fn prune(store: &Store, before: NaiveDateTime) -> Result<usize, AppError> {
    store
        .run(move |c| {
            Ok(diesel::delete(deliveries::table.filter(deliveries::timestamp.lt(before))).execute(c)?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::channels::{self, NewChannel};
    use crate::store::schedules::tests::t;

    #[actix_rt::test]
    async fn deliveries_follow_their_attempts_and_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let new = NewChannel {
            name: "phone".into(),
            url: "ntfy://tk_x@ntfy.sh/a".into(),
            events: "error,missed".into(),
            enabled: true,
            created_at: t(1),
            updated_at: t(1),
        };
        let ch = channels::insert(&store, new.clone()).await.unwrap();
        assert!(ch.wants("error") && !ch.wants("success"));
        assert!(!format!("{ch:?}").contains("tk_x"));
        let taken = channels::insert(&store, NewChannel { name: "PHONE".into(), ..new }).await.unwrap_err();
        assert_eq!(taken.code(), "name_taken");
        let id = start(&store, ch.id, Some(7), t(2)).await.unwrap();
        attempted(&store, id, DeliveryStatus::Failed, 3, Some("HTTP 400: bad".into()), t(3)).await.unwrap();
        let all = recent(&store, 10, None).await.unwrap();
        assert_eq!(
            (all[0].channel.as_str(), all[0].status.as_str(), all[0].attempts),
            ("phone", "failed", 3)
        );
        let json = serde_json::to_value(&all[0]).unwrap();
        assert_eq!(json["timestamp"], "2026-01-05T03:00:00Z");
        assert_eq!(prune(&store, t(4)).await.unwrap(), 1);
        channels::delete(&store, ch.id).await.unwrap();
        assert_eq!(channels::delete(&store, ch.id).await.unwrap_err().code(), "channel_not_found");
    }
}
