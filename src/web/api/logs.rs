//! `GET /api/logs`: the activity log, newest first, keyset-paged by id.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::domain::ScheduleId;
use crate::domain::{Action, RunStatus, Trigger};
use crate::error::AppError;
use crate::store::{self, LogQuery};
use crate::web::input::{bounded_number, optional_text};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/logs", web::get().to(list));
}

/// The query string of the logs API and page (every value a string, so bad input gets our errors).
#[derive(Debug, Default, Deserialize)]
pub struct LogParams {
    pub limit: Option<String>,
    pub before: Option<String>,
    pub container: Option<String>,
    pub schedule_id: Option<String>,
    pub status: Option<String>,
    pub action: Option<String>,
    pub trigger: Option<String>,
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
        })
    }
}

async fn list(state: web::Data<AppState>, params: web::Query<LogParams>) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&store::logs::page(&state.actors.store, params.to_query()?).await?))
}
