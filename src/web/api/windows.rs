//! `GET /api/windows/preview`: a time window in words and its next boundaries, shown by the
//! schedule form while the user picks from, to and days (daylight saving as in CRON.md).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cron::parse_timezone;
use crate::domain::Window;
use crate::error::{AppError, ErrorBody};
use crate::time::rfc3339;
use crate::web::input::bounded_number;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/windows/preview", web::get().to(preview));
}

/// Every value a string, so that bad input gets our JSON error naming the parameter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// `stopped` (default) or `paused`.
    #[param(nullable = false, example = "stopped")]
    pub state: Option<String>,
    /// `HH:MM` or `HH:MM:SS`.
    #[param(required = true, nullable = false, example = "23:00")]
    pub from: Option<String>,
    #[param(required = true, nullable = false, example = "07:00")]
    pub to: Option<String>,
    /// `Mon-Fri`, `Sat,Sun`, `*`; default every day.
    #[param(nullable = false, example = "Mon-Fri")]
    pub days: Option<String>,
    /// An IANA zone; default the configured one.
    #[param(nullable = false, example = "Europe/Berlin")]
    pub tz: Option<String>,
    /// How many boundaries, 1 to 20; default 4.
    #[param(value_type = Option<i64>, nullable = false, minimum = 1, maximum = 20)]
    pub count: Option<String>,
}

/// One boundary: when, and whether the window starts or ends there.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
pub struct Boundary {
    #[schema(value_type = chrono::DateTime<Utc>)]
    pub at: String,
    pub starts: bool,
}

#[derive(Debug, PartialEq, Serialize, ToSchema)]
pub struct WindowPreview {
    #[schema(example = "stopped nightly 23:00–07:00")]
    pub description: String,
    pub timezone: String,
    pub next: Vec<Boundary>,
}

#[utoipa::path(get, path = "/api/windows/preview", operation_id = "previewWindow", tag = "schedules",
    summary = "A time window in words and its next boundaries",
    params(WindowQuery),
    responses(
        (status = 200, description = "the preview", body = WindowPreview),
        (status = 400, description = "missing_field, invalid_window, invalid_timezone, invalid_parameter",
            body = ErrorBody),
    ))]
pub async fn preview(
    query: web::Query<WindowQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&preview_response(&query.into_inner(), state.config.timezone, Utc::now())?))
}

fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The window's checks name `window.<field>`; here the inputs are query parameters.
fn rename_field(e: AppError) -> AppError {
    match e {
        AppError::Invalid { code, message, field } => {
            let field = field.map(|f| f.strip_prefix("window.").unwrap_or(f));
            AppError::Invalid { code, message, field }
        }
        other => other,
    }
}

pub fn preview_response(
    q: &WindowQuery,
    default_tz: Tz,
    now: DateTime<Utc>,
) -> Result<WindowPreview, AppError> {
    let required = |v: &Option<String>, field: &'static str| {
        given(v.as_deref()).map(str::to_string).ok_or_else(|| {
            AppError::invalid("missing_field", Some(field), format!("{field} is required (HH:MM)"))
        })
    };
    let (from, to) = (required(&q.from, "from")?, required(&q.to, "to")?);
    let state = given(q.state.as_deref()).unwrap_or("stopped");
    let window = Window::parse(state, &from, &to, given(q.days.as_deref())).map_err(rename_field)?;
    let tz = match given(q.tz.as_deref()) {
        Some(name) => parse_timezone(name).map_err(|e| match AppError::from(e) {
            AppError::Invalid { code, message, .. } => AppError::Invalid { code, message, field: Some("tz") },
            other => other,
        })?,
        None => default_tz,
    };
    let count = bounded_number(given(q.count.as_deref()), "count", 4, 1, 20)?;
    let next = window
        .transitions(tz, now, usize::try_from(count).unwrap_or(4))
        .into_iter()
        .map(|t| Boundary { at: rfc3339(&t.at), starts: t.starts })
        .collect();
    Ok(WindowPreview { description: window.describe(), timezone: tz.name().to_string(), next })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: &str, to: &str, days: Option<&str>) -> WindowQuery {
        WindowQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            days: days.map(str::to_string),
            tz: Some("Europe/Berlin".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_preview_says_it_in_words_with_the_next_boundaries() {
        let now = DateTime::parse_from_rfc3339("2026-03-28T12:00:00Z").unwrap().to_utc();
        let p = preview_response(&query("23:00", "07:00", None), chrono_tz::UTC, now).unwrap();
        assert_eq!(p.description, "stopped nightly 23:00–07:00");
        assert_eq!(p.next.len(), 4);
        assert_eq!(p.next[0], Boundary { at: "2026-03-28T22:00:00Z".into(), starts: true });
        assert_eq!(p.next[1], Boundary { at: "2026-03-29T05:00:00Z".into(), starts: false });
        let e = preview_response(&query("23:00", "7", None), chrono_tz::UTC, now).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_window", Some("to")));
        let e = preview_response(&WindowQuery::default(), chrono_tz::UTC, now).unwrap_err();
        assert_eq!((e.code(), e.field()), ("missing_field", Some("from")));
    }
}
