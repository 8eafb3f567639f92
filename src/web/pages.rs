//! Server-rendered pages: the dashboard (`/`), the activity log (`/logs`) and the error page, with
//! the static files they use. Everything is embedded in the binary. Every page is complete without
//! JavaScript; the scripts in `static/` only add live updates, dialogs and the cron preview.
//!
//! Data reaches the templates only through `{{ }}`, which escapes HTML: container names and compose
//! labels are whatever someone typed into a compose file.

mod activity;
mod assets;
mod dashboard;
mod format;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use handlebars::Handlebars;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::PageAuth;
use super::AppState;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::page))
        .route("/logs", web::get().to(activity::page))
        .route("/static/{file}", web::get().to(assets::serve))
        .default_service(web::to(|req: HttpRequest| async move { not_found_page(&req) }));
}

const TEMPLATES: [(&str, &str); 4] = [
    ("layout", include_str!("../../templates/layout.hbs")),
    ("dashboard", include_str!("../../templates/dashboard.hbs")),
    ("logs", include_str!("../../templates/logs.hbs")),
    ("error", include_str!("../../templates/error.hbs")),
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
/// pages are written for) are added to every answer by `auth::security_headers`.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// Renders `name` with `data` as a 200 page.
fn render<T: Serialize>(hb: &Handlebars<'_>, name: &str, data: &T) -> Result<HttpResponse, AppError> {
    let body = hb.render(name, data).map_err(|e| AppError::Internal(format!("rendering {name}: {e}")))?;
    Ok(html(StatusCode::OK, body))
}

/// A page handler's answer: the page, or the error page with the error's status.
fn respond(state: &AppState, req: &HttpRequest, result: Result<HttpResponse, AppError>) -> HttpResponse {
    result.unwrap_or_else(|e| render_error(&state.templates, &e, PageAuth::of(req)))
}

#[derive(Serialize)]
struct ErrorView {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    status: u16,
    heading: &'static str,
    message: String,
    hint: &'static str,
}

fn error_view(e: &AppError, auth: PageAuth) -> ErrorView {
    let status = e.status_code();
    let (heading, hint) = match e {
        AppError::NotFound { .. } => {
            ("Page not found", "The address may be mistyped, or the page has moved.")
        }
        AppError::Invalid { .. } => ("This address has a wrong value", "Change or remove it and try again."),
        AppError::DockerUnreachable(_) => {
            ("Docker is unreachable", "Check that the Docker Engine is running.")
        }
        AppError::Database(_) | AppError::Internal(_) => {
            ("Something went wrong", "The details are in Chrontainer's log. Reloading may help.")
        }
        _ => ("This page cannot be shown", ""),
    };
    ErrorView {
        common: Common::new(heading, ""),
        auth,
        status: status.as_u16(),
        heading,
        message: e.to_string(),
        hint,
    }
}

/// The error page for `e`, with its status. The cause of a 500 goes to the log, not the page.
pub fn error_page(hb: &Handlebars<'_>, e: &AppError) -> HttpResponse {
    render_error(hb, e, PageAuth::default())
}

fn render_error(hb: &Handlebars<'_>, e: &AppError, auth: PageAuth) -> HttpResponse {
    match e {
        AppError::Database(cause) | AppError::Internal(cause) => log::error!("page failed: {cause}"),
        _ => {}
    }
    match hb.render("error", &error_view(e, auth)) {
        Ok(body) => html(e.status_code(), body),
        Err(render) => {
            log::error!("rendering the error page: {render}");
            HttpResponse::build(e.status_code()).content_type("text/plain; charset=utf-8").body(e.to_string())
        }
    }
}

/// The 404 page for anything that is not a page, a static file or an API route.
pub fn not_found_page(req: &HttpRequest) -> HttpResponse {
    let e = AppError::not_found(
        "not_found",
        format!("There is no page at {}.", crate::text::clip(req.path(), 100)),
    );
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => render_error(&state.templates, &e, PageAuth::of(req)),
        None => e.error_response(),
    }
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

    #[test]
    fn error_pages_render_with_status_and_escaped_message() {
        let hb = templates().unwrap();
        let e = AppError::not_found("not_found", format!("There is no page at /{EVIL}."));
        let res = error_page(&hb, &e);
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let html = hb.render("error", &error_view(&e, PageAuth::default())).unwrap();
        assert!(html.contains("Page not found"));
        assert_escaped(&html);

        let e = AppError::Database("disk I/O error at /data/chrontainer.db".into());
        let html = hb.render("error", &error_view(&e, PageAuth::default())).unwrap();
        assert_eq!(error_page(&hb, &e).status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(html.contains("Something went wrong"));
        assert!(!html.contains("disk I/O"));
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
