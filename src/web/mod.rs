//! The HTTP side: thin handlers that validate input, send one message to an actor and render
//! JSON (`/api/*`) or a handlebars page.

pub mod api;
pub mod client;
pub mod cookies;
pub mod health;
pub mod identity;
pub mod input;
pub mod middleware;
pub mod pages;

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
        .content_type_required(false)
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

/// Maps what the JSON extractor refused to API.md's errors: 413 for size, 400 for the rest,
/// naming the unknown or wrongly typed field where serde says which.
fn json_error(e: JsonPayloadError) -> AppError {
    match e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge(MAX_BODY)
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let text = e.to_string();
            let field = text.split('`').nth(1).map(str::to_string);
            if text.starts_with("unknown field") {
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
