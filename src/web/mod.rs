//! The HTTP side: thin handlers that validate input, send one message to an actor and render
//! JSON (`/api/*`) or a handlebars page.

pub mod api;
pub mod client;
pub mod cookies;
pub mod etag;
pub mod forwarded;
pub mod health;
pub mod hosts;
pub mod identity;
pub mod input;
pub mod middleware;
pub mod pages;
pub mod streams;

use std::sync::Arc;

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::{web, HttpResponse};

use crate::actors::Actors;
use crate::config::Config;
use crate::error::AppError;
use crate::events::EventBus;
use crate::metrics::Metrics;

/// Request bodies larger than this are refused with 413 (API.md).
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub actors: Actors,
    pub bus: EventBus,
    pub metrics: Arc<Metrics>,
    pub templates: Arc<handlebars::Handlebars<'static>>,
    /// Failed sign-ins by address, shared by every worker.
    pub throttle: Arc<crate::auth::throttle::Throttle>,
    /// Failed current-password checks by user (changing one's own password).
    pub password_changes: Arc<crate::auth::throttle::Throttle<crate::domain::UserId>>,
    /// Bounds the argon2 work of every handler together.
    pub passwords: Arc<crate::auth::password::Gate>,
    /// The open `/api/events` streams, capped per credential and in all.
    pub streams: Arc<streams::Streams>,
    /// The OpenID provider, when `CHRONTAINER_OIDC_ISSUER` is set.
    pub sso: Option<Arc<crate::auth::oidc::Provider>>,
    /// The dashboard's body as last rendered (`pages/rendered.rs`).
    pub rendered: Arc<pages::Rendered>,
}

/// Every route of the service: the API (with its JSON 404) before the pages, whose default is the
/// 404 page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(query_config())
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .configure(health::configure)
        .configure(api::configure)
        .configure(pages::configure);
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY)
        // a form or text/plain body is what another site's page can send without asking first
        .content_type_required(true)
        .error_handler(|e, _| json_error(e).into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        let QueryPayloadError::Deserialize(e) = e else {
            return AppError::invalid("invalid_query", None, "The query string cannot be read").into();
        };
        AppError::invalid("invalid_query", None, format!("The query string cannot be read: {e}")).into()
    })
}

/// Maps what the JSON extractor refused to API.md's errors: 413 for size, 415 for a body not
/// declared JSON, 400 for the rest, naming the unknown or wrongly typed field where serde says which.
fn json_error(e: JsonPayloadError) -> AppError {
    match e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge(MAX_BODY)
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let text = e.to_string();
            let field = text.split('`').nth(1).map(str::to_string);
            if let Some(null_field) = input::refused_null(&text) {
                AppError::invalid(
                    "invalid_json",
                    Some(null_field),
                    format!("The JSON body has a wrong value: {text}"),
                )
            } else if text.starts_with("unknown field") {
                AppError::invalid(
                    "unknown_field",
                    None,
                    format!(
                        "{} is not a field of this request",
                        field.as_deref().map(|f| crate::text::clip(f, 40)).unwrap_or_default()
                    ),
                )
            } else {
                AppError::invalid("invalid_json", None, format!("The JSON body has a wrong value: {text}"))
            }
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::invalid("invalid_json", None, format!("The body is not valid JSON: {e}"))
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType(
            "The body must be JSON, sent with Content-Type: application/json".into(),
        ),
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            AppError::PayloadTooLarge(MAX_BODY)
        }
        other => AppError::invalid("invalid_json", None, format!("The body cannot be read: {other}")),
    }
}

/// `200 application/json` with `value`.
pub fn json<T: serde::Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().json(value)
}
