//! `/api/containers`: the list and one container come from the DockerActors' caches; an action
//! goes through the one path every action takes and always ends in the log. `?host=` picks the
//! host (default `local`); the list without it holds every host's containers.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;
use std::time::SystemTime;

use actix::Addr;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::LogResult;
use crate::auth::Identity;
use crate::docker::{ask_hosts, ContainersVersion, DockerActor, GetContainer, ListContainersVersioned};
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
    let (mut all, mut down) = (Vec::new(), Vec::new());
    for (host, answer) in state.actors.hosts.list_all().await {
        match answer {
            Ok(list) => all.extend(list),
            Err(e) => down.push((host, e)),
        }
    }
    (all, down)
}

/// The hosts a list asks: the one of `?host=`, else every host.
fn asked(state: &AppState, query: &HostQuery) -> Result<Vec<(HostId, Addr<DockerActor>)>, AppError> {
    match query.host {
        Some(_) => Ok(vec![(query.host(), state.actors.hosts.get(&query.host())?)]),
        None => Ok(state.actors.hosts.all()),
    }
}

/// The answers a list is made of: a host named by `?host=` must answer; of all hosts, those
/// that do (503 when none does).
fn answered<T>(
    query: &HostQuery,
    answers: Vec<(HostId, Result<T, AppError>)>,
) -> Result<Vec<(HostId, Option<T>)>, AppError> {
    let mut first_error = None;
    let mut kept = Vec::with_capacity(answers.len());
    for (host, answer) in answers {
        match answer {
            Ok(value) => kept.push((host, Some(value))),
            Err(e) if query.host.is_some() => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
                kept.push((host, None));
            }
        }
    }
    match (kept.iter().any(|(_, v)| v.is_some()), first_error) {
        (false, Some(e)) => Err(e),
        _ => Ok(kept),
    }
}

/// The list's entity tag: this process (so that no tag from before a restart matches), then each
/// host with its cache's version, or none while it does not answer.
fn list_tag<'a>(versions: impl Iterator<Item = (&'a HostId, Option<u64>)>) -> String {
    static STARTED: OnceLock<(u32, u128)> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let since_epoch = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
        (std::process::id(), since_epoch.map(|d| d.as_nanos()).unwrap_or_default())
    });
    let mut hasher = DefaultHasher::new();
    started.hash(&mut hasher);
    versions.for_each(|v| v.hash(&mut hasher));
    format!("\"{:016x}\"", hasher.finish())
}

/// A list's answer carries its tag; the client revalidates each time (`no-cache`).
fn tagged(mut response: HttpResponseBuilder, etag: String) -> HttpResponseBuilder {
    response.insert_header((header::ETAG, etag)).insert_header((header::CACHE_CONTROL, "private, no-cache"));
    response
}

#[utoipa::path(get, path = "/api/containers", operation_id = "listContainers", tag = "containers",
    summary = "All containers, running or not, from the event-fed caches: of one host with ?host=, else of \
               every host that answers",
    description = "The answer carries an `ETag` that changes whenever the list would (a container changed, \
                   or a status text such as \"Up 5 minutes\" moved on); a request whose `If-None-Match` \
                   names it is answered 304 without the list.",
    params(HostQuery,
        ("If-None-Match" = Option<String>, Header, description = "the `ETag` of the list the client has")),
    responses(
        (status = 200, description = "containers", body = [Container],
            headers(("ETag" = String, description = "the list's version"))),
        (status = 304, description = "not modified: `If-None-Match` names the current `ETag`",
            headers(("ETag" = String, description = "the list's version"))),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let hosts = asked(&state, &query)?;
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        let versions = answered(&query, ask_hosts(&hosts, || ContainersVersion).await)?;
        let etag = list_tag(versions.iter().map(|(host, v)| (host, *v)));
        if crate::web::etag::unchanged(&req, &etag) {
            return Ok(tagged(HttpResponse::NotModified(), etag).finish());
        }
    }
    let lists = answered(&query, ask_hosts(&hosts, || ListContainersVersioned).await)?;
    let etag = list_tag(lists.iter().map(|(host, l)| (host, l.as_ref().map(|(v, _)| *v))));
    let all: Vec<Container> = lists.into_iter().filter_map(|(_, l)| l).flat_map(|(_, list)| list).collect();
    Ok(tagged(HttpResponse::Ok(), etag).json(&all))
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
