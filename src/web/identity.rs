//! Who is asking: the credentials of a request, the `Identity` they stand for (a handler
//! argument once the middleware has found it) and what the pages need to know of it.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;
use serde::Serialize;

use super::cookies::session_secret;
use super::AppState;
use crate::auth::tokens::{self, TOKEN_PREFIX};
use crate::auth::{Credential, Identity, Role};
use crate::config::AuthMode;
use crate::error::AppError;
use crate::store;

impl FromRequest for Identity {
    type Error = AppError;
    type Future = std::future::Ready<Result<Identity, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Identity>().cloned().ok_or(AppError::Unauthorized))
    }
}

/// What the layout and the pages need to know about authentication.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PageAuth {
    /// `CHRONTAINER_AUTH=none`: the layout shows a warning banner.
    pub disabled: bool,
    /// The signed-in user, or `token:<name>`.
    pub user: Option<String>,
    pub is_admin: bool,
    /// Whether the layout links to the settings page (someone is signed in, or auth is off).
    pub settings: bool,
    /// For `<meta name="csrf-token">` and the forms' hidden `csrf_token` field; only with a session.
    pub csrf_token: Option<String>,
}

impl PageAuth {
    /// From the identity the middleware found; a request it never saw (a unit test) gets the default.
    pub fn of(req: &HttpRequest) -> PageAuth {
        match req.extensions().get::<Identity>() {
            Some(who) => PageAuth {
                disabled: matches!(who.credential, Credential::Open),
                user: who.name.clone(),
                is_admin: who.role == Role::Admin,
                settings: true,
                csrf_token: who.csrf_token().map(str::to_string),
            },
            None => PageAuth::default(),
        }
    }
}

/// The credentials a request shows, before they are looked up; kept by an event stream to look
/// them up again while it lasts.
#[derive(Clone)]
pub enum Shown {
    /// The SHA-256 of an `Authorization: Bearer` token.
    Token { digest: String },
    /// The session cookie's secret (its CSRF token is derived from it).
    Session { secret: String },
}

/// Reads the credentials of a request: `Err` for an `Authorization` header that is no token of
/// ours, `Ok(None)` without credentials (or with a cookie that cannot be a session's).
pub fn shown(req: &HttpRequest) -> Result<Option<Shown>, AppError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() <= 100)
            .ok_or(AppError::Unauthorized)?;
        return Ok(Some(Shown::Token { digest: tokens::digest(token) }));
    }
    let Some(secret) = session_secret(req) else { return Ok(None) };
    Ok((secret.len() == 43).then_some(Shown::Session { secret }))
}

/// Who the credentials stand for now. `Err` when a token is wrong or revoked; `Ok(None)` when
/// the session is over (a browser then signs in again).
pub async fn look_up(shown: &Shown, state: &AppState) -> Result<Option<Identity>, AppError> {
    let now = Utc::now().naive_utc();
    match shown {
        Shown::Token { digest } => {
            let live = store::tokens::find_live(&state.actors.store, digest.clone(), now).await?;
            let live = live.ok_or(AppError::Unauthorized)?;
            Ok(Some(Identity {
                name: Some(format!("token:{}", live.token.name)),
                role: live.role(),
                credential: Credential::Token { token_id: live.token.id, user_id: live.owner.id },
            }))
        }
        Shown::Session { secret } => {
            let hash = tokens::digest(secret);
            let found = store::sessions::find_live(&state.actors.store, hash, now).await?;
            Ok(found.map(|(session, user)| Identity {
                role: user.role,
                name: Some(user.username),
                credential: Credential::Session {
                    session_id: session.id,
                    user_id: user.id,
                    csrf_token: tokens::csrf_for_session(secret),
                },
            }))
        }
    }
}

/// Finds the credentials of a request and who they stand for: with `CHRONTAINER_AUTH=proxy` the
/// trusted proxy's headers first (`forwarded`), then [`shown`] and [`look_up`].
pub(super) async fn identify(req: &HttpRequest, state: &AppState) -> Result<Option<Identity>, AppError> {
    if state.config.auth == AuthMode::Proxy {
        if let Some(who) = super::forwarded::identify(req, state).await? {
            return Ok(Some(who));
        }
    }
    match shown(req)? {
        Some(shown) => look_up(&shown, state).await,
        None => Ok(None),
    }
}
