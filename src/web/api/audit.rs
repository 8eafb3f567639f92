//! `GET /api/audit`: who signed in (or failed to), and who changed users, tokens and schedules.
//! Admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::audit::{self, AuditEntry};
use crate::auth::Identity;
use crate::error::AppError;
use crate::web::input::bounded_number;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/audit", web::get().to(list));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<String>,
    before: Option<String>,
}

/// Newest first: `{"items": [AuditEntry], "next_before": id | null}`, paged like `/api/logs`.
async fn list(
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
    let rows = state.actors.store.run(move |c| audit::page(c, limit, before)).await?;
    let next_before = if rows.len() as i64 == limit { rows.last().map(|r| r.id) } else { None };
    let items: Vec<AuditEntry> = rows.into_iter().map(AuditEntry::from).collect();
    Ok(crate::web::json(&json!({ "items": items, "next_before": next_before })))
}
