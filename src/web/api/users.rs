//! `/api/users`: admins manage users; everyone signed in may change their own password.
//! The settings page's forms call the same functions.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::auth::users::{self as user_store, NewUser, UserView};
use crate::auth::{audit, password, Credential, Identity, Role};
use crate::error::{AppError, ErrorBody};
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

fn user_id(raw: &str) -> Result<i32, AppError> {
    path_id(raw, "user_not_found", "user")
}

/// Hashes off the async threads: argon2 takes tens of milliseconds by design.
pub(crate) async fn hash_password(secret: String) -> Result<String, AppError> {
    web::block(move || password::hash(&secret))
        .await
        .map_err(|e| AppError::Internal(format!("password hashing thread: {e}")))?
}

fn required(value: Option<String>, field: &'static str) -> Result<String, AppError> {
    value.ok_or_else(|| AppError::invalid("missing_field", Some(field), format!("{field} is required")))
}

#[utoipa::path(get, path = "/api/users", operation_id = "listUsers", tag = "users",
    summary = "All users",
    responses((status = 200, description = "users", body = [UserView])))]
pub(super) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.actors.store.run(user_store::list).await?;
    Ok(crate::web::json(&rows.into_iter().map(UserView::from).collect::<Vec<_>>()))
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
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["session", "token", "none"])).build()
}

#[utoipa::path(get, path = "/api/users/me", operation_id = "whoAmI", tag = "users",
    summary = "Who is asking",
    responses((status = 200, description = "the identity", body = Me)))]
pub(super) async fn me(who: Identity) -> HttpResponse {
    let via = match who.credential {
        Credential::Open => "none",
        Credential::Session { .. } => "session",
        Credential::Token { .. } => "token",
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
    let username = user_store::check_username(username)?;
    let role = Role::parse_user_role(role)?;
    password::check_new(&secret, "password")?;
    let hash = hash_password(secret).await?;
    let now = Utc::now().naive_utc();
    let new = NewUser {
        username,
        password_hash: hash,
        role: role.as_str().into(),
        created_at: now,
        updated_at: now,
    };
    let row = state.actors.store.run(move |c| user_store::insert(c, &new)).await?;
    let detail = format!("{} ({})", row.username, row.role);
    audit::record(&state.actors.store, who.name.as_deref(), "user_created", detail).await;
    Ok(row.into())
}

/// Changes a user's role and/or sets a new password (admins only). A new password ends all of
/// that user's sessions but the asking one.
pub(crate) async fn update(
    state: &AppState,
    who: &Identity,
    id: i32,
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
            Some(hash_password(secret).await?)
        }
        None => None,
    };
    let resetting = hash.is_some();
    let keep = who.session_id();
    let now = Utc::now().naive_utc();
    let (row, ended) = state
        .actors
        .store
        .run(move |c| {
            c.transaction(|c| {
                let mut row = user_store::get(c, id)?;
                if let Some(role) = role {
                    row = user_store::set_role(c, id, role, now)?;
                }
                let mut ended = 0;
                if let Some(hash) = &hash {
                    (row, ended) = user_store::set_password(c, id, hash, keep, now)?;
                }
                Ok((row, ended))
            })
        })
        .await?;
    let mut detail = format!("{} ({})", row.username, row.role);
    if resetting {
        detail.push_str(&format!("; password reset, {ended} session(s) ended"));
    }
    audit::record(&state.actors.store, who.name.as_deref(), "user_updated", detail).await;
    Ok(row.into())
}

/// Deletes a user (admins only); never the last admin.
pub(crate) async fn remove(state: &AppState, who: &Identity, id: i32) -> Result<(), AppError> {
    who.require_admin()?;
    let row = state.actors.store.run(move |c| user_store::delete(c, id)).await?;
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
    let row = state.actors.store.run(move |c| user_store::get(c, id)).await?;
    let stored = row.password_hash.clone();
    let right = web::block(move || password::verify(&current, &stored)).await.unwrap_or(false);
    if !right {
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
    let hash = hash_password(new_password).await?;
    let keep = who.session_id();
    let now = Utc::now().naive_utc();
    let (_, ended) =
        state.actors.store.run(move |c| user_store::set_password(c, id, &hash, keep, now)).await?;
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
