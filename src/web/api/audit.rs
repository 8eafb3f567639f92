//! `GET /api/audit`: who signed in (or failed to), and who changed users, tokens and schedules.
//! Admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Identity;
use crate::error::{AppError, ErrorBody};
use crate::store::{self, audit::AuditPage};
use crate::web::input::bounded_number;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/audit", web::get().to(list));
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// How many entries, 1 to 500; default 50.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// An id: the page of entries older than it.
    #[param(value_type = Option<i32>, nullable = false, minimum = 1)]
    before: Option<String>,
}

#[utoipa::path(get, path = "/api/audit", operation_id = "listAudit", tag = "audit",
    summary = "Audit trail, newest first (admin): sign-ins, users, tokens, schedule changes",
    params(AuditQuery),
    responses(
        (status = 200, description = "a page", body = AuditPage),
        (status = 400, description = "invalid_parameter, invalid_query (also for an unknown parameter)",
            body = ErrorBody),
        (status = 403, description = "forbidden: not an admin", body = ErrorBody),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    who.require_admin()?;
    let limit = bounded_number(query.limit.as_deref(), "limit", 50, 1, 500)?;
    let before = match query.before.as_deref() {
        Some(raw) => Some(bounded_number(Some(raw), "before", 0, 1, i64::from(i32::MAX))? as i32),
        None => None,
    };
    Ok(crate::web::json(&store::audit::page(&state.actors.store, limit, before).await?))
}
