//! `/api/containers`: the list and one container come from the DockerActor's cache; an action
//! goes through the one path every action takes and always ends in the log.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::actors::runner::Request;
use crate::auth::Identity;
use crate::docker::{GetContainer, ListContainers};
use crate::domain::{Action, HostId, Target, Trigger};
use crate::error::AppError;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/containers", web::get().to(list))
        .route("/api/containers/{reference}", web::get().to(get))
        .route("/api/containers/{reference}/{action}", web::post().to(act));
}

async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&state.actors.docker.send(ListContainers).await??))
}

async fn get(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&state.actors.docker.send(GetContainer(path.into_inner())).await??))
}

async fn act(
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
    Ok(crate::web::json(&json!({ "log": entry })))
}
