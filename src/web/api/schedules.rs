//! `/api/schedules`: validate, then hand the change to the SchedulerActor, which owns every
//! schedule's timer and row.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::schedule_steps::{self, StepBody};
use super::LogResult;
use crate::actors::labels::{follow_spec, stored_spec};
use crate::actors::scheduler::{Create, Delete, RunNow, Update};
use crate::auth::Identity;
use crate::cron::{parse_timezone, CronExpr};
use crate::docker::{GetContainer, GetService};
use crate::domain::Container;
use crate::domain::{Action, ChainStep, HostId, OnlyIf, ScheduleId, ScheduleOrigin, Window, WindowState};
use crate::error::{AppError, ErrorBody};
use crate::store::{self, audit, NewSchedule, Schedule, ScheduleChanges};
use crate::web::input::{not_null, optional_text, path_id, required_text, JsonBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/schedules", web::get().to(list))
        .route("/api/schedules", web::post().to(create))
        .route("/api/schedules/{id}", web::get().to(get))
        .route("/api/schedules/{id}", web::patch().to(patch))
        .route("/api/schedules/{id}", web::delete().to(delete))
        .route("/api/schedules/{id}/run", web::post().to(run_now))
        .route("/api/schedules/{id}/revert", web::post().to(revert));
}

/// The body of POST and PATCH. Every field is optional here so that a missing one gets our own
/// `missing_field` error; unknown fields and `null` are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "On create, exactly one of container, service, stack or steps, and exactly one of \
                        cron, run_at or window (a container's) are required, and action unless it is a \
                        window or steps; PATCH takes any subset.")]
pub struct ScheduleBody {
    /// The container's name (or full ID, or a unique ID prefix); the schedule keeps its name.
    #[serde(default, deserialize_with = "not_null::container")]
    #[schema(nullable = false, max_length = 256)]
    pub container: Option<String>,
    /// A Swarm service (name or ID) instead of a container: start, stop or restart only.
    #[serde(default, deserialize_with = "not_null::service")]
    #[schema(nullable = false, max_length = 256)]
    pub service: Option<String>,
    /// The host (by name) of the container or service; default `local`.
    #[serde(default, deserialize_with = "not_null::host")]
    #[schema(nullable = false, max_length = 63, example = "local")]
    pub host: Option<String>,
    #[serde(default, deserialize_with = "not_null::action")]
    #[schema(value_type = Action)]
    pub action: Option<String>,
    /// A repeating schedule (CRON.md).
    #[serde(default, deserialize_with = "not_null::cron")]
    #[schema(nullable = false, max_length = 256, example = "0 3 * * 1")]
    pub cron: Option<String>,
    /// A one-time schedule, in the future.
    #[serde(default, deserialize_with = "not_null::run_at")]
    #[schema(value_type = String, format = DateTime, example = "2026-01-05T03:00:00Z")]
    pub run_at: Option<String>,
    /// An IANA zone; the default is the configured one.
    #[serde(default, deserialize_with = "not_null::timezone")]
    #[schema(nullable = false, max_length = 64, example = "Europe/Berlin")]
    pub timezone: Option<String>,
    /// Default `true` on create.
    #[serde(default, deserialize_with = "not_null::enabled")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "not_null::description")]
    #[schema(nullable = false, max_length = 500)]
    pub description: Option<String>,
    /// The state the container must be in when the schedule fires; not met, the run is
    /// `skipped`, naming the state found. `null` for no condition.
    #[serde(default, deserialize_with = "crate::web::input::nullable")]
    #[schema(value_type = Option<OnlyIf>)]
    pub only_if: Option<Option<String>>,
    /// Leave alone a container that someone stopped or paused outside Chrontainer (seen on
    /// Docker's events): its scheduled start, restart and unpause are `skipped` until a person
    /// starts it again. Default `true`.
    #[serde(default, deserialize_with = "not_null::respect_manual")]
    #[schema(nullable = false)]
    pub respect_manual: Option<bool>,
    /// A time window instead of `cron` or `run_at`: the container is kept in `state` from
    /// `from` to `to` (which may wrap midnight), on `days`. Its action is `stop` or `pause`.
    #[serde(default, deserialize_with = "not_null::window")]
    #[schema(nullable = false)]
    pub window: Option<WindowBody>,
    /// `false`: never notify this schedule's runs (default `true`: the channels decide).
    #[serde(default, deserialize_with = "not_null::notify")]
    #[schema(nullable = false)]
    pub notify: Option<bool>,
    /// Instead of `container`: a compose project, restarted, stopped or started in dependency order.
    #[serde(default, deserialize_with = "not_null::stack")]
    #[schema(nullable = false, max_length = 256)]
    pub stack: Option<String>,
    /// Instead of `container` and `action`: a chain of 1 to 20 steps, run in order under one
    /// run_id; a failed step stops the chain.
    #[serde(default, deserialize_with = "not_null::steps")]
    #[schema(nullable = false)]
    pub steps: Option<Vec<StepBody>>,
    /// Create only, with `container` and `action: restart`: also restart the container's
    /// dependents (sharing its network, or `restart: true`), as one run; kept as a chain of one
    /// step with `with_dependents`.
    #[serde(default, deserialize_with = "not_null::with_dependents")]
    #[schema(nullable = false)]
    pub with_dependents: Option<bool>,
    /// PATCH of a label schedule only: `true` keeps the person's values when the labels change
    /// (implied by changing action, cron, run_at, timezone, only_if or window); `false` reverts to
    /// the labels' values.
    #[serde(default, deserialize_with = "not_null::overridden")]
    #[schema(nullable = false)]
    pub overridden: Option<bool>,
}

/// 409 `label_schedule` for what only the labels can change.
fn label_schedule(row: &store::ScheduleRow, what: &str) -> AppError {
    AppError::conflict(
        "label_schedule",
        format!(
            "Schedule #{} comes from the chrontainer.* labels of container {}, and {what}: labels cannot be \
             changed on a running container. Change the label and re-create the container, or disable or \
             override the schedule here",
            row.id, row.container_name
        ),
    )
}

fn not_from_labels(row: &store::ScheduleRow) -> AppError {
    AppError::conflict(
        "not_a_label_schedule",
        format!(
            "Schedule #{} was made by a person, not from container labels: it has no label values",
            row.id
        ),
    )
}

/// A time window (API.md "Schedules, phase two").
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    #[schema(value_type = WindowState)]
    pub state: String,
    /// `HH:MM` (or `HH:MM:SS`), wall clock in the zone.
    #[schema(max_length = 8, example = "23:00")]
    pub from: String,
    #[schema(max_length = 8, example = "07:00")]
    pub to: String,
    /// The days a period starts on: `Mon-Fri`, `Sat,Sun`, `*`; left out, every day.
    #[serde(default)]
    #[schema(max_length = 64, example = "Mon-Fri")]
    pub days: Option<String>,
    /// An IANA zone; left out, the schedule's `timezone`.
    #[serde(default)]
    #[schema(max_length = 64, example = "Europe/Berlin")]
    pub timezone: Option<String>,
}

