//! `/api/users`: admins manage users; everyone signed in may change their own password.
//! The settings page's forms call the same functions.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::auth::{initial_password, password, users, Credential, Identity, Role};
use crate::domain::UserId;
use crate::error::{AppError, ErrorBody};
use crate::store::users::{NewUser, UserEdit, UserRow, UserView};
use crate::store::{self, audit};
use crate::web::input::{not_null, path_id, JsonBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/users", web::get().to(list))
        .route("/api/users", web::post().to(create_api))
        .route("/api/users/me", web::get().to(me))
        .route("/api/users/me/password", web::post().to(own_password_api))
        .route("/api/users/{id}", web::patch().to(update_api))
        .route("/api/users/{id}", web::delete().to(delete_api));
}

pub(crate) fn user_id(raw: &str) -> Result<UserId, AppError> {
    path_id(raw, "user_not_found", "user").map(UserId)
}

/// Hashes off the async threads and within the gate: argon2 takes tens of milliseconds and
/// 19 MiB by design.
pub(crate) async fn hash_password(state: &AppState, secret: String) -> Result<String, AppError> {
    state.passwords.run(move || password::hash(&secret)).await?
}

fn required(value: Option<String>, field: &'static str) -> Result<String, AppError> {
    value.ok_or_else(|| AppError::invalid("missing_field", Some(field), format!("{field} is required")))
}

#[utoipa::path(get, path = "/api/users", operation_id = "listUsers", tag = "users",
    summary = "Users: all for an admin, themselves for a viewer",
    responses((status = 200, description = "users", body = [UserView])))]
pub(super) async fn list(state: web::Data<AppState>, who: Identity) -> Result<HttpResponse, AppError> {
    let rows = visible(&state, &who).await?;
    Ok(crate::web::json(&rows.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

/// The users `who` may see: everyone for an admin, themselves for a viewer (a token's owner).
pub(crate) async fn visible(state: &AppState, who: &Identity) -> Result<Vec<UserRow>, AppError> {
    match (who.role, who.owner()) {
        (Role::Admin, _) => store::users::list(&state.actors.store).await,
        (Role::Viewer, Some(me)) => Ok(vec![store::users::get(&state.actors.store, me).await?]),
        (Role::Viewer, None) => Ok(Vec::new()),
    }
}

/// Who is asking.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user's name, `token:<name>`, or `null` when authentication is off.
    pub name: Option<String>,
    #[schema(schema_with = Role::user_role_schema)]
    pub role: &'static str,
    /// How the request proved who it is: `session`, `token`, or `none` (authentication is off).
    #[schema(schema_with = via_schema)]
    pub via: &'static str,
    /// Only for a session: send it as `X-CSRF-Token` on writes (for scripts of the page that cannot
    /// read the meta tag).
    pub csrf_token: Option<String>,
}

fn via_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["session", "token", "proxy", "none"]))
        .build()
}

#[utoipa::path(get, path = "/api/users/me", operation_id = "whoAmI", tag = "users",
    summary = "Who is asking",
    responses((status = 200, description = "the identity", body = Me)))]
pub(super) async fn me(who: Identity) -> HttpResponse {
    let via = match who.credential {
        Credential::Open => "none",
        Credential::Session { .. } => "session",
        Credential::Token { .. } => "token",
        Credential::Forwarded { .. } => "proxy",
    };
    crate::web::json(&Me {
        name: who.name.clone(),
        role: who.role.as_str(),
        via,
        csrf_token: who.csrf_token().map(str::to_string),
    })
}

/// Creates a user (admins only).
pub(crate) async fn create(
    state: &AppState,
    who: &Identity,
    username: &str,
    secret: String,
    role: &str,
) -> Result<UserView, AppError> {
    who.require_admin()?;
    let username = users::check_username(username)?;
    let role = Role::parse_user_role(role)?;
    password::check_new(&secret, "password")?;
    let hash = hash_password(state, secret).await?;
    let now = Utc::now().naive_utc();
    let new = NewUser { username, password_hash: hash, role, created_at: now, updated_at: now };
    let row = store::users::insert(&state.actors.store, new).await?;
    let detail = format!("{} ({})", row.username, row.role.as_str());
    audit::record(&state.actors.store, who.name.as_deref(), "user_created", detail).await;
    Ok(row.into())
}

