//! Authentication over HTTP: the middleware every request passes, the security headers of every
//! answer, and the login, logout and settings pages.
//!
//! - Open without credentials: `/healthz`, `/login`, `/static/*`. Everything else, `/metrics`
//!   included, needs a session cookie or `Authorization: Bearer <token>`; `/api/*` and `/metrics`
//!   answer 401 JSON without one, pages redirect (303) to `/login?next=…`.
//! - State-changing methods (anything but GET, HEAD, OPTIONS) by a viewer or a `read` token: 403,
//!   except a user's own password change and logout.
//! - State-changing methods authenticated by the cookie also need a same-origin `Origin` (or
//!   `Referer`) and the session's CSRF token, as `X-CSRF-Token` or a `csrf_token` form field.
//!   Bearer requests carry no ambient credential and need neither.
//! - `CHRONTAINER_AUTH=none`: everyone is an anonymous admin, but a write whose `Origin` (or
//!   `Referer`) names another site is still refused, so a web page cannot drive the API through
//!   a visitor's browser.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use futures_util::StreamExt;
use handlebars::Handlebars;
use serde::{Deserialize, Serialize};

use super::pages::Common;
use super::{AppState, MAX_BODY};
use crate::auth::audit::{self, AuditEntry};
use crate::auth::tokens::{self, CreatedToken, TOKEN_PREFIX};
use crate::auth::users::{self as user_store, UserView};
use crate::auth::{password, sessions, Credential, Identity, Role};
use crate::config::{AuthMode, Config};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "chrontainer_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";

/// The Content-Security-Policy of every answer: nothing from elsewhere, no inline script or style.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// Paths a viewer may still POST to: their own password and signing out.
const SELF_SERVICE: [&str; 3] = ["/logout", "/settings/password", "/api/users/me/password"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/settings", web::get().to(settings_page))
        .route("/settings/password", web::post().to(settings_password))
        .route("/settings/users", web::post().to(settings_add_user))
        .route("/settings/users/{id}/role", web::post().to(settings_user_role))
        .route("/settings/users/{id}/password", web::post().to(settings_user_password))
        .route("/settings/users/{id}/delete", web::post().to(settings_delete_user))
        .route("/settings/tokens", web::post().to(settings_add_token))
        .route("/settings/tokens/{id}/revoke", web::post().to(settings_revoke_token));
}

