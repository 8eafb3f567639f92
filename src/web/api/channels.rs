//! `/api/channels` and `/api/deliveries`: notification channels (admins only) and how their
//! messages went. A channel's URL is checked when saved (400 `invalid_channel_url` naming what
//! is wrong) and only ever shown redacted; it never reaches the log or the audit trail.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actors::notify::TestChannel;
use crate::auth::Identity;
use crate::error::{AppError, ErrorBody};
use crate::notify::ChannelUrl;
use crate::store::channels::{ChannelChanges, ChannelRow, NewChannel};
use crate::store::deliveries::Delivery;
use crate::store::{self, audit};
use crate::time::to_utc;
use crate::web::input::{bounded_number, not_null, path_id, required_text, JsonBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/channels", web::get().to(list))
        .route("/api/channels", web::post().to(create_api))
        .route("/api/channels/{id}", web::get().to(get))
        .route("/api/channels/{id}", web::patch().to(update_api))
        .route("/api/channels/{id}", web::delete().to(delete_api))
        .route("/api/channels/{id}/test", web::post().to(test_api))
        .route("/api/deliveries", web::get().to(deliveries));
}

/// The events a channel may want: run statuses.
pub const EVENTS: [&str; 5] = ["error", "missed", "gave_up", "skipped", "success"];
/// What a new channel wants when its events are not given.
pub const DEFAULT_EVENTS: [&str; 3] = ["error", "missed", "gave_up"];
const MAX_NAME: usize = 64;

/// API.md's `Channel`: the URL with its secrets as `***`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: i32,
    pub name: String,
    /// The channel's URL, secrets replaced by `***`.
    #[schema(example = "ntfy://***@ntfy.sh/alerts")]
    pub url: String,
    /// ntfy, gotify, discord, slack, telegram, pushover, webhook or email.
    pub service: String,
    /// Any of error, missed, gave_up, skipped, success.
    pub events: Vec<String>,
    pub enabled: bool,
    #[serde(with = "crate::time::serde_utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<ChannelRow> for Channel {
    fn from(r: ChannelRow) -> Channel {
        let (url, service) = match ChannelUrl::parse(&r.url) {
            Ok(u) => (u.redacted().to_string(), u.service.kind().to_string()),
            Err(_) => ("(unreadable: save it again)".into(), "unknown".into()),
        };
        Channel {
            id: r.id,
            name: r.name.clone(),
            url,
            service,
            events: r.events(),
            enabled: r.enabled,
            created_at: to_utc(r.created_at),
            updated_at: to_utc(r.updated_at),
        }
    }
}

/// POST and PATCH: on create `name` and `url` are required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    #[serde(default, deserialize_with = "not_null::name")]
    #[schema(nullable = false, max_length = 64)]
    pub name: Option<String>,
    /// shoutrrr grammar (NOTIFICATIONS.md); write-only: answers show it redacted.
    #[serde(default, deserialize_with = "not_null::url")]
    #[schema(nullable = false, max_length = 2048, example = "ntfy://tk_mytoken@ntfy.sh/alerts")]
    pub url: Option<String>,
    /// Any of error, missed, gave_up, skipped, success; default error, missed, gave_up.
    #[serde(default, deserialize_with = "not_null::events")]
    #[schema(nullable = false, value_type = Vec<String>)]
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null::enabled")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

/// The answer of the test button.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    pub delivered: bool,
    /// The remote's status (HTTP, or the SMTP reply code).
    pub status: u16,
    /// The remote's answer, clipped.
    pub answer: String,
}

fn channel_id(raw: &str) -> Result<i32, AppError> {
    path_id(raw, "channel_not_found", "notification channel")
}

