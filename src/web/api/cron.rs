//! `GET /api/cron/preview`: the next fire times and a description of an expression, shown by the
//! dashboard while the user types (API.md, "Cron preview").

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cron::{parse_timezone, CronExpr};
use crate::error::AppError;
use crate::text::clip;
use crate::time::rfc3339;
use crate::web::input::bounded_number;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/cron/preview", web::get().to(preview));
}

pub const DEFAULT_COUNT: i64 = 5;
pub const MAX_COUNT: i64 = 50;

/// Every value a string, so that bad input gets our JSON error naming the parameter.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    pub expr: Option<String>,
    pub tz: Option<String>,
    pub count: Option<String>,
    pub from: Option<String>,
}

/// GET /api/cron/preview?expr=&tz=&count=&from=
pub async fn preview(
    query: web::Query<PreviewQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let answer = preview_response(
        q.expr.as_deref(),
        q.tz.as_deref(),
        q.count.as_deref(),
        q.from.as_deref(),
        state.config.timezone,
        Utc::now(),
    )?;
    Ok(crate::web::json(&answer))
}

/// The answer body; errors name the query parameter at fault (`expr`, `tz`, `count`, `from`).
pub fn preview_response(
    expr: Option<&str>,
    tz: Option<&str>,
    count: Option<&str>,
    from: Option<&str>,
    default_tz: Tz,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let Some(expr) = given(expr) else {
        return Err(AppError::invalid("missing_field", Some("expr"), "expr is required (a cron expression)"));
    };
    let expr = CronExpr::parse(expr).map_err(|e| rename_field(e, "expr"))?;
    let tz = match given(tz) {
        Some(name) => parse_timezone(name).map_err(|e| rename_field(e, "tz"))?,
        None => default_tz,
    };
    let count = bounded_number(given(count), "count", DEFAULT_COUNT, 1, MAX_COUNT)?;
    let from = match given(from) {
        Some(raw) => DateTime::parse_from_rfc3339(raw).map(|t| t.to_utc()).map_err(|_| {
            AppError::invalid(
                "invalid_parameter",
                Some("from"),
                format!("from: \"{}\" is not an RFC 3339 time (e.g. 2026-01-05T03:00:00Z)", clip(raw, 40)),
            )
        })?,
        None => now,
    };

    let mut next = Vec::new();
    let mut t = from;
    for _ in 0..count {
        let Some(fire) = expr.next_after(tz, t) else { break };
        next.push(rfc3339(&fire));
        t = fire;
    }
    Ok(json!({
        "expr": expr.as_str(),
        "timezone": tz.name(),
        "description": expr.describe(),
        "next": next,
    }))
}

/// A parameter that is absent or blank takes its default.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The cron and timezone checks name the schedule fields; here the inputs are query parameters.
fn rename_field(e: AppError, field: &'static str) -> AppError {
    match e {
        AppError::Invalid { code, message, .. } => AppError::Invalid { code, message, field: Some(field) },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn call(
        expr: Option<&str>,
        tz: Option<&str>,
        count: Option<&str>,
        from: Option<&str>,
    ) -> Result<Value, AppError> {
        preview_response(expr, tz, count, from, chrono_tz::Europe::Berlin, at(2026, 1, 1, 0, 0))
    }

    #[test]
    fn answers_expr_timezone_description_and_next() {
        let v = call(Some(" 0 3 * * 1 "), Some("UTC"), Some("3"), Some("2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            v,
            json!({
                "expr": "0 3 * * 1",
                "timezone": "UTC",
                "description": "At 03:00, on Monday",
                "next": ["2026-01-05T03:00:00Z", "2026-01-12T03:00:00Z", "2026-01-19T03:00:00Z"],
            })
        );
    }

    #[test]
    fn defaults_are_five_times_from_now_in_the_default_zone() {
        let v = call(Some("0 3 * * *"), None, None, None).unwrap();
        assert_eq!(v["timezone"], "Europe/Berlin");
        // 03:00 in Berlin in winter is 02:00 UTC; "now" is 2026-01-01T00:00Z.
        assert_eq!(v["next"][0], "2026-01-01T02:00:00Z");
        assert_eq!(v["next"].as_array().unwrap().len(), 5);
        let blank = call(Some("0 3 * * *"), Some(""), Some(""), Some(" ")).unwrap();
        assert_eq!(blank, v);
    }

    #[test]
    fn times_are_strictly_after_from() {
        let v = call(Some("*/15 * * * *"), Some("UTC"), Some("2"), Some("2026-01-01T10:15:00Z")).unwrap();
        assert_eq!(v["next"], json!(["2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z"]));
        let v =
            call(Some("*/15 * * * *"), Some("UTC"), Some("1"), Some("2026-01-01T12:07:00+02:00")).unwrap();
        assert_eq!(v["next"], json!(["2026-01-01T10:15:00Z"]));
    }

    #[test]
    fn count_is_bounded() {
        let v = call(Some("* * * * *"), None, Some("50"), None).unwrap();
        assert_eq!(v["next"].as_array().unwrap().len(), 50);
        for bad in ["51", "0", "-1", "five", "99999999999999999999"] {
            let e = call(Some("* * * * *"), None, Some(bad), None).unwrap_err();
            assert_eq!(e.field(), Some("count"), "{bad}");
            assert_eq!(e.code(), "invalid_parameter");
        }
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let e = call(None, None, None, None).unwrap_err();
        assert_eq!((e.code(), e.field()), ("missing_field", Some("expr")));
        let e = call(Some("   "), None, None, None).unwrap_err();
        assert_eq!((e.code(), e.field()), ("missing_field", Some("expr")));
        let e = call(Some("0 24 * * *"), None, None, None).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_cron", Some("expr")));
        assert_eq!(e.to_string(), "hour: 24 is out of range 0-23");
        let e = call(Some("* * * * *"), Some("Nowhere/Land"), None, None).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_timezone", Some("tz")));
        assert_eq!(e.to_string(), "timezone: \"Nowhere/Land\" is not an IANA time zone (e.g. Europe/Berlin)");
        let e = call(Some("* * * * *"), None, None, Some("yesterday")).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_parameter", Some("from")));
        let e = call(Some("* * * * *"), None, None, Some("2026-01-01 00:00")).unwrap_err();
        assert_eq!(e.field(), Some("from"));
    }

    #[test]
    fn extreme_from_values_do_not_panic() {
        let v = call(Some("0 0 * * *"), Some("UTC"), Some("2"), Some("9999-12-31T23:59:59Z")).unwrap();
        assert_eq!(v["next"], json!([]));
        let v = call(Some("0 0 1 1 *"), Some("UTC"), Some("1"), Some("0000-01-01T00:00:00Z")).unwrap();
        assert_eq!(v["next"].as_array().unwrap().len(), 1);
        let v = call(Some("@every 1h"), Some("UTC"), Some("2"), Some("9999-12-31T23:30:00Z")).unwrap();
        // RFC 3339 ends at year 9999.
        assert_eq!(v["next"], json!([]));
    }
}
