//! The JSON API under `/api`, one file per resource. Routes are registered with their full
//! `/api/…` path, so that the OpenAPI test can find each one in the source.

pub mod audit;
pub mod autoheal;
pub mod containers;
pub mod cron;
pub mod events;
pub mod logs;
pub mod openapi;
pub mod schedule_steps;
pub mod schedules;
pub mod stacks;
pub mod stats;
pub mod tokens;
pub mod users;
pub mod windows;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::AppError;
use crate::store::LogEntry;

/// The answer to an action: its entry in the activity log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogResult {
    pub log: LogEntry,
}

/// Every `/api` route, then a JSON 404 for anything else under `/api` (never a page).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(containers::configure)
        .configure(schedules::configure)
        .configure(logs::configure)
        .configure(events::configure)
        .configure(openapi::configure)
        .configure(cron::configure)
        .configure(users::configure)
        .configure(tokens::configure)
        .configure(audit::configure)
        .configure(stats::configure)
        .configure(autoheal::configure)
        .configure(windows::configure)
        .configure(stacks::configure)
        .service(web::scope("/api").default_service(web::to(not_found)));
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("not_found", format!("No API route {} {}", req.method(), req.path())))
}
