//! `/api/services`: Swarm services on a manager host, and actions on them through the
//! orchestrator (the one path every action takes, so they are logged like any other).

use actix_web::{web, HttpResponse};

use super::containers::HostQuery;
use super::LogResult;
use crate::auth::Identity;
use crate::docker::ListServices;
use crate::domain::{Action, Service, Target};
use crate::error::{AppError, ErrorBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/services", web::get().to(list))
        .route("/api/services/{name}/{action}", web::post().to(act));
}

/// Start, stop and restart; pause and unpause mean nothing to a Swarm service (400).
pub fn service_action(raw: &str) -> Result<Action, AppError> {
    let action = raw.parse::<Action>()?;
    match action {
        Action::Pause | Action::Unpause => Err(AppError::invalid(
            "invalid_action",
            Some("action"),
            format!("action: {action} is not an action for a Swarm service; use start, stop or restart"),
        )),
        _ => Ok(action),
    }
}

#[utoipa::path(get, path = "/api/services", operation_id = "listServices", tag = "services",
    summary = "The Swarm services of a manager host",
    params(HostQuery),
    responses(
        (status = 200, description = "services", body = [Service]),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 409, description = "not_a_swarm_manager", body = ErrorBody),
        (status = 502, description = "docker_error", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    query: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let docker = state.actors.hosts.get(&query.host())?;
    Ok(crate::web::json(&docker.send(ListServices).await??))
}

#[utoipa::path(post, path = "/api/services/{name}/{action}", operation_id = "actOnService", tag = "services",
    summary = "Restart (a forced update), stop (scale to 0, the replicas remembered) or start (restore) a \
               Swarm service",
    params(
        ("name" = String, Path, description = "the service's name or ID"),
        ("action" = String, Path, description = "start, stop or restart"),
        HostQuery,
    ),
    responses(
        (status = 200, description = "the action's log entry (success, or skipped with the reason)",
            body = LogResult),
        (status = 400, description = "invalid_action (pause and unpause too)", body = ErrorBody),
        (status = 404, description = "service_not_found, host_not_found", body = ErrorBody),
        (status = 409, description = "not_a_swarm_manager; container_busy: another action on it is in flight",
            body = ErrorBody),
        (status = 502, description = "docker_error: the Engine refused (the failure is logged too)",
            body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn act(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<(String, String)>,
    query: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let (name, action) = path.into_inner();
    let action = service_action(&action)?;
    super::act_now(&state, &who, Target::service(query.host(), name), action).await
}
