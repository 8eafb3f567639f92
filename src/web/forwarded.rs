//! Forward auth (`CHRONTAINER_AUTH=proxy`): a reverse proxy (Traefik's ForwardAuth, Caddy's
//! `forward_auth`, nginx `auth_request`) has signed the person in and names them in
//! `Remote-User`, `Remote-Groups` and `Remote-Email` (the names are settings). Those headers are
//! believed only on a connection from an address in `CHRONTAINER_TRUSTED_PROXIES` (the socket's
//! peer, never `X-Forwarded-For`); from anywhere else they are refused and the refusal logged,
//! since anyone can send them.
//!
//! The user is made at their first request (`origin: proxy`) and their role follows their groups
//! at every request. The browser's credential is the proxy's cookie, so writes need a CSRF token
//! as for a session: derived from the user and a key made at start-up.

use std::sync::OnceLock;

use actix_web::HttpRequest;
use chrono::Utc;

use super::AppState;
use crate::auth::groups::role_for;
use crate::auth::users::check_username;
use crate::auth::{tokens, Credential, Identity, Origin};
use crate::domain::UserId;
use crate::error::AppError;
use crate::store::users::Outsider;
use crate::store::{self, audit};

/// Who the trusted proxy says the request is from; `None` when it names nobody.
pub async fn identify(req: &HttpRequest, state: &AppState) -> Result<Option<Identity>, AppError> {
    let fa = &state.config.forward_auth;
    let header =
        |name: &str| req.headers().get(name).map(|v| v.to_str().map(str::trim).unwrap_or("").to_string());
    let (user, email) = (header(&fa.user_header), header(&fa.email_header));
    if user.is_none() && email.is_none() && header(&fa.groups_header).is_none() {
        return Ok(None);
    }
    let peer = req.peer_addr().map(|a| a.ip());
    if !peer.is_some_and(|ip| fa.trusts(ip)) {
        let from = peer.map_or_else(|| "an unknown address".to_string(), |ip| ip.to_string());
        log::warn!(
            "refused a request from {from} with forward-auth headers ({}): that address is not in \
             CHRONTAINER_TRUSTED_PROXIES",
            fa.user_header
        );
        return Err(AppError::Forbidden(format!(
            "Forward-auth headers ({}) are believed only from the reverse proxy, and {from} is not in \
             CHRONTAINER_TRUSTED_PROXIES",
            fa.user_header
        )));
    }
    let Some(username) =
        [user.as_deref(), email.as_deref()].into_iter().flatten().find_map(|name| check_username(name).ok())
    else {
        return Err(AppError::Forbidden(format!(
            "The proxy's {} header names no valid user (1 to 64 of letters, digits and . _ @ -)",
            fa.user_header
        )));
    };
    let groups = header(&fa.groups_header).unwrap_or_default();
    // comma-separated (Authelia), or `|`-separated (Authentik's outpost)
    let groups: Vec<&str> = groups.split([',', '|']).collect();
    let role = role_for(&state.config.group_roles, &groups)?;
    let who = Outsider { origin: Origin::Proxy, subject: username.clone(), username, role };
    let (row, created) =
        store::users::sign_in_outsider(&state.actors.store, who, Utc::now().naive_utc()).await?;
    if created {
        let detail = format!("{} ({}) at their first forward-auth request", row.username, row.role.as_str());
        audit::record(&state.actors.store, None, "user_created", detail).await;
    }
    Ok(Some(Identity {
        role: row.role,
        credential: Credential::Forwarded { user_id: row.id, csrf_token: csrf_token(row.id)? },
        name: Some(row.username),
    }))
}

/// The CSRF token of a forwarded user: a digest of their id under a key of this process (the
/// pages are served again after a restart, with the new one).
fn csrf_token(user: UserId) -> Result<String, AppError> {
    static KEY: OnceLock<String> = OnceLock::new();
    let key = match KEY.get() {
        Some(key) => key,
        None => {
            let fresh = tokens::random_secret()?;
            KEY.get_or_init(|| fresh)
        }
    };
    Ok(tokens::csrf_for_session(&format!("forwarded {key} {user}")))
}
