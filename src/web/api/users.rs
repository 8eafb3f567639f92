//! `/api/users`: admins manage users; everyone signed in may change their own password.
//! The settings page's forms call the same functions.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::Connection;
use serde::Deserialize;
use serde_json::json;

use crate::auth::users::{self as user_store, NewUser, UserView};
use crate::auth::{audit, initial_password, password, Credential, Identity, Role};
use crate::error::AppError;
use crate::web::input::path_id;
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

async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.actors.store.run(user_store::list).await?;
    Ok(crate::web::json(&rows.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

/// Who is asking: `{"name", "role", "via", "csrf_token"}` (`via`: session, token or none; the CSRF
/// token only for a session, for scripts of the page that cannot read the meta tag).
async fn me(who: Identity) -> HttpResponse {
    let via = match who.credential {
        Credential::Open => "none",
        Credential::Session { .. } => "session",
        Credential::Token { .. } => "token",
    };
    crate::web::json(&json!({
        "name": who.name,
        "role": who.role.as_str(),
        "via": via,
        "csrf_token": who.csrf_token(),
    }))
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
        initial_password::forget_for(&state.config.data_dir, &row.username);
    }
    audit::record(&state.actors.store, who.name.as_deref(), "user_updated", detail).await;
    Ok(row.into())
}

/// Deletes a user (admins only); never the last admin.
pub(crate) async fn remove(state: &AppState, who: &Identity, id: i32) -> Result<(), AppError> {
    who.require_admin()?;
    let row = state.actors.store.run(move |c| user_store::delete(c, id)).await?;
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
    let (row, ended) =
        state.actors.store.run(move |c| user_store::set_password(c, id, &hash, keep, now)).await?;
    initial_password::forget_for(&state.config.data_dir, &row.username);
    let detail = format!("{ended} other session(s) ended");
    audit::record(&state.actors.store, who.name.as_deref(), "password_changed", detail).await;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
}

async fn create_api(
    state: web::Data<AppState>,
    who: Identity,
    body: web::Json<CreateBody>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    role: Option<String>,
    password: Option<String>,
}

async fn update_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, AppError> {
    let id = user_id(&id)?;
    let body = body.into_inner();
    Ok(crate::web::json(&update(&state, &who, id, body.role.as_deref(), body.password).await?))
}

async fn delete_api(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &who, user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnPasswordBody {
    current_password: Option<String>,
    new_password: Option<String>,
}

async fn own_password_api(
    state: web::Data<AppState>,
    who: Identity,
    body: web::Json<OwnPasswordBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let current = required(body.current_password, "current_password")?;
    let new_password = required(body.new_password, "new_password")?;
    change_own_password(&state, &who, current, new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
