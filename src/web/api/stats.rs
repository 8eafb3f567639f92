//! `GET /api/stats`: actions per day, per schedule and per container over the last `days` days.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::HostId;
use crate::error::AppError;
use crate::store::stats::{self, Stats};
use crate::web::input::{bounded_number, host as host_name};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/stats", web::get().to(get));
}

/// The query string of the stats API and page (strings, so bad input gets our errors).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// How many days back, 1 to 366; default 30.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 366)]
    pub days: Option<String>,
    /// A host's name: only that host's entries; every host's when left out.
    #[param(nullable = false, max_length = 64)]
    pub host: Option<String>,
}

impl StatsParams {
    /// The number of days (1 to 366, default 30) and the host, if one is named (whether it
    /// exists is asked of `Hosts` in [`load`]).
    pub fn parse(&self) -> Result<(u32, Option<HostId>), AppError> {
        let days = bounded_number(self.days.as_deref().filter(|s| !s.is_empty()), "days", 30, 1, 366)?;
        let host = self.host.as_deref().map(str::trim).filter(|h| !h.is_empty());
        Ok((days as u32, host.map(|h| host_name(Some(h.to_string()))).transpose()?))
    }
}

/// Computes the statistics for `params` on the store's thread: 404 `host_not_found` for a host
/// that is not registered (as every `?host=`).
pub async fn load(state: &AppState, params: &StatsParams) -> Result<(Stats, Option<HostId>), AppError> {
    let (days, host) = params.parse()?;
    if let Some(host) = &host {
        state.actors.hosts.get(host)?;
    }
    let now = Utc::now().naive_utc();
    let stats = stats::load(&state.actors.store, now, days, host.clone()).await?;
    Ok((stats, host))
}

/// API.md's shape; every container row names its own host, so that several hosts can share a list.
pub fn to_json(stats: &Stats) -> Value {
    let schedules: Vec<Value> = stats
        .schedules
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "runs": s.runs,
                "success_rate": s.success_rate,
                "p50_ms": s.p50_ms,
                "p95_ms": s.p95_ms,
                "last_failure": s.last_failure.map(|t| crate::time::rfc3339(&crate::time::to_utc(t))),
            })
        })
        .collect();
    let containers: Vec<Value> = stats
        .containers
        .iter()
        .map(|c| json!({ "host": c.host, "container": c.container, "restarts": c.restarts }))
        .collect();
    let flapping: Vec<Value> = stats
        .flapping
        .iter()
        .map(|f| json!({ "host": f.host, "container": f.container, "date": f.date, "restarts": f.restarts }))
        .collect();
    json!({ "days": stats.days, "schedules": schedules, "containers": containers, "flapping": flapping })
}

#[utoipa::path(get, path = "/api/stats", operation_id = "stats", tag = "stats",
    summary = "Actions per day, per schedule and per container",
    description = "`{\"days\": [{date, success, error, skipped, missed, gave_up}], \"schedules\": [{id, runs, \
        success_rate, p50_ms, p95_ms, last_failure}], \"containers\": [{host, container, restarts: {schedule, \
        manual, health, window}}], \"flapping\": [...]}`, from SQL aggregates over the activity log. \
        `gave_up` counts autoheal giving up on a container; it is not a `missed` run. Every host's entries, \
        or with `host` that host's only (404 `host_not_found` for a host that is not registered).",
    params(StatsParams),
    responses(
        (status = 200, description = "the statistics", body = Object),
        (status = 400, description = "invalid_parameter", body = crate::error::ErrorBody),
        (status = 404, description = "host_not_found", body = crate::error::ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let (stats, _) = load(&state, &params).await?;
    Ok(crate::web::json(&to_json(&stats)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stats::DayCounts;

    #[test]
    fn each_day_counts_gave_up_apart_from_missed() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let day = DayCounts { date, missed: 1, gave_up: 2, ..Default::default() };
        let stats = Stats { days: vec![day], schedules: vec![], containers: vec![], flapping: vec![] };
        let json = to_json(&stats);
        assert_eq!(
            json["days"][0],
            json!({"date": "2026-03-01", "success": 0, "error": 0, "skipped": 0, "missed": 1, "gave_up": 2})
        );
    }
}
