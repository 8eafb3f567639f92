//! `GET /api/openapi.json`: the OpenAPI 3 document of every `/api` route, kept beside the code
//! (a test checks that every registered route is in it).

use actix_web::{web, HttpResponse};

pub const DOCUMENT: &str = include_str!("openapi.json");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(|| async { HttpResponse::Ok().content_type("application/json").body(DOCUMENT) }));
}