impl WindowBody {
    /// The window, and its zone if it names one.
    fn parse(&self) -> Result<(Window, Option<String>), AppError> {
        let days = optional_text(self.days.clone(), "window.days", 64)?;
        let window = Window::parse(&self.state, &self.from, &self.to, days.as_deref())?;
        let tz = match optional_text(self.timezone.clone(), "window.timezone", 64)? {
            Some(tz) => Some(parse_timezone(&tz)?.name().to_string()),
            None => None,
        };
        Ok((window, tz))
    }
}

fn window_conflict() -> AppError {
    AppError::invalid(
        "conflicting_fields",
        Some("window"),
        "Give a window, or cron (repeating) or run_at (one time), not both",
    )
}

fn window_one_container() -> AppError {
    AppError::invalid(
        "conflicting_fields",
        Some("window"),
        "A window keeps one container: give container, not stack or steps",
    )
}

/// `only_if` as given: left out, `null`, or a state.
fn parse_only_if(raw: Option<Option<String>>) -> Result<Option<Option<OnlyIf>>, AppError> {
    raw.map(|o| o.map(|s| s.trim().parse::<OnlyIf>()).transpose()).transpose()
}

/// The target part of a body: one container (resolved later) and its action, or a chain.
enum Aim {
    Container(String, Action),
    Service(String, Action),
    Chain(Vec<ChainStep>),
}

