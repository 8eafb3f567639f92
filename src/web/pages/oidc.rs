//! `/login/oidc` and its callback: the browser's side of signing in through the OpenID provider
//! (`auth::oidc`). The first leaves for the provider with a fresh `state`, which the browser keeps
//! in a cookie of its own; the callback checks it, has the code exchanged and the ID token
//! checked, maps the groups to a role, makes or updates the user (`origin: oidc`) and starts a
//! session as a password sign-in does. Every failure is the login page naming the cause.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use serde::Deserialize;

use super::login::{safe_next, start_session, with_error};
use crate::auth::groups::role_for;
use crate::auth::oidc::error::OidcError;
use crate::auth::Origin;
use crate::store::users::Outsider;
use crate::store::{self, audit};
use crate::web::client::{client_text, is_https};
use crate::web::cookies::{oidc_state_cookie, oidc_state_removal, OIDC_STATE_COOKIE};
use crate::web::AppState;

#[derive(Deserialize)]
pub(super) struct BeginQuery {
    next: Option<String>,
}

/// Sends the browser to the provider's authorization endpoint.
pub(super) async fn begin(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let next =
        web::Query::<BeginQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().next);
    let next = safe_next(next.as_deref());
    let Some(provider) = &state.sso else {
        let error = "Single sign-on is not set up here (CHRONTAINER_OIDC_ISSUER).".into();
        return with_error(&state, StatusCode::NOT_FOUND, next, error);
    };
    match provider.begin(next.clone()).await {
        Ok((url, browser_state)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(oidc_state_cookie(browser_state, is_https(&req, &state.config)))
            .finish(),
        Err(e) => failed(&state, &req, next, &e),
    }
}

#[derive(Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Where the provider sends the browser back.
pub(super) async fn callback(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let home = "/".to_string();
    let Some(provider) = &state.sso else {
        let error = "Single sign-on is not set up here (CHRONTAINER_OIDC_ISSUER).".into();
        return with_error(&state, StatusCode::NOT_FOUND, home, error);
    };
    let Ok(query) = web::Query::<Callback>::from_query(req.query_string()) else {
        return failed(&state, &req, home, &OidcError::StateMismatch);
    };
    let Callback { code, state: returned, error, error_description } = query.into_inner();
    if let Some(error) = error {
        let words = crate::auth::oidc::error::provider_words(&error, error_description.as_deref());
        return failed(&state, &req, home, &OidcError::Denied(words));
    }
    let (Some(code), Some(returned)) = (code, returned) else {
        return failed(&state, &req, home, &OidcError::StateMismatch);
    };
    let cookie = req.cookie(OIDC_STATE_COOKIE).map(|c| c.value().to_string());
    let signed_in = match provider.finish(&returned, cookie.as_deref(), &code).await {
        Ok(signed_in) => signed_in,
        Err(e) => return failed(&state, &req, home, &e),
    };
    let from = client_text(&req, &state.config);
    let groups: Vec<&str> = signed_in.groups.iter().map(String::as_str).collect();
    let role = match role_for(&state.config.group_roles, &groups) {
        Ok(role) => role,
        Err(e) => {
            let detail = format!("as {} through the provider from {from}: in no group", signed_in.username);
            audit::record(&state.actors.store, None, "login_failed", detail).await;
            return with_error(&state, StatusCode::FORBIDDEN, signed_in.next, e.to_string());
        }
    };
    let who =
        Outsider { origin: Origin::Oidc, subject: signed_in.subject, username: signed_in.username, role };
    let (user, created) =
        match store::users::sign_in_outsider(&state.actors.store, who, Utc::now().naive_utc()).await {
            Ok(found) => found,
            Err(e) => return with_error(&state, e.status_code(), signed_in.next, e.to_string()),
        };
    if created {
        let detail =
            format!("{} ({}) at their first sign-in through the provider", user.username, user.role.as_str());
        audit::record(&state.actors.store, None, "user_created", detail).await;
    }
    let cookie = match start_session(&state, &req, user.id).await {
        Ok(cookie) => cookie,
        Err(e) => return super::error_page(&state.templates, &e),
    };
    let detail = format!("through the provider as {} from {from}", user.role.as_str());
    audit::record(&state.actors.store, Some(&user.username), "login_succeeded", detail).await;
    // a page rather than a redirect: the browser arrived from the provider's site, and a
    // SameSite=Strict session cookie is sent only once it navigates from one of our own pages
    let next = handlebars::html_escape(&signed_in.next);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title>\
         <meta http-equiv=\"refresh\" content=\"0;url={next}\"></head><body><p>Signed in. \
         <a href=\"{next}\">Continue</a></p></body></html>"
    );
    let secure = is_https(&req, &state.config);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .cookie(oidc_state_removal(secure))
        .body(body)
}

/// The login page naming what went wrong; logged for the operator with its kind.
fn failed(state: &AppState, req: &HttpRequest, next: String, e: &OidcError) -> HttpResponse {
    log::warn!(
        "sign-in through the provider from {} failed ({}): {e}",
        client_text(req, &state.config),
        e.kind()
    );
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut res = with_error(state, status, next, e.to_string());
    if let Err(err) = res.add_cookie(&oidc_state_removal(is_https(req, &state.config))) {
        log::warn!("cannot clear the sign-in state cookie: {err}");
    }
    res
}
