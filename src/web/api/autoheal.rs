//! `/api/autoheal`: the autoheal rule set, read from its tables and replaced whole through the
//! WatchActor, which follows it at once.

use actix_web::{web, HttpResponse};

use crate::actors::watch::SetAutoheal;
use crate::auth::Identity;
use crate::domain::AutohealRules;
use crate::error::{AppError, ErrorBody};
use crate::store::{self, audit};
use crate::web::input::JsonBody;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/autoheal", web::get().to(get)).route("/api/autoheal", web::put().to(put));
}

#[utoipa::path(get, path = "/api/autoheal", operation_id = "getAutoheal", tag = "autoheal",
    summary = "The autoheal rule set (off, with the default limits, until one is saved)",
    responses((status = 200, description = "the rule set", body = AutohealRules)))]
pub(super) async fn get(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&store::autoheal::load(&state.actors.store).await?))
}

#[utoipa::path(put, path = "/api/autoheal", operation_id = "putAutoheal", tag = "autoheal",
    summary = "Replace the autoheal rule set",
    description = "A listed container (or one with the label `chrontainer.autoheal=true`) that stays \
        unhealthy for `after_s` is restarted (trigger `health`), with exponential back-off; after \
        `max_restarts` within `per_minutes` autoheal gives up (status `gave_up`) until it has been healthy \
        for five minutes. It never acts on a container that is stopped, paused, restarting or stopped by hand.",
    request_body = AutohealRules,
    responses(
        (status = 200, description = "the rule set as saved", body = AutohealRules),
        (status = 400, description = "invalid_autoheal, too_long, invalid_json, unknown_field", body = ErrorBody),
    ))]
pub(super) async fn put(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<AutohealRules>,
) -> Result<HttpResponse, AppError> {
    let rules = body.into_inner();
    rules.validate()?;
    let saved = state.actors.watch.send(SetAutoheal(rules)).await??;
    let summary = format!("enabled: {}, {} containers", saved.enabled, saved.containers.len());
    audit::record(&state.actors.store, who.name.as_deref(), "autoheal_updated", summary).await;
    Ok(crate::web::json(&saved))
}
