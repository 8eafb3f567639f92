//! `GET /healthz` (always open; the details only for those with credentials) and `GET /metrics`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::auth::Identity;
use crate::config::AuthMode;
use crate::docker::Health;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/metrics", web::get().to(metrics));
}

/// 200 while the database answers a real query; Docker being down is reported, not fatal.
/// A stranger (authentication on, no credentials) learns only whether it works: the Engine's
/// version and the hosts are for those who signed in.
async fn healthz(state: web::Data<AppState>, who: Option<Identity>) -> HttpResponse {
    if state.config.auth != AuthMode::None && who.is_none() {
        return brief(&crate::store::ping(&state.actors.store).await);
    }
    let docker = state.actors.docker.send(Health).await.ok();
    let hosts = futures_util::future::join_all(state.actors.hosts.all().into_iter().map(
        |(name, actor)| async move {
            let status = actor.send(Health).await.map(|h| h.status).unwrap_or("unreachable");
            json!({"name": name, "status": status})
        },
    ))
    .await;
    let database = crate::store::ping(&state.actors.store).await;
    let body = json!({
        "status": if database.is_ok() { "ok" } else { "error" },
        "database": match &database { Ok(()) => "ok".to_string(), Err(e) => format!("error: {e}") },
        "docker": docker,
        "hosts": hosts,
    });
    match database {
        Ok(()) => HttpResponse::Ok().json(body),
        Err(e) => {
            log::error!("health check: database unusable: {e:?}");
            HttpResponse::ServiceUnavailable().json(body)
        }
    }
}

/// The answer for a caller without credentials: the status and nothing else.
fn brief(database: &Result<(), AppError>) -> HttpResponse {
    match database {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok"})),
        Err(e) => {
            log::error!("health check: database unusable: {e:?}");
            HttpResponse::ServiceUnavailable().json(json!({"status": "error"}))
        }
    }
}

async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn strangers_learn_ok_or_error_and_nothing_else() {
        let ok = brief(&Ok(()));
        assert_eq!(ok.status().as_u16(), 200);
        assert_eq!(to_bytes(ok.into_body()).await.unwrap(), r#"{"status":"ok"}"#);
        let failed = brief(&Err(AppError::Database("disk I/O error at /data/chrontainer.db".into())));
        assert_eq!(failed.status().as_u16(), 503);
        assert_eq!(to_bytes(failed.into_body()).await.unwrap(), r#"{"status":"error"}"#);
    }
}