/// Registers the login and settings templates beside the pages' own.
pub fn register_templates(hb: &mut Handlebars<'static>) -> Result<(), AppError> {
    for (name, text) in [
        ("login", include_str!("../../templates/login.hbs")),
        ("settings", include_str!("../../templates/settings.hbs")),
    ] {
        hb.register_template_string(name, text)
            .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Who is asking

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

/// The client's address: the peer, or with `CHRONTAINER_TRUST_PROXY=true` the last address of
/// `X-Forwarded-For` (the one the trusted proxy added; earlier ones are whatever the client said).
pub fn client_ip(req: &HttpRequest, config: &Config) -> Option<IpAddr> {
    if config.trust_proxy {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .last();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

fn client_text(req: &HttpRequest, config: &Config) -> String {
    client_ip(req, config).map_or_else(|| "an unknown address".to_string(), |ip| ip.to_string())
}

/// Whether the browser reached us over HTTPS, as far as we may believe it.
fn is_https(req: &HttpRequest, config: &Config) -> bool {
    config.secure_cookies
        || req.app_config().secure()
        || (config.trust_proxy
            && first_value(req, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")))
}

fn first_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name)?.to_str().ok()?.split(',').next().map(str::trim).filter(|v| !v.is_empty())
}

/// Finds the credentials of a request. `Err` when they are given but wrong (a bad or revoked
/// token); `Ok(None)` when there are none (or the session is over: a browser then signs in again).
async fn identify(req: &HttpRequest, state: &AppState) -> Result<Option<Identity>, AppError> {
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

// ---------------------------------------------------------------------------------------------
// The middleware

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

fn is_public(path: &str, method: &Method) -> bool {
    path == "/healthz"
        || path == "/login"
        || (path.starts_with("/static/") && (method == Method::GET || method == Method::HEAD))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Runs before every handler: finds who is asking and refuses what they may not do.
pub async fn authenticate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        // never without state in the service; refuse rather than let anything through
        let e = AppError::Internal("the auth middleware has no AppState".into());
        return Ok(req.error_response(e));
    };
    // the path the router matches (percent-decoded where that is safe), not the raw one
    let path = req.match_info().as_str().to_string();
    let method = req.method().clone();
    let writes = changes_state(&method);

    if state.config.auth == AuthMode::None {
        if writes {
            if let Err(e) = check_origin(req.request(), &state.config, true) {
                return Ok(refuse(req, &state, e));
            }
        }
        req.extensions_mut().insert(Identity::open());
        return Ok(next.call(req).await?.map_into_boxed_body());
    }

    if is_public(&path, &method) {
        if writes {
            if let Err(e) = check_origin(req.request(), &state.config, true) {
                return Ok(refuse(req, &state, e));
            }
        }
        // the login page sends someone already signed in onwards; nothing else public needs to know
        if path == "/login" {
            if let Ok(Some(who)) = identify(req.request(), &state).await {
                req.extensions_mut().insert(who);
            }
        }
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let who = match identify(req.request(), &state).await {
        Ok(Some(who)) => who,
        Ok(None) => return Ok(unauthenticated(req, &path, &state)),
        Err(e) => return Ok(refuse(req, &state, e)),
    };
    if writes {
        if let Some(expected) = who.csrf_token().map(str::to_string) {
            if let Err(e) = check_origin(req.request(), &state.config, false) {
                return Ok(refuse(req, &state, e));
            }
            if let Err(e) = check_csrf(&mut req, &expected).await {
                return Ok(refuse(req, &state, e));
            }
        }
        if who.role != Role::Admin && !SELF_SERVICE.contains(&path.as_str()) {
            return Ok(refuse(req, &state, crate::auth::viewer_refused()));
        }
    }
    req.extensions_mut().insert(who);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Adds the security headers to every answer (pages may set their own first), errors included.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // No clone of the request may live across `next.call`: the router needs it unshared.
    let mut res = next.call(req).await?.map_into_boxed_body();
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}

/// An error as JSON for the API, as the error page for a browser.
fn refuse(req: ServiceRequest, state: &AppState, e: AppError) -> ServiceResponse<BoxBody> {
    if is_api(req.match_info().as_str()) {
        let mut res = e.error_response();
        if matches!(e, AppError::Unauthorized) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return req.into_response(res);
    }
    let res = super::pages::error_page(&state.templates, &e);
    req.into_response(res)
}

/// No credentials: 401 for the API, the login page (remembering where they were going) for a browser.
fn unauthenticated(req: ServiceRequest, path: &str, state: &AppState) -> ServiceResponse<BoxBody> {
    if is_api(path) {
        return refuse(req, state, AppError::Unauthorized);
    }
    let location = if *req.method() == Method::GET || *req.method() == Method::HEAD {
        let target = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        format!("/login?next={}", encode_component(&target))
    } else {
        "/login".to_string()
    };
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    if req.cookie(SESSION_COOKIE).is_some() {
        res.cookie(removal_cookie(is_https(req.request(), &state.config)));
    }
    req.into_response(res.finish())
}

/// Percent-encodes all but unreserved characters and `/`, for a value inside a query string.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

/// The host (and port) the browser believes it is talking to.
fn own_host<'a>(req: &'a HttpRequest, config: &Config) -> Option<&'a str> {
    let forwarded = if config.trust_proxy { first_value(req, "x-forwarded-host") } else { None };
    forwarded
        .or_else(|| req.headers().get(header::HOST).and_then(|v| v.to_str().ok()))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// `host[:port]` without the scheme's default port, lowercase.
fn normal_authority(scheme: &str, authority: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority.strip_suffix(default).map(str::to_string).unwrap_or(authority)
}

/// Refuses a write that another site's page made the browser send: its `Origin` (or, when a
/// browser sent none, `Referer`) must name this host. Without either, only when `allow_missing`
/// (clients other than browsers send neither, and have no ambient credentials to abuse).
fn check_origin(req: &HttpRequest, config: &Config, allow_missing: bool) -> Result<(), AppError> {
    let refused = |why: &str| AppError::Forbidden(format!("Cross-site request refused: {why}"));
    let source = req
        .headers()
        .get(header::ORIGIN)
        .or_else(|| req.headers().get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("?"));
    let Some(source) = source else {
        return if allow_missing {
            Ok(())
        } else {
            Err(refused("the request has no Origin or Referer header"))
        };
    };
    let (scheme, rest) =
        source.split_once("://").ok_or_else(|| refused("its origin is not a web address"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(refused("its origin is not a web address"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = own_host(req, config).ok_or_else(|| refused("the request names no Host"))?;
    if authority.is_empty() || normal_authority(&scheme, authority) != normal_authority(&scheme, host) {
        return Err(refused("it comes from another site"));
    }
    Ok(())
}

/// The session's CSRF token must come back as the `X-CSRF-Token` header or, from an HTML form,
/// as its `csrf_token` field (the body is read here and handed on to the handler unchanged).
async fn check_csrf(req: &mut ServiceRequest, expected: &str) -> Result<(), AppError> {
    let missing =
        || AppError::Forbidden("The CSRF token is missing or wrong: reload the page and try again".into());
    if let Some(given) = req.headers().get(CSRF_HEADER) {
        return match given.to_str() {
            Ok(given) if tokens::same(given.trim(), expected) => Ok(()),
            _ => Err(missing()),
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(missing());
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(AppError::PayloadTooLarge(MAX_BODY));
    }
    let mut stream = req.parts_mut().1.take();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| AppError::invalid("invalid_body", None, "The request body cannot be read"))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(AppError::PayloadTooLarge(MAX_BODY));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    req.set_payload(Payload::from(body.clone()));

    #[derive(Deserialize)]
    struct Field {
        csrf_token: Option<String>,
    }
    let given = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| web::Query::<Field>::from_query(text).ok())
        .and_then(|f| f.into_inner().csrf_token);
    match given {
        Some(given) if tokens::same(&given, expected) => Ok(()),
        _ => Err(missing()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cookies

fn session_cookie(secret: String, secure: bool, lifetime: std::time::Duration) -> Cookie<'static> {
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

// ---------------------------------------------------------------------------------------------
// Pages

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn render<T: Serialize>(state: &AppState, status: StatusCode, name: &str, data: &T) -> HttpResponse {
    match state.templates.render(name, data) {
        Ok(body) => html(status, body),
        Err(e) => {
            super::pages::error_page(&state.templates, &AppError::Internal(format!("rendering {name}: {e}")))
        }
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_string())).finish()
}

#[derive(Serialize)]
struct LoginView {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    next: String,
    username: String,
    error: Option<String>,
}

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
    let view = LoginView {
        common: Common::new("Sign in", ""),
        auth: PageAuth::of(&req),
        next,
        username: String::new(),
        error: None,
    };
    render(&state, StatusCode::OK, "login", &view)
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
    let username = username.trim().to_string();
    let page = |status: StatusCode, error: String| {
        let view = LoginView {
            common: Common::new("Sign in", ""),
            auth: PageAuth::default(),
            next: next.clone(),
            username: crate::text::clip(&username, user_store::MAX_USERNAME),
            error: Some(error),
        };
        render(&state, status, "login", &view)
    };
    let ip = client_ip(&req, &state.config);
    let from = client_text(&req, &state.config);
    if let Some(ip) = ip {
        if let Err(wait) = state.throttle.check(ip, Instant::now()) {
            log::warn!("sign-in refused: too many failures from {from}");
            let mut res = page(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed sign-ins from your address: try again in {wait} s."),
            );
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return res;
        }
    }

    let user = match user_store::check_username(&username) {
        Ok(name) => match state.actors.store.run(move |c| user_store::find_by_name(c, &name)).await {
            Ok(user) => user,
            Err(e) => return super::pages::error_page(&state.templates, &e),
        },
        Err(_) => None,
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = web::block(move || match hash {
        Some(hash) if secret.chars().count() <= password::MAX_LEN => password::verify(&secret, &hash),
        _ => {
            password::verify_nothing(&secret);
            false
        }
    })
    .await
    .unwrap_or(false);

    let user = match (user, matches) {
        (Some(user), true) => user,
        (user, _) => {
            if let Some(ip) = ip {
                state.throttle.failed(ip, Instant::now());
            }
            // the name only when it is a user's: a password typed into the name field stays out of the log
            let detail = match user {
                Some(u) => format!("as {} from {from}", u.username),
                None => format!("unknown user from {from}"),
            };
            audit::record(&state.actors.store, None, "login_failed", detail).await;
            return page(StatusCode::UNAUTHORIZED, "Wrong user name or password.".into());
        }
    };

    let result = start_session(&state, &req, user.id).await;
    let cookie = match result {
        Ok(cookie) => cookie,
        Err(e) => return super::pages::error_page(&state.templates, &e),
    };
    let old_session = req.extensions().get::<Identity>().and_then(Identity::session_id);
    if let Some(old) = old_session {
        let _ = state.actors.store.run(move |c| sessions::delete(c, old)).await;
    }
    audit::record(&state.actors.store, Some(&user.username), "login_succeeded", format!("from {from}")).await;
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

/// A new session (fresh random id: nothing chosen before sign-in survives it) and its cookie.
async fn start_session(
    state: &AppState,
    req: &HttpRequest,
    user_id: i32,
) -> Result<Cookie<'static>, AppError> {
    let secret = tokens::random_secret()?;
    let hash = tokens::digest(&secret);
    let lifetime = state.config.session_lifetime;
    let now = Utc::now().naive_utc();
    let expires = now
        + chrono::Duration::from_std(lifetime)
            .map_err(|e| AppError::Internal(format!("session lifetime: {e}")))?;
    state.actors.store.run(move |c| sessions::create(c, user_id, &hash, now, expires)).await?;
    Ok(session_cookie(secret, is_https(req, &state.config), lifetime))
}

async fn logout(state: web::Data<AppState>, req: HttpRequest, who: Identity) -> HttpResponse {
    if let Some(id) = who.session_id() {
        if let Err(e) = state.actors.store.run(move |c| sessions::delete(c, id)).await {
            return super::pages::error_page(&state.templates, &e);
        }
        audit::record(&state.actors.store, who.name.as_deref(), "logout", "").await;
    }
    let mut res = see_other(if state.config.auth == AuthMode::None { "/" } else { "/login" });
    if let Err(e) = res.add_cookie(&removal_cookie(is_https(&req, &state.config))) {
        log::warn!("cannot clear the session cookie: {e}");
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Settings

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
        Ok(view) => render(state, status, "settings", &view),
        Err(e) => super::pages::error_page(&state.templates, &e),
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
        super::users::change_own_password(&state, &who, form.current_password, form.new_password).await
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
    let result =
        super::users::create(&state, &who, &form.username, form.password, &form.role).await.map(|_| ());
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
    let result = match super::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => super::users::update(&state, &who, id, Some(&form.role), None).await.map(|_| ()),
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
    let result = match super::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => {
            super::users::update(&state, &who, id, None, Some(form.into_inner().password)).await.map(|_| ())
        }
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
    let result = match super::input::path_id(&id, "user_not_found", "user") {
        Ok(id) => super::users::remove(&state, &who, id).await,
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
    match super::tokens::create(&state, &who, &form.name, &form.role).await {
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
    let result = match super::input::path_id(&id, "token_not_found", "API token") {
        Ok(id) => super::tokens::revoke(&state, &who, id).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(&state, &req, &who, result, "token_revoked").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn next_is_a_local_path_or_home() {
        assert_eq!(safe_next(Some("/logs?status=error")), "/logs?status=error");
        for bad in
            ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "/login?next=/", "/a b", ""]
        {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(encode_component("/logs?a=1&b=%20"), "/logs%3Fa%3D1%26b%3D%2520");
    }

    #[test]
    fn origin_must_name_this_host() {
        let c = config(&[]);
        let req = |origin: Option<(&str, &str)>| {
            let mut r = TestRequest::post().insert_header(("host", "pi.local:5000"));
            if let Some(h) = origin {
                r = r.insert_header(h);
            }
            r.to_http_request()
        };
        assert!(check_origin(&req(Some(("origin", "http://pi.local:5000"))), &c, false).is_ok());
        assert!(check_origin(&req(Some(("origin", "http://PI.local:5000"))), &c, false).is_ok());
        assert!(check_origin(&req(Some(("referer", "http://pi.local:5000/settings?x=1"))), &c, false).is_ok());
        assert!(check_origin(&req(Some(("origin", "http://evil.example"))), &c, true).is_err());
        assert!(check_origin(&req(Some(("origin", "http://pi.local:5000.evil.example"))), &c, true).is_err());
        assert!(check_origin(&req(Some(("origin", "null"))), &c, true).is_err());
        assert!(check_origin(&req(None), &c, false).is_err());
        assert!(check_origin(&req(None), &c, true).is_ok());

        let https = TestRequest::post()
            .insert_header(("host", "pi.example"))
            .insert_header(("origin", "https://pi.example:443"))
            .to_http_request();
        assert!(check_origin(&https, &c, false).is_ok());
    }

    #[test]
    fn forwarded_headers_count_only_behind_a_trusted_proxy() {
        let req = TestRequest::post()
            .insert_header(("host", "127.0.0.1:5000"))
            .insert_header(("x-forwarded-host", "pi.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("x-forwarded-for", "198.51.100.1, 203.0.113.9"))
            .insert_header(("origin", "https://pi.example"))
            .peer_addr("127.0.0.1:40000".parse().unwrap())
            .to_http_request();
        let plain = config(&[]);
        assert!(!is_https(&req, &plain));
        assert!(check_origin(&req, &plain, false).is_err());
        assert_eq!(client_ip(&req, &plain), Some("127.0.0.1".parse().unwrap()));
        let proxied = config(&[("CHRONTAINER_TRUST_PROXY", "true")]);
        assert!(is_https(&req, &proxied));
        assert!(check_origin(&req, &proxied, false).is_ok());
        assert_eq!(client_ip(&req, &proxied), Some("203.0.113.9".parse().unwrap()));
        assert!(is_https(&req, &config(&[("CHRONTAINER_SECURE_COOKIES", "true")])));
    }

    #[test]
    fn the_session_cookie_is_httponly_strict_and_site_wide() {
        let c = session_cookie("s".into(), false, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
        assert!(c.contains("Max-Age=3600") && !c.contains("Secure"), "{c}");
        let c = session_cookie("s".into(), true, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.contains("Secure"), "{c}");
        assert!(removal_cookie(false).to_string().contains("Max-Age=0"));
    }
}