/// The events as stored: known words, no repeats, at least one.
pub fn check_events(events: &[String]) -> Result<String, AppError> {
    let mut out: Vec<&str> = Vec::new();
    for e in events {
        let word = EVENTS.iter().find(|w| **w == e.trim()).ok_or_else(|| {
            AppError::invalid(
                "invalid_events",
                Some("events"),
                format!("events: {:?} is not one of {}", crate::text::clip(e, 40), EVENTS.join(", ")),
            )
        })?;
        if !out.contains(word) {
            out.push(word);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("invalid_events", Some("events"), "events: name at least one event"));
    }
    Ok(out.join(","))
}

/// The URL as it is stored, once it parses.
pub fn check_url(raw: &str) -> Result<String, AppError> {
    ChannelUrl::parse(raw)?;
    Ok(raw.trim().to_string())
}

/// Creates a channel (admins only).
pub(crate) async fn create(state: &AppState, who: &Identity, body: ChannelBody) -> Result<Channel, AppError> {
    who.require_admin()?;
    let name = required_text(body.name, "name", MAX_NAME)?;
    let url = check_url(
        &body.url.ok_or_else(|| AppError::invalid("missing_field", Some("url"), "url is required"))?,
    )?;
    let events = match body.events {
        Some(events) => check_events(&events)?,
        None => DEFAULT_EVENTS.join(","),
    };
    let now = Utc::now().naive_utc();
    let new = NewChannel {
        name,
        url,
        events,
        enabled: body.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let row = store::channels::insert(&state.actors.store, new).await?;
    audit::record(&state.actors.store, who.name.as_deref(), "channel_created", row.name.clone()).await;
    Ok(row.into())
}

/// Changes a channel (admins only).
pub(crate) async fn update(
    state: &AppState,
    who: &Identity,
    id: i32,
    body: ChannelBody,
) -> Result<Channel, AppError> {
    who.require_admin()?;
    let changes = ChannelChanges {
        name: body.name.map(|n| required_text(Some(n), "name", MAX_NAME)).transpose()?,
        url: body.url.map(|u| check_url(&u)).transpose()?,
        events: body.events.map(|e| check_events(&e)).transpose()?,
        enabled: body.enabled,
        updated_at: Some(Utc::now().naive_utc()),
    };
    let row = store::channels::update(&state.actors.store, id, changes).await?;
    audit::record(&state.actors.store, who.name.as_deref(), "channel_updated", row.name.clone()).await;
    Ok(row.into())
}

/// Deletes a channel and its deliveries (admins only).
pub(crate) async fn remove(state: &AppState, who: &Identity, id: i32) -> Result<(), AppError> {
    who.require_admin()?;
    let row = store::channels::get(&state.actors.store, id).await?;
    store::channels::delete(&state.actors.store, id).await?;
    audit::record(&state.actors.store, who.name.as_deref(), "channel_deleted", row.name).await;
    Ok(())
}

/// Sends a test message now (admins only).
pub(crate) async fn test(state: &AppState, who: &Identity, id: i32) -> Result<TestResult, AppError> {
    who.require_admin()?;
    let sent = state.actors.notify.send(TestChannel(id)).await??;
    Ok(TestResult { delivered: true, status: sent.status, answer: sent.answer })
}

/// Every channel (admins only).
pub(crate) async fn visible(state: &AppState, who: &Identity) -> Result<Vec<Channel>, AppError> {
    who.require_admin()?;
    Ok(store::channels::list(&state.actors.store).await?.into_iter().map(Channel::from).collect())
}

#[utoipa::path(get, path = "/api/channels", operation_id = "listChannels", tag = "notifications",
    summary = "Notification channels (admin), their URLs redacted",
    responses(
        (status = 200, description = "channels", body = [Channel]),
        (status = 403, description = "forbidden: admins only", body = ErrorBody),
    ))]
pub(super) async fn list(state: web::Data<AppState>, who: Identity) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&visible(&state, &who).await?))
}

