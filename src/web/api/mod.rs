//! The JSON API under `/api`, one file per resource. Routes are registered with their full
//! `/api/…` path, so that the OpenAPI test can find each one in the source.

pub mod audit;
pub mod autoheal;
pub mod channels;
pub mod container_logs;
pub mod containers;
pub mod cron;
pub mod events;
pub mod hosts;
pub mod logs;
pub mod openapi;
pub mod runs;
pub mod schedule_steps;
pub mod schedules;
pub mod services;
pub mod stacks;
pub mod stats;
pub mod tokens;
pub mod users;
pub mod windows;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::actors::runner::Request;
use crate::auth::Identity;
use crate::domain::{Action, Target, Trigger};
use crate::error::AppError;
use crate::store::LogEntry;
use crate::web::AppState;

/// The answer to an action: its entry in the activity log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogResult {
    pub log: LogEntry,
}

/// Does `action` to `target` now, for the person who asked, through the one path every action
/// takes; answers its log entry (or the error an action that did not happen is).
pub(crate) async fn act_now(
    state: &AppState,
    who: &Identity,
    target: Target,
    action: Action,
) -> Result<HttpResponse, AppError> {
    state.actors.hosts.get(&target.host)?;
    let request =
        Request { target, action, trigger: Trigger::Manual, schedule_id: None, requested_by: who.actor() };
    let entry = state.actors.runner.run(request).await?.into_answer()?;
    Ok(crate::web::json(&LogResult { log: entry }))
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
        .configure(channels::configure)
        .configure(hosts::configure)
        .configure(services::configure)
        .configure(stacks::configure)
        .configure(runs::configure)
        .service(web::scope("/api").default_service(web::to(not_found)));
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("not_found", format!("No API route {} {}", req.method(), req.path())))
}
