//! `/settings`: one's own password, and for admins the users, the API tokens and the audit trail.
//! Plain HTML forms that post and come back here (303), so the page works without script.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use super::{render_or_error, see_other, Common};
use crate::auth::audit::{self, AuditEntry};
use crate::auth::tokens::{self, CreatedToken};
use crate::auth::users::{self as user_store, UserView};
use crate::auth::{Identity, Role};
use crate::error::AppError;
use crate::web::identity::PageAuth;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(settings_page))
        .route("/settings/password", web::post().to(settings_password))
        .route("/settings/users", web::post().to(settings_add_user))
        .route("/settings/users/{id}/role", web::post().to(settings_user_role))
        .route("/settings/users/{id}/password", web::post().to(settings_user_password))
        .route("/settings/users/{id}/delete", web::post().to(settings_delete_user))
        .route("/settings/tokens", web::post().to(settings_add_token))
        .route("/settings/tokens/{id}/revoke", web::post().to(settings_revoke_token));
}

#[derive(Serialize)]
struct UserItem {
    #[serde(flatten)]
    user: UserView,
    is_me: bool,
    is_admin: bool,
}

#[derive(Serialize)]
struct TokenItem {
    #[serde(flatten)]
    token: tokens::TokenView,
    revoked: bool,
}

#[derive(Serialize)]
struct SettingsView {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    /// Whether there is a password of one's own to change (not when signed in by token or auth is off).
    has_password: bool,
    users: Vec<UserItem>,
    tokens: Vec<TokenItem>,
    audit: Vec<AuditEntry>,
    done: Option<&'static str>,
    error: Option<String>,
    new_token: Option<CreatedToken>,
}

/// What `?done=` may say: a fixed list, so the address cannot put words on the page.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "password" => "Your password is changed. Your other sessions are signed out.",
        "user_created" => "The user is created.",
        "user_updated" => "The user is changed.",
        "user_deleted" => "The user is deleted.",
        "token_revoked" => "The API token is revoked: it is refused from now on.",
        _ => return None,
    })
}

async fn settings_view(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    error: Option<String>,
    new_token: Option<CreatedToken>,
) -> Result<SettingsView, AppError> {
    let (users, tokens, audit) = state
        .actors
        .store
        .run(|c| Ok((user_store::list(c)?, tokens::list(c)?, audit::page(c, 20, None)?)))
        .await?;
    let done = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("done").and_then(|d| done_message(d)));
    let me = who.user_id();
    Ok(SettingsView {
        common: Common::new("Settings", "settings"),
        auth: PageAuth::of(req),
        has_password: me.is_some(),
        users: users
            .into_iter()
            .map(|u| UserItem { is_me: Some(u.id) == me, is_admin: u.role() == Role::Admin, user: u.into() })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenItem { revoked: t.revoked_at.is_some(), token: t.into() })
            .collect(),
        audit: if who.role == Role::Admin {
            audit.into_iter().map(AuditEntry::from).collect()
        } else {
            Vec::new()
        },
        done: if error.is_some() { None } else { done },
        error,
        new_token,
    })
}

/// The settings page with `result`'s error (and its status) or `new_token`, shown once.
async fn settings_answer(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    error: Option<AppError>,
    new_token: Option<CreatedToken>,
) -> HttpResponse {
    let status = error.as_ref().map_or(StatusCode::OK, ResponseError::status_code);
    match settings_view(state, req, who, error.map(|e| e.to_string()), new_token).await {
        Ok(view) => render_or_error(state, status, "settings", &view),
        Err(e) => super::error_page(&state.templates, &e),
    }
}

/// After a form: back to the settings page (303, so a reload does not post again), or the page
/// with the error.
async fn after_form(
    state: &AppState,
    req: &HttpRequest,
    who: &Identity,
    result: Result<(), AppError>,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(()) => see_other(&format!("/settings?done={done}")),
        Err(e) => settings_answer(state, req, who, Some(e), None).await,
    }
}

async fn settings_page(state: web::Data<AppState>, req: HttpRequest, who: Identity) -> HttpResponse {
    settings_answer(&state, &req, &who, None, None).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

async fn settings_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let result = if form.new_password != form.new_password_again {
        Err(AppError::invalid("passwords_differ", Some("new_password_again"), "The two new passwords differ"))
    } else {
        crate::web::api::users::change_own_password(&state, &who, form.current_password, form.new_password)
            .await
    };
    after_form(&state, &req, &who, result, "password").await
}

#[derive(Deserialize)]
struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

async fn settings_add_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    form: web::Form<NewUserForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let result = crate::web::api::users::create(&state, &who, &form.username, form.password, &form.role)
        .await
        .map(|_| ());
    after_form(&state, &req, &who, result, "user_created").await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn settings_user_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
    form: web::Form<RoleForm>,
) -> HttpResponse {
    let result = match crate::web::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => crate::web::api::users::update(&state, &who, id, Some(&form.role), None).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(&state, &req, &who, result, "user_updated").await
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn settings_user_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
    form: web::Form<ResetForm>,
) -> HttpResponse {
    let result = match crate::web::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => crate::web::api::users::update(&state, &who, id, None, Some(form.into_inner().password))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(&state, &req, &who, result, "user_updated").await
}

async fn settings_delete_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
) -> HttpResponse {
    let result = match crate::web::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => crate::web::api::users::remove(&state, &who, id).await,
        Err(e) => Err(e),
    };
    after_form(&state, &req, &who, result, "user_deleted").await
}

#[derive(Deserialize)]
struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn settings_add_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    form: web::Form<NewTokenForm>,
) -> HttpResponse {
    match crate::web::api::tokens::create(&state, &who, &form.name, &form.role).await {
        Ok(created) => settings_answer(&state, &req, &who, None, Some(created)).await,
        Err(e) => settings_answer(&state, &req, &who, Some(e), None).await,
    }
}

async fn settings_revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    id: web::Path<String>,
) -> HttpResponse {
    let result = match crate::web::input::path_id(&id, "token_not_found", "API token") {
        Ok(id) => crate::web::api::tokens::revoke(&state, &who, id).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(&state, &req, &who, result, "token_revoked").await
}
