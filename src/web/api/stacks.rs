//! `/api/stacks`: compose projects read from the containers' labels, and their actions in
//! dependency order; `/api/containers/{ref}/dependents`: who restarts with a container.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::actors::chain::{self, RunReport};
use crate::auth::Identity;
use crate::docker::stacks;
use crate::domain::{Action, HostId, Stack};
use crate::error::{AppError, ErrorBody};
use crate::web::input::{bounded_number, optional_text};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/stacks", web::get().to(list))
        .route("/api/stacks/{name}/{action}", web::post().to(act))
        .route("/api/containers/{reference}/dependents", web::get().to(dependents))
        .route("/api/containers/{reference}/dependents/restart", web::post().to(restart_with_dependents));
}

/// The query of the stack routes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StackParams {
    /// The Docker host's name; default `local`.
    #[param(nullable = false, max_length = 64)]
    pub host: Option<String>,
    /// How long a step waits for its dependency's condition (healthy, completed), 1 to 3600 s;
    /// default 60. Actions only.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 3600)]
    pub timeout_s: Option<String>,
}

impl StackParams {
    fn host(&self) -> Result<HostId, AppError> {
        Ok(optional_text(self.host.clone(), "host", 64)?.map_or_else(HostId::local, HostId))
    }

    fn timeout(&self) -> Result<Duration, AppError> {
        let raw = self.timeout_s.as_deref().filter(|s| !s.is_empty());
        Ok(Duration::from_secs(bounded_number(raw, "timeout_s", 60, 1, 3600)? as u64))
    }
}

#[utoipa::path(get, path = "/api/stacks", operation_id = "listStacks", tag = "stacks",
    summary = "The compose projects on a host, their services, dependencies and order",
    params(StackParams),
    responses(
        (status = 200, description = "stacks, by name", body = [Stack]),
        (status = 400, description = "invalid_parameter, too_long", body = ErrorBody),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    params: web::Query<StackParams>,
) -> Result<HttpResponse, AppError> {
    let host = params.host()?;
    params.timeout()?;
    Ok(crate::web::json(&state.actors.runner.stacks(&host).await?))
}

#[utoipa::path(post, path = "/api/stacks/{name}/{action}", operation_id = "actOnStack", tag = "stacks",
    summary = "Restart, stop or start a whole compose project in dependency order, as one run",
    params(
        ("name" = String, Path, description = "the compose project"),
        ("action" = String, Path, description = "restart, stop or start"),
        StackParams,
    ),
    responses(
        (status = 200, description = "the run: one log entry per container step, sharing run_id; \
            a failed step (status error) stopped the run and says why", body = RunReport),
        (status = 400, description = "invalid_action, invalid_parameter", body = ErrorBody),
        (status = 404, description = "stack_not_found, host_not_found", body = ErrorBody),
        (status = 409, description = "dependency_cycle: the services depend on each other in a cycle",
            body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn act(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<(String, String)>,
    params: web::Query<StackParams>,
) -> Result<HttpResponse, AppError> {
    let (name, action) = path.into_inner();
    let action = stacks::ordered(action.parse::<Action>()?)?;
    let (host, timeout) = (params.host()?, params.timeout()?);
    let report = chain::run_stack(&state.actors.runner, host, &name, action, timeout, who.actor()).await?;
    Ok(crate::web::json(&report))
}

/// Who restarts with a container.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DependentsAnswer {
    pub container: String,
    /// In the order they start again.
    pub dependents: Vec<String>,
}

#[utoipa::path(get, path = "/api/containers/{ref}/dependents", operation_id = "containerDependents",
    tag = "containers",
    summary = "The containers that restart with this one: those sharing its network namespace, and \
               those of its stack whose dependency on it says restart: true",
    params(("ref" = String, Path, description = "a container name, full ID or unique ID prefix"), StackParams),
    responses(
        (status = 200, description = "its dependents", body = DependentsAnswer),
        (status = 400, description = "invalid_parameter, too_long", body = ErrorBody),
        (status = 404, description = "container_not_found, host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn dependents(
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<StackParams>,
) -> Result<HttpResponse, AppError> {
    let host = params.host()?;
    params.timeout()?;
    let (container, dependents) = state.actors.runner.dependents(&host, &path.into_inner()).await?;
    Ok(crate::web::json(&DependentsAnswer { container, dependents }))
}

#[utoipa::path(post, path = "/api/containers/{ref}/dependents/restart",
    operation_id = "restartWithDependents", tag = "containers",
    summary = "Restart a container with its dependents: stop them, restart it, start them, as one run",
    params(("ref" = String, Path, description = "a container name, full ID or unique ID prefix"), StackParams),
    responses(
        (status = 200, description = "the run, one log entry per step", body = RunReport),
        (status = 400, description = "invalid_parameter, too_long", body = ErrorBody),
        (status = 404, description = "container_not_found, host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn restart_with_dependents(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<String>,
    params: web::Query<StackParams>,
) -> Result<HttpResponse, AppError> {
    let (host, timeout) = (params.host()?, params.timeout()?);
    let reference = path.into_inner();
    let report =
        chain::restart_with_dependents(&state.actors.runner, host, &reference, timeout, who.actor()).await?;
    Ok(crate::web::json(&report))
}
