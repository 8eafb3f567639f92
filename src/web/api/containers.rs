//! `/api/containers`: the list and one container come from the DockerActors' caches; an action
//! goes through the one path every action takes and always ends in the log. `?host=` picks the
//! host (default `local`); the list without it holds every host's containers.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::LogResult;
use crate::auth::Identity;
use crate::docker::{GetContainer, ListContainers};
use crate::domain::{Action, Container, HostId, Target};
use crate::error::{AppError, ErrorBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/containers", web::get().to(list))
        .route("/api/containers/{reference}", web::get().to(get))
        // before the actions' route, which would answer a GET of `…/logs` with 405
        .configure(super::container_logs::configure)
        .route("/api/containers/{reference}/{action}", web::post().to(act));
}

/// `?host=`: which Docker host (by name) a request means.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HostQuery {
    /// A host's name; `local` (the host of `DOCKER_HOST`) when left out.
    #[param(nullable = false, example = "local")]
    pub host: Option<String>,
}

impl HostQuery {
    pub fn host(&self) -> HostId {
        HostId(self.host.clone().unwrap_or_else(|| HostId::LOCAL.to_string()))
    }
}

/// Every host's containers (of the hosts that answer), and the hosts that do not with why.
pub async fn per_host(state: &AppState) -> (Vec<Container>, Vec<(HostId, AppError)>) {
    let answers = futures_util::future::join_all(state.actors.hosts.all().into_iter().map(
        |(host, actor)| async move {
            let answer = match actor.send(ListContainers).await {
                Ok(answer) => answer,
                Err(e) => Err(AppError::from(e)),
            };
            (host, answer)
        },
    ))
    .await;
    let (mut all, mut down) = (Vec::new(), Vec::new());
    for (host, answer) in answers {
        match answer {
            Ok(list) => all.extend(list),
            Err(e) => down.push((host, e)),
        }
    }
    (all, down)
}

/// Every host's containers; 503 when no host answers.
async fn all_containers(state: &AppState) -> Result<Vec<Container>, AppError> {
    let (all, mut down) = per_host(state).await;
    match all.is_empty() && !down.is_empty() {
        true => Err(down.remove(0).1),
        false => Ok(all),
    }
}

#[utoipa::path(get, path = "/api/containers", operation_id = "listContainers", tag = "containers",
    summary = "All containers, running or not, from the event-fed caches: of one host with ?host=, else of \
               every host that answers",
    params(HostQuery),
    responses(
        (status = 200, description = "containers", body = [Container]),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    query: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    if query.host.is_none() {
        return Ok(crate::web::json(&all_containers(&state).await?));
    }
    Ok(crate::web::json(&state.actors.hosts.get(&query.host())?.send(ListContainers).await??))
}

#[utoipa::path(get, path = "/api/containers/{ref}", operation_id = "getContainer", tag = "containers",
    summary = "One container",
    params(("ref" = String, Path, description = "a container name, full ID or unique ID prefix"), HostQuery),
    responses(
        (status = 200, description = "the container", body = Container),
        (status = 404, description = "container_not_found, host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let docker = state.actors.hosts.get(&query.host())?;
    Ok(crate::web::json(&docker.send(GetContainer(path.into_inner())).await??))
}

#[utoipa::path(post, path = "/api/containers/{ref}/{action}", operation_id = "actOnContainer",
    tag = "containers",
    summary = "Start, stop, restart, pause or unpause a container now",
    params(
        ("ref" = String, Path, description = "a container name, full ID or unique ID prefix"),
        ("action" = Action, Path, description = "what to do"),
        HostQuery,
    ),
    responses(
        (status = 200, description = "the action's log entry (success, or skipped with the reason, e.g. \
            already running, not paused)", body = LogResult),
        (status = 400, description = "invalid_action", body = ErrorBody),
        (status = 404, description = "container_not_found, host_not_found", body = ErrorBody),
        (status = 409, description = "container_busy: another action on it is in flight; swarm_task: it is a \
            task of a Swarm service (the message names it)", body = ErrorBody),
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
    let (reference, action) = path.into_inner();
    let action = action.parse::<Action>()?;
    super::act_now(&state, &who, Target::container(query.host(), reference), action).await
}
