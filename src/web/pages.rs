//! Server-rendered pages. (Placeholder: the dashboard issue fills this in.)

use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.default_service(web::to(|| async { HttpResponse::NotFound().body("Not found") }));
}

/// Builds the template registry once at start-up.
pub fn templates() -> Result<handlebars::Handlebars<'static>, crate::error::AppError> {
    Ok(handlebars::Handlebars::new())
}
