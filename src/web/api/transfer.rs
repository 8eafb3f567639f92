//! `GET /api/export` and `POST /api/import`: the JSON backup of `import::transfer`. An import is
//! planned against the schedules there are, answered as a diff, and (unless `dry_run`) written
//! through the SchedulerActor, so timers follow at once.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use crate::actors::scheduler::{Create, Delete, Update};
use crate::auth::Identity;
use crate::domain::HostId;
use crate::error::{AppError, ErrorBody};
use crate::import::transfer::{self, Document, Mode, Report, Step};
use crate::store::{self, audit};
use crate::web::input::JsonBody;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/export", web::get().to(export)).route("/api/import", web::post().to(import));
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `true` (admins only) includes secrets such as channel URLs; default `false`.
    #[param(value_type = Option<bool>, nullable = false)]
    pub secrets: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `merge` (default) keeps the schedules the file does not name; `replace` removes them
    /// (label schedules are never removed).
    #[param(value_type = Option<Mode>, nullable = false)]
    pub mode: Option<String>,
    /// `true` answers what would change and writes nothing.
    #[param(value_type = Option<bool>, nullable = false)]
    pub dry_run: Option<String>,
}

fn flag(raw: Option<&str>, name: &'static str) -> Result<bool, AppError> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AppError::invalid(
            "invalid_parameter",
            Some(name),
            format!("{name}: {:?} is not true or false", crate::text::clip(other, 20)),
        )),
    }
}

#[utoipa::path(get, path = "/api/export", operation_id = "exportBackup", tag = "backup",
    summary = "The versioned JSON backup: hosts by name and URL, schedules by host and target name, channels",
    params(ExportParams),
    responses(
        (status = 200, description = "the backup document", body = Document),
        (status = 400, description = "invalid_parameter", body = ErrorBody),
        (status = 403, description = "forbidden: secrets=true is for admins", body = ErrorBody),
    ))]
pub(super) async fn export(
    state: web::Data<AppState>,
    who: Identity,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, AppError> {
    let secrets = flag(params.secrets.as_deref(), "secrets")?;
    if secrets {
        who.require_admin()?;
    }
    let store = &state.actors.store;
    let (rows, hosts, channels) =
        tokio::join!(store::schedules::list(store), store::hosts::list(store), store::channels::list(store));
    let doc = transfer::export(&rows?, &hosts?, &channels?, secrets, Utc::now());
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", "attachment; filename=\"chrontainer-backup.json\""))
        .json(doc))
}

#[utoipa::path(post, path = "/api/import", operation_id = "importBackup", tag = "backup",
    summary = "Restore a backup: answers the diff (created, updated, unchanged, removed, skipped, errors)",
    params(ImportParams),
    request_body = Document,
    responses(
        (status = 200, description = "what the import did, or would do with dry_run=true", body = Report),
        (status = 400, description = "unsupported_version, invalid_parameter, invalid_json, unknown_field",
            body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
    ))]
pub(super) async fn import(
    state: web::Data<AppState>,
    who: Identity,
    params: web::Query<ImportParams>,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let mode = match params.mode.as_deref() {
        None | Some("merge") => Mode::Merge,
        Some("replace") => Mode::Replace,
        Some(other) => {
            return Err(AppError::invalid(
                "invalid_parameter",
                Some("mode"),
                format!("mode: {:?} is not merge or replace", crate::text::clip(other, 20)),
            ))
        }
    };
    let dry_run = flag(params.dry_run.as_deref(), "dry_run")?;
    let doc = transfer::read(body.into_inner())?;
    let rows = store::schedules::list(&state.actors.store).await?;
    let hosts: Vec<HostId> = state.actors.hosts.all().into_iter().map(|(h, _)| h).collect();
    let (steps, mut report) = transfer::plan(&doc, &rows, &hosts, mode, Utc::now());
    report.dry_run = dry_run;
    if dry_run {
        return Ok(crate::web::json(&report));
    }
    for step in &steps {
        let done = match step {
            Step::Create(_, new) => {
                state.actors.scheduler.send(Create(new.clone())).await.map(|r| r.map(drop))
            }
            Step::Update(_, id, changes) => state
                .actors
                .scheduler
                .send(Update { id: id.0, changes: changes.clone() })
                .await
                .map(|r| r.map(drop)),
            Step::Delete(_, id) => state.actors.scheduler.send(Delete(id.0)).await,
        };
        if let Err(e) = done.map_err(AppError::from).and_then(|r| r) {
            report.failed(step, &e);
        }
    }
    let summary = format!(
        "{} created, {} updated, {} removed, {} skipped, {} errors",
        report.created.len(),
        report.updated.len(),
        report.removed.len(),
        report.skipped.len(),
        report.errors.len()
    );
    audit::record(&state.actors.store, who.name.as_deref(), "backup_imported", summary).await;
    Ok(crate::web::json(&report))
}
