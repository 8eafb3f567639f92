//! The HTTP side: thin handlers that validate input, send one message to an actor and render
//! JSON (`/api/*`) or a handlebars page.

pub mod audit;
pub mod auth;
pub mod containers;
pub mod events;
pub mod health;
pub mod input;
pub mod logs;
pub mod openapi;
pub mod pages;
pub mod preview;
pub mod schedules;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::{web, HttpRequest, HttpResponse};

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

/// Every route of the service. API routes are registered with their full `/api/…` path, so that
/// the OpenAPI test can find each one in the source.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .app_data(query_config())
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .configure(health::configure)
        .configure(containers::configure)
        .configure(schedules::configure)
        .configure(logs::configure)
        .configure(events::configure)
        .configure(openapi::configure)
        .route("/api/cron/preview", web::get().to(preview::preview))
        .configure(users::configure)
        .configure(tokens::configure)
        .configure(audit::configure)
        .configure(auth::configure)
        // after every API route: anything else under /api is a JSON 404, never a page
        .service(web::scope("/api").default_service(web::to(api_not_found)))
        .configure(pages::configure);
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("not_found", format!("No API route {} {}", req.method(), req.path())))
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
