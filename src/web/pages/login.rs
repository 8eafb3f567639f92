//! `/login` and `/logout`: signing in with a user name and password (throttled by address, every
//! attempt in the audit trail) and signing out.

use std::time::Instant;

use actix_web::cookie::Cookie;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{render_or_error, see_other, Common};
use crate::auth::initial_password;
use crate::auth::throttle::by_address;
use crate::auth::users::{self as user_names};
use crate::auth::{password, tokens, Identity, Origin};
use crate::config::AuthMode;
use crate::domain::UserId;
use crate::error::AppError;
use crate::store::{self, audit};
use crate::web::client::{client_ip, client_text, is_https};
use crate::web::cookies::{removal_cookies, session_cookie};
use crate::web::identity::PageAuth;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/oidc", web::get().to(super::oidc::begin))
        .route("/login/oidc/callback", web::get().to(super::oidc::callback))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

#[derive(Serialize)]
struct LoginView {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    next: String,
    username: String,
    error: Option<String>,
    first_sign_in: Option<FirstSignIn>,
    /// The "Sign in with <provider>" button, when a provider is set.
    sso: Option<SsoButton>,
    /// Whether the password form is shown (not with `CHRONTAINER_AUTH=oidc`).
    password_form: bool,
}

#[derive(Serialize)]
struct SsoButton {
    name: String,
    /// `/login/oidc?next=…`
    href: String,
}

impl LoginView {
    fn new(
        state: &AppState,
        next: String,
        error: Option<String>,
        first_sign_in: Option<FirstSignIn>,
    ) -> Self {
        let sso = state.config.oidc.as_ref().map(|o| SsoButton {
            name: o.name.clone(),
            href: format!(
                "/login/oidc?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ),
        });
        let password_form = state.config.auth != AuthMode::Oidc;
        LoginView {
            common: Common::new("Sign in", ""),
            auth: PageAuth::default(),
            next,
            username: String::new(),
            error,
            // the first password is of no use without the form
            first_sign_in: first_sign_in.filter(|_| password_form),
            sso,
            password_form,
        }
    }
}

/// The login page again, with `error` and `status`: what every failed sign-in answers.
pub(super) fn with_error(state: &AppState, status: StatusCode, next: String, error: String) -> HttpResponse {
    render_or_error(state, status, "login", &LoginView::new(state, next, Some(error), None))
}

/// Until someone has signed in, the login page says where the first password is: a newcomer who
/// ran `docker compose up -d` would otherwise face a form with no way in.
#[derive(Serialize)]
struct FirstSignIn {
    /// The generated password's file, while it is there; else the password was given by the operator.
    password_file: Option<String>,
    /// The same file on the host, as docker-compose.yml mounts the data directory.
    compose_file: &'static str,
}

async fn first_sign_in(state: &AppState) -> Option<FirstSignIn> {
    let signed_in = audit::has_event(&state.actors.store, "login_succeeded").await;
    // on a database error the hint stays away: it is a help, never a reason for a failed page
    if signed_in.unwrap_or(true) {
        return None;
    }
    let file = initial_password::path(&state.config.data_dir);
    Some(FirstSignIn {
        password_file: initial_password::exists(&file).then(|| file.display().to_string()),
        compose_file: COMPOSE_PASSWORD_FILE,
    })
}

/// Where docker-compose.yml puts the data directory (`./data:/data`) and so the password file.
const COMPOSE_PASSWORD_FILE: &str = "./data/initial-admin-password";

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let next = web::Query::<NextQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().next);
    let next = safe_next(next.as_deref());
    if state.config.auth == AuthMode::None || req.extensions().get::<Identity>().is_some() {
        return see_other(&next);
    }
    let hint = first_sign_in(&state).await;
    let view = LoginView { auth: PageAuth::of(&req), ..LoginView::new(&state, next, None, hint) };
    render_or_error(&state, StatusCode::OK, "login", &view)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(state: web::Data<AppState>, req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    let LoginForm { username, password: secret, next } = form.into_inner();
    let next = safe_next(next.as_deref());
    if state.config.auth == AuthMode::None {
        return see_other(&next);
    }
    if state.config.auth == AuthMode::Oidc {
        let error = "Signing in with a password is off here (CHRONTAINER_AUTH=oidc): use the button.".into();
        return with_error(&state, StatusCode::FORBIDDEN, next, error);
    }
    let username = username.trim().to_string();
    let page = |status: StatusCode, error: String, first_sign_in: Option<FirstSignIn>| {
        let view = LoginView {
            username: crate::text::clip(&username, user_names::MAX_USERNAME),
            ..LoginView::new(&state, next.clone(), Some(error), first_sign_in)
        };
        render_or_error(&state, status, "login", &view)
    };
    let retry_later = |status: StatusCode, wait: u64, error: String| {
        let mut res = page(status, error, None);
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, value);
        }
        res
    };
    let from = client_text(&req, &state.config);
    // counted before the password is checked, so a crowd of guesses gets five checks, not forty
    let attempt = match client_ip(&req, &state.config).map(by_address) {
        Some(key) => match state.throttle.begin(key, Instant::now()) {
            Ok(at) => Some((key, at)),
            Err(wait) => {
                log::warn!("sign-in refused: too many failures from {from}");
                let error = format!("Too many failed sign-ins from your address: try again in {wait} s.");
                return retry_later(StatusCode::TOO_MANY_REQUESTS, wait, error);
            }
        },
        None => None,
    };
    let give_back = || {
        if let Some((key, at)) = attempt {
            state.throttle.succeeded(key, at);
        }
    };

    let user = match user_names::check_username(&username) {
        Ok(name) => match store::users::find_by_name(&state.actors.store, name).await {
            Ok(user) => user,
            Err(e) => return super::error_page(&state.templates, &e),
        },
        Err(_) => None,
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let checked = state
        .passwords
        .run(move || match hash {
            Some(hash) if secret.chars().count() <= password::MAX_LEN => password::verify(&secret, &hash),
            _ => {
                password::verify_nothing(&secret);
                false
            }
        })
        .await;
    let matches = match checked {
        Ok(matches) => matches,
        Err(AppError::Overloaded(wait)) => {
            // nothing was checked: the attempt does not count
            give_back();
            log::warn!(
                "sign-in from {from} turned away: {} password checks already running",
                password::CONCURRENT_HASHES
            );
            let error = format!("Chrontainer is busy checking other sign-ins: try again in {wait} s.");
            return retry_later(StatusCode::SERVICE_UNAVAILABLE, wait, error);
        }
        Err(e) => return super::error_page(&state.templates, &e),
    };

    let user = match (user, matches) {
        (Some(user), true) => {
            give_back();
            user
        }
        (user, _) => {
            // the name only when it is a user's: a password typed into the name field stays out of the log
            let detail = match user {
                Some(u) => format!("as {} from {from}", u.username),
                None => format!("unknown user from {from}"),
            };
            audit::record(&state.actors.store, None, "login_failed", detail).await;
            let hint = first_sign_in(&state).await;
            return page(StatusCode::UNAUTHORIZED, "Wrong user name or password.".into(), hint);
        }
    };

    let result = start_session(&state, &req, user.id).await;
    let cookie = match result {
        Ok(cookie) => cookie,
        Err(e) => return super::error_page(&state.templates, &e),
    };
    let old_session = req.extensions().get::<Identity>().and_then(Identity::session_id);
    if let Some(old) = old_session {
        let _ = store::sessions::delete(&state.actors.store, old).await;
    }
    audit::record(&state.actors.store, Some(&user.username), "login_succeeded", format!("from {from}")).await;
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

/// A new session (fresh random id: nothing chosen before sign-in survives it) and its cookie.
pub(super) async fn start_session(
    state: &AppState,
    req: &HttpRequest,
    user_id: UserId,
) -> Result<Cookie<'static>, AppError> {
    let secret = tokens::random_secret()?;
    let hash = tokens::digest(&secret);
    let lifetime = state.config.session_lifetime;
    let now = Utc::now().naive_utc();
    let expires = now
        + chrono::Duration::from_std(lifetime)
            .map_err(|e| AppError::Internal(format!("session lifetime: {e}")))?;
    store::sessions::create(&state.actors.store, user_id, hash, now, expires).await?;
    Ok(session_cookie(secret, is_https(req, &state.config), lifetime))
}