fn conflicting() -> AppError {
    AppError::invalid("conflicting_fields", Some("steps"), "Give one of container, stack and steps, not more")
}

/// `container` + `action`, `stack` + `action` (a chain of one stack step), or `steps`.
async fn aim(
    state: &AppState,
    host: &HostId,
    container: Option<String>,
    action: Option<String>,
    stack: Option<String>,
    steps: Option<Vec<StepBody>>,
) -> Result<Aim, AppError> {
    match (container, stack, steps) {
        (Some(name), None, None) => {
            let name = required_text(Some(name), "container", MAX_NAME)?;
            Ok(Aim::Container(name, required_text(action, "action", 40)?.parse::<Action>()?))
        }
        (None, Some(stack), None) => {
            let step = StepBody { stack: Some(stack), action, ..Default::default() };
            Ok(Aim::Chain(schedule_steps::parse(state, host, vec![step]).await?))
        }
        (None, None, Some(steps)) if action.is_none() => {
            Ok(Aim::Chain(schedule_steps::parse(state, host, steps).await?))
        }
        (None, None, Some(_)) => Err(AppError::invalid(
            "conflicting_fields",
            Some("action"),
            "A chain's actions are in its steps: leave action out",
        )),
        (None, None, None) => Err(AppError::invalid(
            "missing_field",
            Some("container"),
            "container is required (or stack, or steps for a chain)",
        )),
        _ => Err(conflicting()),
    }
}

/// The columns of a chain: its steps, and its first step as the container and action.
fn chain_columns(steps: &[ChainStep]) -> Result<(String, Action, String), AppError> {
    let first = steps.first().ok_or_else(|| AppError::Internal("a chain of no steps".into()))?;
    let name = first
        .container
        .clone()
        .or_else(|| first.service.clone())
        .or_else(|| first.stack.clone())
        .unwrap_or_default();
    Ok((name, first.action, schedule_steps::to_column(steps)?))
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

/// What a schedule acts on, as its row keeps it.
struct Found {
    host: HostId,
    name: String,
    id: String,
    compose_project: Option<String>,
    compose_service: Option<String>,
    service: Option<String>,
}

/// The container or service a schedule names on `host`; a container's compose labels let the
/// schedule follow it when it is re-created.
async fn resolve_target(
    state: &AppState,
    host: HostId,
    container: Option<String>,
    service: Option<String>,
) -> Result<Found, AppError> {
    let docker = state.actors.hosts.get(&host)?;
    match (container, service) {
        (Some(_), Some(_)) => Err(AppError::invalid(
            "conflicting_fields",
            Some("service"),
            "Give either container or service, not both",
        )),
        (None, None) => {
            Err(AppError::invalid("missing_field", Some("container"), "container is required (or service)"))
        }
        (Some(name), None) => {
            let name = required_text(Some(name), "container", MAX_NAME)?;
            let c: Container = docker.send(GetContainer(name)).await??;
            Ok(Found {
                host,
                name: c.name,
                id: c.id,
                compose_project: c.compose_project,
                compose_service: c.compose_service,
                service: None,
            })
        }
        (None, Some(name)) => {
            let name = required_text(Some(name), "service", MAX_NAME)?;
            let s = docker.send(GetService(name)).await??;
            Ok(Found {
                host,
                name: s.name.clone(),
                id: s.id,
                compose_project: None,
                compose_service: None,
                service: Some(s.name),
            })
        }
    }
}

/// A service schedule's action: pause and unpause mean nothing to a service.
fn check_action(action: Action, service: bool) -> Result<Action, AppError> {
    match service {
        true => crate::web::api::services::service_action(action.as_str()),
        false => Ok(action),
    }
}

fn host_of(raw: Option<String>) -> Result<HostId, AppError> {
    Ok(HostId(optional_text(raw, "host", 63)?.unwrap_or_else(|| HostId::LOCAL.to_string())))
}

#[utoipa::path(get, path = "/api/schedules", operation_id = "listSchedules", tag = "schedules",
    summary = "All schedules",
    responses((status = 200, description = "schedules", body = [Schedule])))]
