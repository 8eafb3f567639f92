//! `GET /healthz` (always open) and `GET /metrics`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::docker::Health;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/metrics", web::get().to(metrics));
}

/// 200 while the database answers a real query; Docker being down is reported, not fatal.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let docker = state.actors.docker.send(Health).await.ok();
    let database = crate::store::ping(&state.actors.store).await;
    let body = json!({
        "status": if database.is_ok() { "ok" } else { "error" },
        "database": match &database { Ok(()) => "ok".to_string(), Err(e) => format!("error: {e}") },
        "docker": docker,
    });
    match database {
        Ok(()) => HttpResponse::Ok().json(body),
        Err(e) => {
            log::error!("health check: database unusable: {e:?}");
            HttpResponse::ServiceUnavailable().json(body)
        }
    }
}

async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render()))
}