async fn logout(state: web::Data<AppState>, req: HttpRequest, who: Identity) -> HttpResponse {
    // someone who came from the provider is sent on to sign out there too, when it offers that
    let provider_end = match (&state.sso, who.user_id()) {
        (Some(provider), Some(id)) => match store::users::get(&state.actors.store, id).await {
            Ok(user) if user.origin == Origin::Oidc => provider.end_session_url().await,
            _ => None,
        },
        _ => None,
    };
    if let Some(id) = who.session_id() {
        if let Err(e) = store::sessions::delete(&state.actors.store, id).await {
            return super::error_page(&state.templates, &e);
        }
        audit::record(&state.actors.store, who.name.as_deref(), "logout", "").await;
    }
    let home = if state.config.auth == AuthMode::None { "/" } else { "/login" };
    let mut res = see_other(provider_end.as_deref().unwrap_or(home));
    for cookie in removal_cookies(is_https(&req, &state.config)) {
        if let Err(e) = res.add_cookie(&cookie) {
            log::warn!("cannot clear the session cookie: {e}");
        }
    }
    res
}

/// Where to go after signing in: only a path on this site, never `//host` or anything absolute,
/// so that a link to `/login?next=…` cannot send anyone elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/login")
                && n.len() <= 2048
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_or_home() {
        assert_eq!(safe_next(Some("/logs?status=error")), "/logs?status=error");
        for bad in
            ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "/login?next=/", "/a b", ""]
        {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
