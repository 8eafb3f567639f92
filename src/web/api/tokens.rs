//! `/api/tokens`: API tokens for scripts, made and revoked by admins. A token's secret is shown
//! once, in the answer that creates it; the database keeps only its SHA-256.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::tokens::{self as token_store, CreatedToken, NewToken, TokenView, TOKEN_PREFIX};
use crate::auth::{audit, users, Identity, Role};
use crate::error::AppError;
use crate::web::input::path_id;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/tokens", web::get().to(list))
        .route("/api/tokens", web::post().to(create_api))
        .route("/api/tokens/{id}", web::delete().to(revoke_api));
}

async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.actors.store.run(token_store::list).await?;
    Ok(crate::web::json(&rows.into_iter().map(TokenView::from).collect::<Vec<_>>()))
}

/// Creates a token (admins only). `role` is `read` (a viewer) or `full` (an admin).
pub(crate) async fn create(
    state: &AppState,
    who: &Identity,
    name: &str,
    role: &str,
) -> Result<CreatedToken, AppError> {
    who.require_admin()?;
    let name = users::check_name(name, "name")?;
    let role = Role::parse_token_scope(role)?;
    let secret = format!("{TOKEN_PREFIX}{}", token_store::random_secret()?);
    let new = NewToken {
        name,
        token_hash: token_store::digest(&secret),
        role: role.token_scope().into(),
        created_by: who.name.clone(),
        created_at: Utc::now().naive_utc(),
    };
    let row = state.actors.store.run(move |c| token_store::insert(c, &new)).await?;
    let detail = format!("{} ({})", row.name, row.role);
    audit::record(&state.actors.store, who.name.as_deref(), "token_created", detail).await;
    Ok(CreatedToken { view: row.into(), token: secret })
}

/// Revokes a token (admins only): the next request that shows it is refused.
pub(crate) async fn revoke(state: &AppState, who: &Identity, id: i32) -> Result<TokenView, AppError> {
    who.require_admin()?;
    let now = Utc::now().naive_utc();
    let row = state.actors.store.run(move |c| token_store::revoke(c, id, now)).await?;
    audit::record(&state.actors.store, who.name.as_deref(), "token_revoked", row.name.clone()).await;
    Ok(row.into())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: Option<String>,
    role: Option<String>,
}

async fn create_api(
    state: web::Data<AppState>,
    who: Identity,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let name =
        body.name.ok_or_else(|| AppError::invalid("missing_field", Some("name"), "name is required"))?;
    let role = body.role.unwrap_or_else(|| Role::Viewer.token_scope().into());
    let created = create(&state, &who, &name, &role).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/tokens/{}", created.view.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

async fn revoke_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    revoke(&state, &who, path_id(&id, "token_not_found", "API token")?).await?;
    Ok(HttpResponse::NoContent().finish())
}