pub(super) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = store::schedules::list(&state.actors.store).await?;
    Ok(crate::web::json(&rows.into_iter().map(Schedule::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/schedules/{id}", operation_id = "getSchedule", tag = "schedules",
    summary = "One schedule",
    params(("id" = i32, Path, description = "schedule id")),
    responses(
        (status = 200, description = "the schedule", body = Schedule),
        (status = 404, description = "schedule_not_found", body = ErrorBody),
    ))]
pub(super) async fn get(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let row = store::schedules::get(&state.actors.store, ScheduleId(id)).await?;
    Ok(crate::web::json(&Schedule::from(row)))
}

#[utoipa::path(post, path = "/api/schedules", operation_id = "createSchedule", tag = "schedules",
    summary = "Create a schedule",
    request_body = ScheduleBody,
    responses(
        (status = 201, description = "created", body = Schedule,
            headers(("Location" = String, description = "the schedule's address, /api/schedules/{id}"))),
        (status = 400, description = "invalid_cron, invalid_timezone, invalid_action, invalid_run_at, \
            invalid_only_if, invalid_window, invalid_json, unknown_field, missing_field, conflicting_fields, \
            too_long, invalid_characters, too_frequent, invalid_steps, invalid_parameter (overridden)", body = ErrorBody),
        (status = 404, description = "container_not_found: no container has that name; stack_not_found; \
            service_not_found; host_not_found", body = ErrorBody),
        (status = 409, description = "not_a_swarm_manager (a service on a host that is not a manager)",
            body = ErrorBody),
        (status = 502, description = "docker_error (listing the services)", body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn create(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<ScheduleBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    if body.overridden.is_some() {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("overridden"),
            "overridden: only a schedule from container labels can be overridden, with PATCH",
        ));
    }
    let now = Utc::now();
    let host = host_of(body.host)?;
    let window = body.window.as_ref().map(WindowBody::parse).transpose()?;
    let action = match (&window, body.action) {
        (Some((w, _)), Some(a)) if a.trim().parse::<Action>()? != w.state.action() => {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("action"),
                format!(
                    "A window kept {} acts with {}; leave action out",
                    w.state.as_str(),
                    w.state.action()
                ),
            ))
        }
        (Some((w, _)), _) => Some(w.state.action().as_str().to_string()),
        (None, action) => action,
    };
    if window.is_some() && (body.stack.is_some() || body.steps.is_some() || body.service.is_some()) {
        return Err(window_one_container());
    }
    let (mut container, mut action, mut steps) = (body.container, action, body.steps);
    if body.with_dependents == Some(true) {
        if container.is_none()
            || window.is_some()
            || body.stack.is_some()
            || steps.is_some()
            || body.service.is_some()
        {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("with_dependents"),
                "with_dependents goes with one container and action restart",
            ));
        }
        let step = StepBody {
            container: container.take(),
            action: action.take(),
            with_dependents: Some(true),
            ..Default::default()
        };
        steps = Some(vec![step]);
    }
    let aim = match body.service {
        Some(service) => {
            if container.is_some() || body.stack.is_some() || steps.is_some() {
                return Err(conflicting());
            }
            let action = required_text(action, "action", 40)?.parse::<Action>()?;
            Aim::Service(service, check_action(action, true)?)
        }
        None => aim(&state, &host, container, action, body.stack, steps).await?,
    };
    let window_tz = window.as_ref().and_then(|(_, tz)| tz.clone());
    let timezone = match optional_text(window_tz.or(body.timezone), "timezone", 64)? {
        Some(tz) => parse_timezone(&tz)?,
        None => state.config.timezone,
    };
    let only_if = parse_only_if(body.only_if)?.flatten();
    let (cron, run_at) = match (optional_text(body.cron, "cron", 256)?, body.run_at) {
        (Some(_), _) | (_, Some(_)) if window.is_some() => return Err(window_conflict()),
        (None, None) if window.is_some() => (window.as_ref().map(|(w, _)| w.opening_cron()), None),
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
    let (container_name, container_id, compose_project, compose_service, action, steps, service) = match aim {
        Aim::Container(name, action) => {
            let c = resolve_target(&state, host.clone(), Some(name), None).await?;
            (c.name, Some(c.id), c.compose_project, c.compose_service, action, None, None)
        }
        Aim::Service(name, action) => {
            let s = resolve_target(&state, host.clone(), None, Some(name)).await?;
            (s.name, Some(s.id), None, None, action, None, s.service)
        }
        Aim::Chain(steps) => {
            let (name, action, column) = chain_columns(&steps)?;
            (name, None, None, None, action, Some(column), None)
        }
    };
    let new = NewSchedule {
        host,
        container_name,
        container_id,
        compose_project,
        compose_service,
        action,
        steps,
        cron_expression: cron,
        run_at: run_at.map(|t| t.naive_utc()),
        timezone: timezone.name().into(),
        enabled: body.enabled.unwrap_or(true),
        description,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        next_run: None,
        notify: body.notify.unwrap_or(true),
        service,
        origin: ScheduleOrigin::Ui,
        label_key: None,
        label_spec: None,
        label_hash: None,
        only_if,
        respect_manual: body.respect_manual.unwrap_or(true),
        time_window: window.map(|(w, _)| w),
    };
    let schedule = state.actors.scheduler.send(Create(new)).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_created", schedule.describe()).await;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/schedules/{}", schedule.id)))
        .json(schedule))
}

