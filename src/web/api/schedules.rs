//! `/api/schedules`: validate, then hand the change to the SchedulerActor, which owns every
//! schedule's timer and row.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::actors::docker::{Container, GetContainer};
use crate::actors::failure_error;
use crate::actors::scheduler::{Create, Delete, RunNow, Update};
use crate::auth::{audit, Identity};
use crate::cron::{parse_timezone, CronExpr};
use crate::domain::Action;
use crate::error::AppError;
use crate::store::{queries, NewSchedule, Schedule, ScheduleChanges};
use crate::web::input::{optional_text, path_id, required_text};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/schedules", web::get().to(list))
        .route("/api/schedules", web::post().to(create))
        .route("/api/schedules/{id}", web::get().to(get))
        .route("/api/schedules/{id}", web::patch().to(patch))
        .route("/api/schedules/{id}", web::delete().to(delete))
        .route("/api/schedules/{id}/run", web::post().to(run_now));
}

/// The body of POST and PATCH. Every field is optional here so that a missing one gets our own
/// `missing_field` error; unknown fields are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub container: Option<String>,
    pub action: Option<String>,
    pub cron: Option<String>,
    pub run_at: Option<String>,
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

const MAX_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 500;

fn schedule_id(raw: &str) -> Result<i32, AppError> {
    path_id(raw, "schedule_not_found", "schedule")
}

/// `run_at`: RFC 3339, in the future.
fn parse_run_at(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let at = DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| {
        AppError::invalid(
            "invalid_run_at",
            Some("run_at"),
            format!(
                "run_at: {:?} is not an RFC 3339 time such as 2026-01-05T03:00:00Z",
                crate::text::clip(raw, 40)
            ),
        )
    })?;
    let at = at.with_timezone(&Utc);
    if at <= now {
        return Err(AppError::invalid(
            "invalid_run_at",
            Some("run_at"),
            format!("run_at: {raw} is in the past"),
        ));
    }
    Ok(at)
}

/// The container a schedule names; its compose labels let the schedule follow a re-created container.
async fn resolve_container(state: &AppState, name: String) -> Result<Container, AppError> {
    state.actors.docker.send(GetContainer(name)).await?
}

async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.actors.store.run(queries::list_schedules).await?;
    Ok(crate::web::json(&rows.into_iter().map(Schedule::from).collect::<Vec<_>>()))
}

async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let row = state.actors.store.run(move |c| queries::get_schedule(c, id)).await?;
    Ok(crate::web::json(&Schedule::from(row)))
}

async fn create(
    state: web::Data<AppState>,
    who: Identity,
    body: web::Json<ScheduleBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let now = Utc::now();
    let name = required_text(body.container, "container", MAX_NAME)?;
    let action = required_text(body.action, "action", 40)?.parse::<Action>()?;
    let timezone = match optional_text(body.timezone, "timezone", 64)? {
        Some(tz) => parse_timezone(&tz)?,
        None => state.config.timezone,
    };
    let (cron, run_at) = match (optional_text(body.cron, "cron", 256)?, body.run_at) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("run_at"),
                "Give either cron (repeating) or run_at (one time), not both",
            ))
        }
        (None, None) => {
            return Err(AppError::invalid(
                "missing_field",
                Some("cron"),
                "cron is required (or run_at for a one-time schedule)",
            ))
        }
        (Some(cron), None) => (Some(CronExpr::parse(&cron)?.as_str().to_string()), None),
        (None, Some(at)) => (None, Some(parse_run_at(&at, now)?)),
    };
    let description = optional_text(body.description, "description", MAX_DESCRIPTION)?;
    let container = resolve_container(&state, name).await?;
    let new = NewSchedule {
        container_name: container.name,
        container_id: Some(container.id),
        compose_project: container.compose_project,
        compose_service: container.compose_service,
        action: action.as_str().into(),
        cron_expression: cron,
        run_at: run_at.map(|t| t.naive_utc()),
        timezone: timezone.name().into(),
        enabled: body.enabled.unwrap_or(true),
        description,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        next_run: None,
    };
    let schedule = state.actors.scheduler.send(Create(new)).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_created", audit::describe(&schedule))
        .await;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/schedules/{}", schedule.id)))
        .json(schedule))
}

async fn patch(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
    body: web::Json<ScheduleBody>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let body = body.into_inner();
    let now = Utc::now();
    let mut changes = ScheduleChanges::default();
    if let Some(name) = body.container {
        let container = resolve_container(&state, required_text(Some(name), "container", MAX_NAME)?).await?;
        changes.container_name = Some(container.name);
        changes.container_id = Some(Some(container.id));
        changes.compose_project = Some(container.compose_project);
        changes.compose_service = Some(container.compose_service);
    }
    if let Some(action) = body.action {
        changes.action = Some(action.parse::<Action>()?.as_str().into());
    }
    if let Some(tz) = body.timezone {
        changes.timezone = Some(parse_timezone(tz.trim())?.name().into());
    }
    match (body.cron, body.run_at) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("run_at"),
                "Give either cron (repeating) or run_at (one time), not both",
            ))
        }
        (Some(cron), None) => {
            changes.cron_expression = Some(Some(CronExpr::parse(&cron)?.as_str().to_string()));
            changes.run_at = Some(None);
        }
        (None, Some(at)) => {
            changes.run_at = Some(Some(parse_run_at(&at, now)?.naive_utc()));
            changes.cron_expression = Some(None);
        }
        (None, None) => {}
    }
    changes.enabled = body.enabled;
    if let Some(description) = body.description {
        changes.description = Some(optional_text(Some(description), "description", MAX_DESCRIPTION)?);
    }
    let schedule = state.actors.scheduler.send(Update { id, changes }).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_updated", audit::describe(&schedule))
        .await;
    Ok(crate::web::json(&schedule))
}

async fn delete(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    state.actors.scheduler.send(Delete(id)).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_deleted", format!("#{id}")).await;
    Ok(HttpResponse::NoContent().finish())
}

async fn run_now(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let (entry, failure) = state.actors.scheduler.send(RunNow { id, actor: who.actor() }).await??;
    match failure {
        Some(failure) => Err(failure_error(&failure, &entry)),
        None => Ok(crate::web::json(&json!({ "log": entry }))),
    }
}
