//! `GET /api/logs`: the activity log, newest first, keyset-paged by id.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::ScheduleId;
use crate::domain::{Action, RunStatus, Trigger};
use crate::error::{AppError, ErrorBody};
use crate::store::{self, LogPage, LogQuery};
use crate::web::input::{bounded_number, optional_text};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/logs", web::get().to(list));
}

/// The query string of the logs API and page (every value a string, so bad input gets our errors;
/// the document says what the values are).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// How many entries, 1 to 500; default 50.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// An id: the page of entries older than it (`next_before` of the page before).
    #[param(value_type = Option<i32>, nullable = false, minimum = 1)]
    pub before: Option<String>,
    /// Only this container's entries.
    #[param(nullable = false, max_length = 256)]
    pub container: Option<String>,
    /// Only this schedule's entries.
    #[param(value_type = Option<i32>, nullable = false, minimum = 1)]
    pub schedule_id: Option<String>,
    #[param(value_type = Option<RunStatus>, nullable = false)]
    pub status: Option<String>,
    #[param(value_type = Option<Action>, nullable = false)]
    pub action: Option<String>,
    #[param(value_type = Option<Trigger>, nullable = false)]
    pub trigger: Option<String>,
    /// Only the steps of this run (a stack action or a chain).
    #[param(nullable = false, max_length = 64)]
    pub run_id: Option<String>,
}

/// One of an enum's words (`all`, named by `name`), or none when absent or empty.
fn one_of<T: Copy>(
    value: Option<String>,
    field: &'static str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<Option<T>, AppError> {
    let Some(v) = optional_text(value, field, 40)? else { return Ok(None) };
    all.iter().copied().find(|w| name(*w) == v).map(Some).ok_or_else(|| {
        let allowed: Vec<&str> = all.iter().map(|w| name(*w)).collect();
        AppError::invalid(
            "invalid_parameter",
            Some(field),
            format!("{field}: {v:?} is not one of {}", allowed.join(", ")),
        )
    })
}

impl LogParams {
    pub fn to_query(&self) -> Result<LogQuery, AppError> {
        let id = |raw: &Option<String>, field| -> Result<Option<i32>, AppError> {
            let raw = raw.as_deref().filter(|s| !s.is_empty());
            raw.map(|r| bounded_number(Some(r), field, 0, 1, i64::from(i32::MAX)).map(|n| n as i32))
                .transpose()
        };
        Ok(LogQuery {
            limit: bounded_number(self.limit.as_deref().filter(|s| !s.is_empty()), "limit", 50, 1, 500)?,
            before: id(&self.before, "before")?,
            container: optional_text(self.container.clone(), "container", 256)?,
            schedule_id: id(&self.schedule_id, "schedule_id")?.map(ScheduleId),
            status: one_of(self.status.clone(), "status", &RunStatus::ALL, RunStatus::as_str)?,
            action: one_of(self.action.clone(), "action", &Action::ALL, Action::as_str)?,
            trigger: one_of(self.trigger.clone(), "trigger", &Trigger::ALL, Trigger::as_str)?,
            since: None,
            run_id: optional_text(self.run_id.clone(), "run_id", 64)?,
        })
    }
}

#[utoipa::path(get, path = "/api/logs", operation_id = "listLogs", tag = "logs",
    summary = "The activity log, newest first",
    params(LogParams),
    responses(
        (status = 200, description = "a page", body = LogPage),
        (status = 400, description = "invalid_parameter, invalid_query", body = ErrorBody),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&store::logs::page(&state.actors.store, params.to_query()?).await?))
}
