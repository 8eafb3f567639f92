//! Who is asking: the credentials of a request, the `Identity` they stand for (a handler
//! argument once the middleware has found it) and what the pages need to know of it.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::Utc;
use serde::Serialize;

use super::cookies::SESSION_COOKIE;
use super::AppState;
use crate::auth::tokens::{self, TOKEN_PREFIX};
use crate::auth::{sessions, Credential, Identity, Role};
use crate::error::AppError;

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

/// Finds the credentials of a request. `Err` when they are given but wrong (a bad or revoked
/// token); `Ok(None)` when there are none (or the session is over: a browser then signs in again).
pub(super) async fn identify(req: &HttpRequest, state: &AppState) -> Result<Option<Identity>, AppError> {
    let now = Utc::now().naive_utc();
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() <= 100)
            .ok_or(AppError::Unauthorized)?;
        let hash = tokens::digest(token);
        let row = state.actors.store.run(move |c| tokens::find_live(c, &hash, now)).await?;
        let row = row.ok_or(AppError::Unauthorized)?;
        return Ok(Some(Identity {
            name: Some(format!("token:{}", row.name)),
            role: row.role(),
            credential: Credential::Token { token_id: row.id },
        }));
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else { return Ok(None) };
    let secret = cookie.value().to_string();
    if secret.len() != 43 {
        return Ok(None);
    }
    let hash = tokens::digest(&secret);
    let found = state.actors.store.run(move |c| sessions::find_live(c, &hash, now)).await?;
    Ok(found.map(|(session, user)| Identity {
        role: user.role(),
        name: Some(user.username),
        credential: Credential::Session {
            session_id: session.id,
            user_id: user.id,
            csrf_token: tokens::csrf_for_session(&secret),
        },
    }))
}
