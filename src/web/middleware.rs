//! The middleware every request passes: who may do what (authentication, roles, CSRF and
//! cross-site checks, and the refusals), and the security headers of every answer.
//!
//! - Open without credentials: `/healthz` (its details only with them), `/login`, `/static/*`.
//!   Everything else, `/metrics` included, needs a session cookie or `Authorization: Bearer
//!   <token>`; `/api/*` and `/metrics` answer 401 JSON without one, pages redirect (303) to
//!   `/login?next=…`.
//! - State-changing methods (anything but GET, HEAD, OPTIONS) by a viewer or a `read` token: 403,
//!   except a user's own password change and logout.
//! - State-changing methods authenticated by the cookie also need a same-origin `Origin` (or
//!   `Referer`) and the session's CSRF token, as `X-CSRF-Token` or a `csrf_token` form field.
//!   Bearer requests carry no ambient credential and need neither.
//! - `CHRONTAINER_AUTH=none`: everyone is an anonymous admin, but a write whose `Origin` (or
//!   `Referer`) names another site is still refused, so a web page cannot drive the API through
//!   a visitor's browser.
//! - Before all of that, in every mode: a request that calls this instance by a name it does not
//!   answer to is refused with 421 (`web::hosts`), since a rebound name passes the Origin check.

use actix_web::body::{BodySize, BodyStream, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use serde::Deserialize;

use super::client::{is_https, own_host};
use super::cookies::{removal_cookies, session_secret};
use super::hosts;
use super::identity::identify;
use super::{AppState, MAX_BODY};
use crate::auth::{tokens, Identity, Role};
use crate::config::{AuthMode, Config};
use crate::error::AppError;

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

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

fn is_public(path: &str, method: &Method) -> bool {
    path == "/healthz"
        || path == "/login"
        || path == "/login/oidc"
        || path == "/login/oidc/callback"
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
        // the login page sends someone already signed in onwards, and the health check tells them
        // more than a stranger; nothing else public needs to know
        if path == "/login" || path == "/healthz" {
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

/// Runs before everything but the security headers: a request for a host this instance does not
/// answer to gets 421, JSON on the API, a plain text page elsewhere (its style sheet would be
/// refused too).
pub async fn known_host(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let e = AppError::Internal("the host check has no AppState".into());
        return Ok(req.error_response(e));
    };
    let Err(e) = hosts::check(req.request(), &state.config) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    log::warn!("refused {} {}: {e}", req.method(), crate::text::clip(req.path(), 100));
    let res = if is_api(req.match_info().as_str()) {
        e.error_response()
    } else {
        HttpResponse::build(e.status_code())
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(format!("{}\n\n{e}.\n", e.status_code()))
    };
    Ok(req.into_response(res))
}

/// Serves `HEAD` as `GET`, so that every GET route answers it with the same status and headers.
/// actix sends no body for a HEAD request; an endless one (the event stream) is ended here, or
/// the connection would stay busy with it.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if !head {
        return Ok(res);
    }
    Ok(res.map_body(|_, body| match body.size() {
        BodySize::Stream => BoxBody::new(BodyStream::new(futures_util::stream::empty::<
            Result<web::Bytes, std::convert::Infallible>,
        >())),
        _ => body,
    }))
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
    if session_secret(req.request()).is_some() {
        for cookie in removal_cookies(is_https(req.request(), &state.config)) {
            res.cookie(cookie);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::client::client_ip;
    use actix_web::test::TestRequest;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn the_next_address_is_percent_encoded() {
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
}
