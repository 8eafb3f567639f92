//! PLACEHOLDER until the cron-dialect work lands (replaced whole).
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::error::AppError;

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    pub expr: Option<String>,
}

pub async fn preview(_q: web::Query<PreviewQuery>, _s: web::Data<super::AppState>) -> Result<HttpResponse, AppError> {
    Err(AppError::Internal("not yet".into()))
}
