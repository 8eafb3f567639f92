//! `/api/runs/{run_id}/restore`: after a run of steps that failed (a stack action, a chain),
//! start again what it stopped (`actors/restore.rs`).

use actix_web::{web, HttpResponse};

use crate::actors::chain::RunReport;
use crate::actors::restore;
use crate::auth::Identity;
use crate::error::{AppError, ErrorBody};
use crate::store::{self, LogQuery};
use crate::web::input::required_text;
use crate::web::AppState;

/// At most this many entries of one run are read (a chain has at most 20 steps; a stack step
/// becomes two per container).
const MAX_ENTRIES: i64 = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/runs/{run_id}/restore", web::post().to(restore_run));
}

#[utoipa::path(post, path = "/api/runs/{run_id}/restore", operation_id = "restoreRun", tag = "runs",
    summary = "Start again what a run stopped and did not start again, as a run of its own",
    params(("run_id" = String, Path, description = "the run's id (a LogEntry's run_id)", max_length = 64)),
    responses(
        (status = 200, description = "the restore's own run: one start per container that the run \
            stopped and is still stopped, in the reverse order of the stops", body = RunReport),
        (status = 400, description = "too_long, invalid_characters", body = ErrorBody),
        (status = 404, description = "run_not_found: no log entry has that run_id; host_not_found",
            body = ErrorBody),
        (status = 409, description = "nothing_to_restore: nothing the run stopped is stopped now",
            body = ErrorBody),
    ))]
pub(super) async fn restore_run(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let run_id = required_text(Some(path.into_inner()), "run_id", 64)?;
    let query = LogQuery { limit: MAX_ENTRIES, run_id: Some(run_id.clone()), ..Default::default() };
    let mut entries = store::logs::page(&state.actors.store, query).await?.items;
    entries.reverse();
    let report = restore::restore(&state.actors.runner, &run_id, &entries, who.actor()).await?;
    Ok(crate::web::json(&report))
}
