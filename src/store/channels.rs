//! The `channels` table: notification channels. A row keeps the channel's URL as it was given,
//! secrets and all; nothing outside the notifier reads it back, and the API and the pages show
//! only its redacted form (`notify::ChannelUrl`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::channels;
use super::Store;
use crate::error::AppError;

/// A row of `channels`.
#[derive(Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = channels, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ChannelRow {
    pub id: i32,
    pub name: String,
    /// The URL with its secrets: never logged, never shown.
    pub url: String,
    /// The run statuses it wants, comma-separated (`error,missed,gave_up`).
    pub events: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl std::fmt::Debug for ChannelRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &"<secret>")
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl ChannelRow {
    /// The event words, in order.
    pub fn events(&self) -> Vec<String> {
        self.events.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect()
    }

    pub fn wants(&self, event: &str) -> bool {
        self.enabled && self.events.split(',').any(|e| e == event)
    }
}

/// A channel about to be inserted (already validated).
#[derive(Clone, Insertable)]
#[diesel(table_name = channels)]
pub struct NewChannel {
    pub name: String,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns an edit changes (already validated).
#[derive(Clone, Default, AsChangeset)]
#[diesel(table_name = channels)]
pub struct ChannelChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<String>,
    pub enabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

fn not_found(id: i32) -> AppError {
    AppError::not_found("channel_not_found", format!("No notification channel has id {id}"))
}

fn name_taken(e: diesel::result::Error, name: Option<&str>) -> AppError {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            AppError::invalid(
                "name_taken",
                Some("name"),
                format!("A channel is already named {:?}: choose another name", name.unwrap_or_default()),
            )
        }
        other => other.into(),
    }
}

// The queries, on the StoreActor's connection.
impl ChannelRow {
    fn all(c: &mut SqliteConnection) -> Result<Vec<ChannelRow>, AppError> {
        Ok(channels::table.order(channels::id).select(ChannelRow::as_select()).load(c)?)
    }

    fn find(c: &mut SqliteConnection, id: i32) -> Result<ChannelRow, AppError> {
        channels::table
            .find(id)
            .select(ChannelRow::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| not_found(id))
    }
}

/// Every channel, by id.
pub async fn list(store: &Store) -> Result<Vec<ChannelRow>, AppError> {
    store.run(ChannelRow::all).await
}

/// The channel `id`; 404 `channel_not_found` when there is none.
pub async fn get(store: &Store, id: i32) -> Result<ChannelRow, AppError> {
    store.run(move |c| ChannelRow::find(c, id)).await
}

/// Adds a channel; 400 `name_taken` when another has its name.
pub async fn insert(store: &Store, new: NewChannel) -> Result<ChannelRow, AppError> {
    store
        .run(move |c| {
            diesel::insert_into(channels::table)
                .values(&new)
                .returning(ChannelRow::as_returning())
                .get_result(c)
                .map_err(|e| name_taken(e, Some(&new.name)))
        })
        .await
}

/// Changes what `changes` names; 404 when there is no such channel, 400 `name_taken`.
pub async fn update(store: &Store, id: i32, changes: ChannelChanges) -> Result<ChannelRow, AppError> {
    store
        .run(move |c| {
            diesel::update(channels::table.find(id))
                .set(&changes)
                .returning(ChannelRow::as_returning())
                .get_result(c)
                .optional()
                .map_err(|e| name_taken(e, changes.name.as_deref()))?
                .ok_or_else(|| not_found(id))
        })
        .await
}

/// Deletes a channel and its deliveries; 404 when there is none.
pub async fn delete(store: &Store, id: i32) -> Result<(), AppError> {
    store
        .run(move |c| match diesel::delete(channels::table.find(id)).execute(c)? {
            0 => Err(not_found(id)),
            _ => Ok(()),
        })
        .await
}