/// Changes a user's role and/or sets a new password (admins only). A new password ends all of
/// that user's sessions but the asking one.
pub(crate) async fn update(
    state: &AppState,
    who: &Identity,
    id: UserId,
    role: Option<&str>,
    new_password: Option<String>,
) -> Result<UserView, AppError> {
    who.require_admin()?;
    let role = role.map(Role::parse_user_role).transpose()?;
    if role.is_none() && new_password.is_none() {
        return Err(AppError::invalid("missing_field", Some("role"), "Give role or password (or both)"));
    }
    let hash = match new_password {
        Some(secret) => {
            password::check_new(&secret, "password")?;
            Some(hash_password(state, secret).await?)
        }
        None => None,
    };
    let resetting = hash.is_some();
    let edit = UserEdit { role, password_hash: hash, keep_session: who.session_id() };
    let (row, ended) = store::users::edit(&state.actors.store, id, edit, Utc::now().naive_utc()).await?;
    let mut detail = format!("{} ({})", row.username, row.role.as_str());
    if resetting {
        detail.push_str(&format!("; password reset, {ended} session(s) ended"));
        initial_password::forget_for(&state.config.data_dir, &row.username);
    }
    audit::record(&state.actors.store, who.name.as_deref(), "user_updated", detail).await;
    Ok(row.into())
}

/// Deletes a user (admins only), never the last admin; their API tokens are revoked with them.
pub(crate) async fn remove(state: &AppState, who: &Identity, id: UserId) -> Result<(), AppError> {
    who.require_admin()?;
    let row = store::users::delete(&state.actors.store, id, Utc::now().naive_utc()).await?;
    initial_password::forget_for(&state.config.data_dir, &row.username);
    audit::record(&state.actors.store, who.name.as_deref(), "user_deleted", row.username).await;
    Ok(())
}

/// Changes the asking user's own password, which ends their other sessions.
pub(crate) async fn change_own_password(
    state: &AppState,
    who: &Identity,
    current: String,
    new_password: String,
) -> Result<(), AppError> {
    let Some(id) = who.user_id() else {
        return Err(AppError::invalid(
            "no_password",
            None,
            "Only a signed-in user has a password to change (not an API token, nor anyone when authentication is off)",
        ));
    };
    password::check_new(&new_password, "new_password")?;
    let row = store::users::get(&state.actors.store, id).await?;
    let stored = row.password_hash.clone();
    // a stolen session cannot guess at the current password faster than a sign-in could
    let attempt = state.password_changes.begin(id, Instant::now()).map_err(AppError::TooManyRequests)?;
    let right = state.passwords.run(move || password::verify(&current, &stored)).await;
    let right = match right {
        Err(e) => {
            state.password_changes.succeeded(id, attempt);
            return Err(e);
        }
        Ok(right) => right,
    };
    if right {
        state.password_changes.succeeded(id, attempt);
    } else {
        audit::record(
            &state.actors.store,
            who.name.as_deref(),
            "password_change_failed",
            "wrong current password",
        )
        .await;
        return Err(AppError::invalid(
            "wrong_password",
            Some("current_password"),
            "The current password is wrong",
        ));
    }
    let hash = hash_password(state, new_password).await?;
    let keep = who.session_id();
    let now = Utc::now().naive_utc();
    let (row, ended) = store::users::set_password(&state.actors.store, id, hash, keep, now).await?;
    initial_password::forget_for(&state.config.data_dir, &row.username);
    let detail = format!("{ended} other session(s) ended");
    audit::record(&state.actors.store, who.name.as_deref(), "password_changed", detail).await;
    Ok(())
}

