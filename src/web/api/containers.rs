//! `/api/containers`: the list and one container come from the DockerActor's cache; an action
//! goes through the one path every action takes and always ends in the log.

use actix_web::{web, HttpResponse};

use super::LogResult;
use crate::actors::runner::Request;
use crate::auth::Identity;
use crate::docker::{GetContainer, ListContainers};
use crate::domain::{Action, Container, HostId, Target, Trigger};
use crate::error::{AppError, ErrorBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/containers", web::get().to(list))
        .route("/api/containers/{reference}", web::get().to(get))
        // before the actions' route, which would answer a GET of `…/logs` with 405
        .configure(super::container_logs::configure)
        .route("/api/containers/{reference}/{action}", web::post().to(act));
}

#[utoipa::path(get, path = "/api/containers", operation_id = "listContainers", tag = "containers",
    summary = "All containers, running or not, from the event-fed cache",
    responses(
        (status = 200, description = "containers", body = [Container]),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&state.actors.docker.send(ListContainers).await??))
}

#[utoipa::path(get, path = "/api/containers/{ref}", operation_id = "getContainer", tag = "containers",
    summary = "One container",
    params(("ref" = String, Path, description = "a container name, full ID or unique ID prefix")),
    responses(
        (status = 200, description = "the container", body = Container),
        (status = 404, description = "container_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&state.actors.docker.send(GetContainer(path.into_inner())).await??))
}

#[utoipa::path(post, path = "/api/containers/{ref}/{action}", operation_id = "actOnContainer",
    tag = "containers",
    summary = "Start, stop, restart, pause or unpause a container now",
    params(
        ("ref" = String, Path, description = "a container name, full ID or unique ID prefix"),
        ("action" = Action, Path, description = "what to do"),
    ),
    responses(
        (status = 200, description = "the action's log entry (success, or skipped with the reason, e.g. \
            already running, not paused)", body = LogResult),
        (status = 400, description = "invalid_action", body = ErrorBody),
        (status = 404, description = "container_not_found", body = ErrorBody),
        (status = 409, description = "container_busy: another action on it is in flight", body = ErrorBody),
        (status = 502, description = "docker_error: the Engine refused (the failure is logged too)",
            body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn act(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reference, action) = path.into_inner();
    let action = action.parse::<Action>()?;
    let request = Request {
        target: Target::container(HostId::local(), reference),
        action,
        trigger: Trigger::Manual,
        schedule_id: None,
        requested_by: who.actor(),
    };
    let entry = state.actors.runner.run(request).await?.into_answer()?;
    Ok(crate::web::json(&LogResult { log: entry }))
}
