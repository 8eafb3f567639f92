//! `/api/tokens`: API tokens for scripts, made and revoked by admins. A token's secret is shown
//! once, in the answer that creates it; the database keeps only its SHA-256.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::tokens::{self, TOKEN_PREFIX};
use crate::auth::{users, Identity, Role};
use crate::error::{AppError, ErrorBody};
use crate::store::tokens::{CreatedToken, NewToken, TokenRow, TokenView};
use crate::store::{self, audit};
use crate::web::input::{not_null, path_id, JsonBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/tokens", web::get().to(list))
        .route("/api/tokens", web::post().to(create_api))
        .route("/api/tokens/{id}", web::delete().to(revoke_api));
}

#[utoipa::path(get, path = "/api/tokens", operation_id = "listTokens", tag = "tokens",
    summary = "API tokens, revoked ones too (never their secrets): all for an admin, their own for a viewer",
    responses((status = 200, description = "tokens", body = [TokenView])))]
pub(super) async fn list(state: web::Data<AppState>, who: Identity) -> Result<HttpResponse, AppError> {
    let rows = visible(&state, &who).await?;
    Ok(crate::web::json(&rows.into_iter().map(TokenView::from).collect::<Vec<_>>()))
}

/// The tokens `who` may see: every one for an admin, their own for a viewer.
pub(crate) async fn visible(state: &AppState, who: &Identity) -> Result<Vec<TokenRow>, AppError> {
    match (who.role, who.owner()) {
        (Role::Admin, _) => store::tokens::list(&state.actors.store).await,
        (Role::Viewer, Some(me)) => store::tokens::list_of(&state.actors.store, me).await,
        (Role::Viewer, None) => Ok(Vec::new()),
    }
}

/// Creates a token (admins only), owned by the user who asks (a token's owner when a token asks).
/// `role` is `read` (a viewer) or `full` (an admin).
pub(crate) async fn create(
    state: &AppState,
    who: &Identity,
    name: &str,
    role: &str,
) -> Result<CreatedToken, AppError> {
    who.require_admin()?;
    let name = users::check_name(name, "name")?;
    let role = Role::parse_token_scope(role)?;
    let secret = format!("{TOKEN_PREFIX}{}", tokens::random_secret()?);
    let new = NewToken {
        name,
        token_hash: tokens::digest(&secret),
        role,
        created_by: who.name.clone(),
        created_at: Utc::now().naive_utc(),
        user_id: who.owner(),
    };
    let row = store::tokens::insert(&state.actors.store, new).await?;
    let detail = format!("{} ({})", row.name, row.role.token_scope());
    audit::record(&state.actors.store, who.name.as_deref(), "token_created", detail).await;
    Ok(CreatedToken { view: row.into(), token: secret })
}

/// Revokes a token (admins only): the next request that shows it is refused.
pub(crate) async fn revoke(state: &AppState, who: &Identity, id: i32) -> Result<TokenView, AppError> {
    who.require_admin()?;
    let now = Utc::now().naive_utc();
    let row = store::tokens::revoke(&state.actors.store, id, now).await?;
    audit::record(&state.actors.store, who.name.as_deref(), "token_revoked", row.name.clone()).await;
    Ok(row.into())
}

/// `name` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTokenBody {
    #[serde(default, deserialize_with = "not_null::name")]
    #[schema(nullable = false, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$")]
    name: Option<String>,
    /// `read` (a viewer, the default) or `full` (an admin).
    #[serde(default, deserialize_with = "not_null::role")]
    #[schema(schema_with = Role::token_scope_schema)]
    role: Option<String>,
}

#[utoipa::path(post, path = "/api/tokens", operation_id = "createToken", tag = "tokens",
    summary = "Create an API token (admin); its secret is in this answer only",
    request_body = NewTokenBody,
    responses(
        (status = 201, description = "the token with its secret", body = CreatedToken,
            headers(("Location" = String, description = "the token's address, /api/tokens/{id}"))),
        (status = 400, description = "missing_field, invalid_characters, too_long, invalid_role, name_taken, \
            invalid_json, unknown_field", body = ErrorBody),
    ))]
pub(super) async fn create_api(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<NewTokenBody>,
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

#[utoipa::path(delete, path = "/api/tokens/{id}", operation_id = "revokeToken", tag = "tokens",
    summary = "Revoke an API token (admin): refused from the next request on",
    params(("id" = i32, Path, description = "token id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, description = "token_not_found", body = ErrorBody),
    ))]
pub(super) async fn revoke_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    revoke(&state, &who, path_id(&id, "token_not_found", "API token")?).await?;
    Ok(HttpResponse::NoContent().finish())
}