#[utoipa::path(get, path = "/api/channels/{id}", operation_id = "getChannel", tag = "notifications",
    summary = "One notification channel (admin)",
    params(("id" = i32, Path, description = "channel id")),
    responses(
        (status = 200, description = "the channel", body = Channel),
        (status = 403, description = "forbidden: admins only", body = ErrorBody),
        (status = 404, description = "channel_not_found", body = ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    who.require_admin()?;
    let row = store::channels::get(&state.actors.store, channel_id(&id)?).await?;
    Ok(crate::web::json(&Channel::from(row)))
}

#[utoipa::path(post, path = "/api/channels", operation_id = "createChannel", tag = "notifications",
    summary = "Create a notification channel (admin)",
    request_body = ChannelBody,
    responses(
        (status = 201, description = "created", body = Channel,
            headers(("Location" = String, description = "the channel's address, /api/channels/{id}"))),
        (status = 400, description = "invalid_channel_url, invalid_events, missing_field, name_taken, too_long, \
            invalid_characters, invalid_json, unknown_field", body = ErrorBody),
    ))]
pub(super) async fn create_api(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<ChannelBody>,
) -> Result<HttpResponse, AppError> {
    let channel = create(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/channels/{}", channel.id)))
        .json(channel))
}

#[utoipa::path(patch, path = "/api/channels/{id}", operation_id = "updateChannel", tag = "notifications",
    summary = "Change a notification channel (admin): any subset of the create fields",
    params(("id" = i32, Path, description = "channel id")),
    request_body = ChannelBody,
    responses(
        (status = 200, description = "the channel", body = Channel),
        (status = 400, description = "invalid_channel_url, invalid_events, missing_field, name_taken, too_long, \
            invalid_characters, invalid_json, unknown_field", body = ErrorBody),
        (status = 404, description = "channel_not_found", body = ErrorBody),
    ))]
pub(super) async fn update_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
    body: JsonBody<ChannelBody>,
) -> Result<HttpResponse, AppError> {
    let id = channel_id(&id)?;
    Ok(crate::web::json(&update(&state, &who, id, body.into_inner()).await?))
}

#[utoipa::path(delete, path = "/api/channels/{id}", operation_id = "deleteChannel", tag = "notifications",
    summary = "Delete a notification channel and its deliveries (admin)",
    params(("id" = i32, Path, description = "channel id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "channel_not_found", body = ErrorBody),
    ))]
pub(super) async fn delete_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &who, channel_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/channels/{id}/test", operation_id = "testChannel", tag = "notifications",
    summary = "Send a test message now (admin) and show the remote's answer",
    params(("id" = i32, Path, description = "channel id")),
    responses(
        (status = 200, description = "delivered", body = TestResult),
        (status = 400, description = "invalid_channel_url: the stored URL no longer parses", body = ErrorBody),
        (status = 404, description = "channel_not_found", body = ErrorBody),
        (status = 502, description = "delivery_failed, with the remote's status and message", body = ErrorBody),
    ))]
pub(super) async fn test_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&test(&state, &who, channel_id(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveryQuery {
    /// How many, newest first, 1 to 500; default 50.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// Only this channel's.
    #[param(value_type = Option<i32>, nullable = false, minimum = 1)]
    channel_id: Option<String>,
}

#[utoipa::path(get, path = "/api/deliveries", operation_id = "listDeliveries", tag = "notifications",
    summary = "Recent notification deliveries (admin), newest first",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "deliveries", body = [Delivery]),
        (status = 400, description = "invalid_parameter", body = ErrorBody),
        (status = 403, description = "forbidden: admins only", body = ErrorBody),
    ))]
pub(super) async fn deliveries(
    state: web::Data<AppState>,
    who: Identity,
    q: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, AppError> {
    who.require_admin()?;
    let limit = bounded_number(q.limit.as_deref(), "limit", 50, 1, 500)?;
    let channel = q
        .channel_id
        .as_deref()
        .map(|c| bounded_number(Some(c), "channel_id", 1, 1, i64::from(i32::MAX)))
        .transpose()?;
    let rows = store::deliveries::recent(&state.actors.store, limit, channel.map(|c| c as i32)).await?;
    Ok(crate::web::json(&rows))
}