#[utoipa::path(patch, path = "/api/schedules/{id}", operation_id = "updateSchedule", tag = "schedules",
    summary = "Change any subset of the create fields; re-armed at once",
    params(("id" = i32, Path, description = "schedule id")),
    request_body = ScheduleBody,
    responses(
        (status = 200, description = "the schedule", body = Schedule),
        (status = 400, description = "invalid_cron, invalid_timezone, invalid_action, invalid_run_at, \
            invalid_only_if, invalid_window, invalid_json, unknown_field, missing_field, conflicting_fields, \
            too_long, invalid_characters, too_frequent, invalid_steps", body = ErrorBody),
        (status = 404, description = "schedule_not_found, container_not_found, stack_not_found, \
            service_not_found or host_not_found", body = ErrorBody),
        (status = 409, description = "label_schedule: the target of a label schedule cannot change; \
            not_a_label_schedule: overridden on a schedule made by a person; not_a_swarm_manager (a service \
            on a host that is not a manager)",
            body = ErrorBody),
        (status = 502, description = "docker_error (listing the services)", body = ErrorBody),
        (status = 503, description = "docker_unreachable (a new container is looked up)", body = ErrorBody),
    ))]
pub(super) async fn patch(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
    body: JsonBody<ScheduleBody>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let body = body.into_inner();
    let now = Utc::now();
    let row = store::schedules::get(&state.actors.store, ScheduleId(id)).await?;
    let from_labels = row.origin == ScheduleOrigin::Label;
    if from_labels && (body.container.is_some() || body.stack.is_some() || body.steps.is_some()) {
        return Err(label_schedule(&row, "its target is the container carrying the labels"));
    }
    // what the labels set: a person changing any of it overrides them
    let relabelled = body.action.is_some()
        || body.cron.is_some()
        || body.run_at.is_some()
        || body.timezone.is_some()
        || body.only_if.is_some()
        || body.window.is_some();
    let mut changes = match body.overridden {
        Some(_) if !from_labels => return Err(not_from_labels(&row)),
        Some(false) if relabelled => {
            return Err(AppError::invalid(
                "conflicting_fields",
                Some("overridden"),
                "overridden: false reverts to the labels' values; it cannot come with action, cron, run_at, \
                 timezone, only_if or window",
            ))
        }
        Some(false) => follow_spec(&stored_spec(&row)?, state.config.timezone),
        Some(true) => ScheduleChanges { overridden: Some(true), ..Default::default() },
        None if from_labels && relabelled => ScheduleChanges { overridden: Some(true), ..Default::default() },
        None => ScheduleChanges::default(),
    };
    if body.window.is_some() && (body.stack.is_some() || body.steps.is_some()) {
        return Err(window_one_container());
    }
    if body.with_dependents.is_some() {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("with_dependents"),
            "with_dependents is set when a schedule is created; replace its steps to change it",
        ));
    }
    if body.stack.is_some() || body.steps.is_some() {
        // a new chain replaces the target (and the action) as a whole
        if body.container.is_some() || body.service.is_some() {
            return Err(conflicting());
        }
        let host = match body.host {
            Some(raw) => host_of(Some(raw))?,
            None => store::schedules::get(&state.actors.store, ScheduleId(id)).await?.host,
        };
        let Aim::Chain(steps) = aim(&state, &host, None, body.action, body.stack, body.steps).await? else {
            return Err(conflicting());
        };
        changes.host = Some(host);
        let (name, action, column) = chain_columns(&steps)?;
        changes.container_name = Some(name);
        changes.container_id = Some(None);
        changes.compose_project = Some(None);
        changes.compose_service = Some(None);
        changes.action = Some(action);
        changes.steps = Some(Some(column));
        changes.service = Some(None);
    } else {
        let targets_changed = body.container.is_some() || body.service.is_some() || body.host.is_some();
        if targets_changed || body.action.is_some() {
            let current = store::schedules::get(&state.actors.store, ScheduleId(id)).await?;
            let mut service = current.service.is_some();
            if targets_changed {
                let host = match body.host {
                    Some(raw) => host_of(Some(raw))?,
                    None => current.host.clone(),
                };
                // a new host alone re-resolves the schedule's container or service there
                let (container, wanted_service) = match (body.container, body.service) {
                    (None, None) if current.service.is_some() => (None, current.service.clone()),
                    (None, None) => (Some(current.container_name.clone()), None),
                    given => given,
                };
                let aim = resolve_target(&state, host, container, wanted_service).await?;
                service = aim.service.is_some();
                changes.host = Some(aim.host);
                changes.container_name = Some(aim.name);
                changes.container_id = Some(Some(aim.id));
                changes.compose_project = Some(aim.compose_project);
                changes.compose_service = Some(aim.compose_service);
                changes.service = Some(aim.service);
                // one target again: no chain any more
                changes.steps = Some(None);
            }
            let action = match body.action {
                Some(action) => action.parse::<Action>()?,
                None => current.action,
            };
            changes.action = Some(check_action(action, service)?);
        }
    }
    if let Some(tz) = body.timezone {
        changes.timezone = Some(parse_timezone(tz.trim())?.name().into());
    }
    changes.only_if = parse_only_if(body.only_if)?;
    changes.respect_manual = body.respect_manual;
    if let Some(window) = &body.window {
        if body.cron.is_some() || body.run_at.is_some() {
            return Err(window_conflict());
        }
        let (window, tz) = window.parse()?;
        changes.steps = Some(None);
        changes.action = Some(window.state.action());
        changes.cron_expression = Some(Some(window.opening_cron()));
        changes.run_at = Some(None);
        changes.time_window = Some(Some(window));
        if let Some(tz) = tz {
            changes.timezone = Some(tz);
        }
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
            changes.time_window = Some(None);
        }
        (None, Some(at)) => {
            changes.run_at = Some(Some(parse_run_at(&at, now)?.naive_utc()));
            changes.cron_expression = Some(None);
            changes.time_window = Some(None);
        }
        (None, None) => {}
    }
    changes.enabled = body.enabled;
    changes.notify = body.notify;
    if let Some(description) = body.description {
        changes.description = Some(optional_text(Some(description), "description", MAX_DESCRIPTION)?);
    }
    let schedule = state.actors.scheduler.send(Update { id, changes }).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_updated", schedule.describe()).await;
    Ok(crate::web::json(&schedule))
}