/// `username` and `password` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUserBody {
    #[serde(default, deserialize_with = "not_null::username")]
    #[schema(nullable = false, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$")]
    username: Option<String>,
    #[serde(default, deserialize_with = "not_null::password")]
    #[schema(nullable = false, min_length = 8, max_length = 1024)]
    password: Option<String>,
    /// Default `viewer`.
    #[serde(default, deserialize_with = "not_null::role")]
    #[schema(schema_with = Role::user_role_schema)]
    role: Option<String>,
}

#[utoipa::path(post, path = "/api/users", operation_id = "createUser", tag = "users",
    summary = "Create a user (admin)",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "the user", body = UserView,
            headers(("Location" = String, description = "the user's address, /api/users/{id}"))),
        (status = 400, description = "missing_field, invalid_characters, too_long, weak_password, \
            invalid_role, username_taken, invalid_json, unknown_field", body = ErrorBody),
    ))]
pub(super) async fn create_api(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<NewUserBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let username = required(body.username, "username")?;
    let secret = required(body.password, "password")?;
    let role = body.role.unwrap_or_else(|| Role::Viewer.as_str().into());
    let user = create(&state, &who, &username, secret, &role).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/users/{}", user.id)))
        .json(user))
}

/// `role`, `password`, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserChangesBody {
    #[serde(default, deserialize_with = "not_null::role")]
    #[schema(schema_with = Role::user_role_schema)]
    role: Option<String>,
    /// A new password, which ends that user's sessions.
    #[serde(default, deserialize_with = "not_null::password")]
    #[schema(nullable = false, min_length = 8, max_length = 1024)]
    password: Option<String>,
}

#[utoipa::path(patch, path = "/api/users/{id}", operation_id = "updateUser", tag = "users",
    summary = "Change a user's role and/or set a new password (admin); a new password ends that user's sessions",
    params(("id" = i32, Path, description = "user id")),
    request_body = UserChangesBody,
    responses(
        (status = 200, description = "the user", body = UserView),
        (status = 400, description = "invalid_role, weak_password, missing_field, last_admin, invalid_json, \
            unknown_field", body = ErrorBody),
        (status = 404, description = "user_not_found", body = ErrorBody),
    ))]
pub(super) async fn update_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
    body: JsonBody<UserChangesBody>,
) -> Result<HttpResponse, AppError> {
    let id = user_id(&id)?;
    let body = body.into_inner();
    Ok(crate::web::json(&update(&state, &who, id, body.role.as_deref(), body.password).await?))
}

#[utoipa::path(delete, path = "/api/users/{id}", operation_id = "deleteUser", tag = "users",
    summary = "Delete a user (admin); never the last admin. Their sessions end; API tokens stay",
    params(("id" = i32, Path, description = "user id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 400, description = "last_admin", body = ErrorBody),
        (status = 404, description = "user_not_found", body = ErrorBody),
    ))]
pub(super) async fn delete_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &who, user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Both fields are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordChangeBody {
    #[serde(default, deserialize_with = "not_null::current_password")]
    #[schema(nullable = false)]
    current_password: Option<String>,
    #[serde(default, deserialize_with = "not_null::new_password")]
    #[schema(nullable = false, min_length = 8, max_length = 1024)]
    new_password: Option<String>,
}

#[utoipa::path(post, path = "/api/users/me/password", operation_id = "changeOwnPassword", tag = "users",
    summary = "Change one's own password; ends one's other sessions",
    request_body = PasswordChangeBody,
    responses(
        (status = 204, description = "changed"),
        (status = 400, description = "wrong_password, weak_password, missing_field, invalid_json, \
            unknown_field, no_password (API tokens have none)", body = ErrorBody),
    ))]
pub(super) async fn own_password_api(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<PasswordChangeBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let current = required(body.current_password, "current_password")?;
    let new_password = required(body.new_password, "new_password")?;
    change_own_password(&state, &who, current, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
