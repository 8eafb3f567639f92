//! The error page: the error's status, what went wrong in words for a person, and a hint. The
//! cause of a 500 goes to the log, not the page.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use handlebars::Handlebars;
use serde::Serialize;

use super::Common;
use crate::error::AppError;
use crate::web::identity::PageAuth;
use crate::web::AppState;

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

pub(super) fn render_error(hb: &Handlebars<'_>, e: &AppError, auth: PageAuth) -> HttpResponse {
    match e {
        AppError::Database(cause) | AppError::Internal(cause) => log::error!("page failed: {cause}"),
        _ => {}
    }
    match hb.render("error", &error_view(e, auth)) {
        Ok(body) => super::html(e.status_code(), body),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pages::templates;
    use crate::web::pages::tests::{assert_escaped, EVIL};
    use actix_web::http::StatusCode;

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
}