#[utoipa::path(delete, path = "/api/schedules/{id}", operation_id = "deleteSchedule", tag = "schedules",
    summary = "Delete a schedule; its timer is gone before the reply, its log rows stay",
    params(("id" = i32, Path, description = "schedule id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "schedule_not_found", body = ErrorBody),
        (status = 409, description = "label_schedule: it comes from container labels (disable or override it)",
            body = ErrorBody),
    ))]
pub(super) async fn delete(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let row = store::schedules::get(&state.actors.store, ScheduleId(id)).await?;
    if row.origin == ScheduleOrigin::Label {
        return Err(label_schedule(&row, "it goes when its labels or its container go"));
    }
    state.actors.scheduler.send(Delete(id)).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_deleted", format!("#{id}")).await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/schedules/{id}/run", operation_id = "runSchedule", tag = "schedules",
    summary = "Run a schedule's action now (trigger run_now)",
    params(("id" = i32, Path, description = "schedule id")),
    responses(
        (status = 200, description = "the log entry (success, or skipped with the reason)", body = LogResult),
        (status = 404, description = "schedule_not_found, container_not_found or service_not_found",
            body = ErrorBody),
        (status = 409, description = "container_busy: another action on it is in flight; swarm_task; \
            not_a_swarm_manager", body = ErrorBody),
        (status = 502, description = "docker_error: the Engine refused (the failure is logged too)",
            body = ErrorBody),
        (status = 503, description = "docker_unreachable", body = ErrorBody),
    ))]
