//! `/api/containers`: the list and one container come from the DockerActor's cache; an action
//! goes through the one path every action takes and always ends in the log.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::actors::docker::{GetContainer, ListContainers, Target};
use crate::actors::failure_error;
use crate::auth::Identity;
use crate::domain::{Action, HostId, Trigger};
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
    let (entry, failure) = state
        .actors
        .run_and_record(
            Target::container(HostId::local(), reference),
            action,
            Trigger::Manual,
            None,
            who.actor(),
        )
        .await?;
    match failure {
        Some(failure) => Err(failure_error(&failure, &entry)),
        None => Ok(crate::web::json(&json!({ "log": entry }))),
    }
}
