//! Server-rendered pages, one file each: the dashboard (`/`), the activity log (`/logs`), sign-in,
//! settings and the error page, with the static files they use. Everything is embedded in the binary. Every page is complete without
//! JavaScript; the scripts in `static/` only add live updates, dialogs and the cron preview.
//!
//! Data reaches the templates only through `{{ }}`, which escapes HTML: container names and compose
//! labels are whatever someone typed into a compose file.

mod assets;
mod container_logs;
mod dashboard;
mod error;
mod format;
mod hosts;
mod login;
mod logs;
mod notifications;
mod oidc;
mod rendered;
mod runs;
mod settings;
mod sparkline;
mod stack_schedules;
mod stats;

pub use rendered::Rendered;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use handlebars::Handlebars;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::{error_page, not_found_page};

use super::identity::PageAuth;
use super::AppState;
use crate::domain::Action;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(login::configure)
        .configure(settings::configure)
        .configure(notifications::configure)
        .configure(hosts::configure)
        .route("/", web::get().to(dashboard::page))
        .route("/logs", web::get().to(logs::page))
        .route("/stats", web::get().to(stats::page))
        .route("/containers/{reference}/logs", web::get().to(container_logs::page))
        .route("/static/{file}", web::get().to(assets::serve))
        .default_service(web::to(|req: HttpRequest| async move { not_found_page(&req) }));
}

const TEMPLATES: [(&str, &str); 11] = [
    ("layout", include_str!("../../../templates/layout.hbs")),
    ("dashboard", include_str!("../../../templates/dashboard.hbs")),
    ("dashboard_main", include_str!("../../../templates/dashboard_main.hbs")),
    ("logs", include_str!("../../../templates/logs.hbs")),
    ("error", include_str!("../../../templates/error.hbs")),
    ("login", include_str!("../../../templates/login.hbs")),
    ("settings", include_str!("../../../templates/settings.hbs")),
    ("stats", include_str!("../../../templates/stats.hbs")),
    ("notifications", include_str!("../../../templates/notifications.hbs")),
    ("hosts", include_str!("../../../templates/hosts.hbs")),
    ("container_logs", include_str!("../../../templates/container_logs.hbs")),
];

/// Builds the template registry once at start-up: strict (a misspelt field is an error, not an
/// empty string) and escaping HTML.
pub fn templates() -> Result<Handlebars<'static>, AppError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_helper("asset", Box::new(assets::asset_helper));
    for (name, text) in TEMPLATES {
        hb.register_template_string(name, text)
            .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    }
    Ok(hb)
}

/// What the layout needs from every page.
#[derive(Clone, Debug, Serialize)]
pub struct Common {
    pub title: String,
    /// `dashboard`, `logs` or empty: marks the current link and picks the page's script.
    pub nav: &'static str,
    pub version: &'static str,
}

impl Common {
    pub fn new(title: impl Into<String>, nav: &'static str) -> Common {
        Common { title: title.into(), nav, version: env!("CARGO_PKG_VERSION") }
    }
}

/// A page; the security headers (CSP `script-src 'self'`, no inline script or style, which the
/// pages are written for) are added to every answer by `middleware::security_headers`.
fn html(status: StatusCode, body: String) -> HttpResponse {
    html_answer(status).body(body)
}

/// The headers of every page: HTML, never stored.
fn html_answer(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut answer = HttpResponse::build(status);
    answer.content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store"));
    answer
}

/// A kept page as a 200: gzipped for a browser that accepts it, plain otherwise.
fn send_page(req: &HttpRequest, page: rendered::Page) -> HttpResponse {
    let mut answer = html_answer(StatusCode::OK);
    answer.insert_header((header::VARY, "Accept-Encoding"));
    if assets::accepts_gzip(req) && !page.gzip.is_empty() {
        return answer.insert_header((header::CONTENT_ENCODING, "gzip")).body(page.gzip);
    }
    answer.body(page.html)
}

/// Renders `name` with `data` as a page with `status`.
fn render_status<T: Serialize>(
    hb: &Handlebars<'_>,
    status: StatusCode,
    name: &str,
    data: &T,
) -> Result<HttpResponse, AppError> {
    Ok(html(status, render_text(hb, name, data)?))
}

/// `name` rendered with `data`, as text.
fn render_text<T: Serialize>(hb: &Handlebars<'_>, name: &str, data: &T) -> Result<String, AppError> {
    hb.render(name, data).map_err(|e| AppError::Internal(format!("rendering {name}: {e}")))
}

/// Renders `name` with `data` as a 200 page.
fn render<T: Serialize>(hb: &Handlebars<'_>, name: &str, data: &T) -> Result<HttpResponse, AppError> {
    render_status(hb, StatusCode::OK, name, data)
}

/// Renders `name` with `status`, or the error page if the template fails.
fn render_or_error<T: Serialize>(state: &AppState, status: StatusCode, name: &str, data: &T) -> HttpResponse {
    render_status(&state.templates, status, name, data).unwrap_or_else(|e| error_page(&state.templates, &e))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_string())).finish()
}

/// A page handler's answer: the page, or the error page with the error's status.
fn respond(state: &AppState, req: &HttpRequest, result: Result<HttpResponse, AppError>) -> HttpResponse {
    result.unwrap_or_else(|e| error::render_error(&state.templates, &e, PageAuth::of(req)))
}

/// The query string of a page, read here so that a bad one gets the error page, not JSON.
fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, AppError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| AppError::invalid("invalid_query", None, format!("The address cannot be read: {e}")))
}

/// A `<select>` option.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    fn list(options: &[(&str, &str)], current: &str) -> Vec<Choice> {
        options
            .iter()
            .map(|(value, label)| Choice {
                value: value.to_string(),
                label: label.to_string(),
                selected: *value == current,
            })
            .collect()
    }

    /// Every action, capitalized, after `first` (an "any" option) if given.
    fn actions(first: Option<(&str, &str)>, current: &str) -> Vec<Choice> {
        let labels = Action::ALL.map(|a| format::capitalize(a.as_str()));
        let mut options: Vec<(&str, &str)> = first.into_iter().collect();
        options.extend(Action::ALL.iter().zip(&labels).map(|(a, label)| (a.as_str(), label.as_str())));
        Choice::list(&options, current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const EVIL: &str = "<img src=x onerror=alert(1)>";

    /// The markup must never carry the name as a tag: escaped, it reads `&lt;img …`.
    pub fn assert_escaped(html: &str) {
        assert!(!html.contains("<img src=x"), "unescaped name in:\n{html}");
        assert!(html.contains("&lt;img src"), "the name is missing from:\n{html}");
    }

    #[test]
    fn the_registry_builds() {
        let hb = templates().unwrap();
        for (name, _) in TEMPLATES {
            assert!(hb.has_template(name), "{name}");
        }
    }

    #[actix_rt::test]
    async fn unknown_paths_are_404_pages() {
        use actix_web::{test, App};
        let app = test::init_service(App::new().configure(configure)).await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/nope").to_request()).await;
        assert_eq!(res.status(), 404);
        let res =
            test::call_service(&app, test::TestRequest::get().uri("/static/nope.js").to_request()).await;
        assert_eq!(res.status(), 404);
    }
}