pub(super) async fn run_now(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let outcome = state.actors.scheduler.send(RunNow { id, requested_by: who.actor() }).await??;
    Ok(crate::web::json(&LogResult { log: outcome.into_answer()? }))
}

#[utoipa::path(post, path = "/api/schedules/{id}/revert", operation_id = "revertSchedule", tag = "schedules",
    summary = "Give a label schedule its labels' values again and clear the override",
    params(("id" = i32, Path, description = "schedule id")),
    responses(
        (status = 200, description = "the schedule", body = Schedule),
        (status = 404, description = "schedule_not_found", body = ErrorBody),
        (status = 409, description = "not_a_label_schedule: made by a person, it has no label values",
            body = ErrorBody),
    ))]
pub(super) async fn revert(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = schedule_id(&id)?;
    let row = store::schedules::get(&state.actors.store, ScheduleId(id)).await?;
    if row.origin != ScheduleOrigin::Label {
        return Err(not_from_labels(&row));
    }
    let changes = follow_spec(&stored_spec(&row)?, state.config.timezone);
    let schedule = state.actors.scheduler.send(Update { id, changes }).await??;
    audit::record(&state.actors.store, who.name.as_deref(), "schedule_reverted", schedule.describe()).await;
    Ok(crate::web::json(&schedule))
}
