//! `GET /api/logs`: the activity log, newest first, keyset-paged by id.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Action, RunStatus, Trigger};
use crate::error::AppError;
use crate::store::{queries, LogEntry, LogQuery};
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

fn one_of(value: Option<String>, field: &'static str, allowed: &[&str]) -> Result<Option<String>, AppError> {
    match optional_text(value, field, 40)? {
        Some(v) if !allowed.contains(&v.as_str()) => Err(AppError::invalid(
            "invalid_parameter",
            Some(field),
            format!("{field}: {v:?} is not one of {}", allowed.join(", ")),
        )),
        v => Ok(v),
    }
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
            schedule_id: id(&self.schedule_id, "schedule_id")?,
            status: one_of(
                self.status.clone(),
                "status",
                &[RunStatus::Success, RunStatus::Error, RunStatus::Skipped, RunStatus::Missed]
                    .map(RunStatus::as_str),
            )?,
            action: one_of(self.action.clone(), "action", &Action::ALL.map(Action::as_str))?,
            trigger: one_of(
                self.trigger.clone(),
                "trigger",
                &[Trigger::Manual, Trigger::Schedule, Trigger::RunNow].map(Trigger::as_str),
            )?,
            since: None,
        })
    }
}

/// One page of entries and the id to ask `before` for the next one (`None` on the last page).
pub async fn page(state: &AppState, query: LogQuery) -> Result<(Vec<LogEntry>, Option<i32>), AppError> {
    let limit = query.limit;
    let rows = state.actors.store.run(move |c| queries::query_logs(c, &query)).await?;
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    Ok((rows.into_iter().map(LogEntry::from).collect(), next_before))
}

async fn list(state: web::Data<AppState>, params: web::Query<LogParams>) -> Result<HttpResponse, AppError> {
    let (items, next_before) = page(&state, params.to_query()?).await?;
    Ok(crate::web::json(&json!({ "items": items, "next_before": next_before })))
}
