//! Checks shared by the handlers: numbers from query strings and path segments, bounded strings.

use crate::error::AppError;

/// An id from a path segment; anything else is "no such thing" (404 with `code`).
pub fn path_id(raw: &str, code: &'static str, what: &str) -> Result<i32, AppError> {
    raw.parse::<i32>().ok().filter(|id| *id > 0).ok_or_else(|| {
        AppError::not_found(code, format!("No {what} has id {:?}", crate::text::clip(raw, 40)))
    })
}

/// A whole number from a query parameter, within `min..=max`.
pub fn bounded_number(
    raw: Option<&str>,
    field: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, AppError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(AppError::invalid(
            "invalid_parameter",
            Some(field),
            format!("{field}: {:?} is not a whole number from {min} to {max}", crate::text::clip(raw, 40)),
        )),
    }
}

/// A required, non-empty string of at most `max` characters without control characters.
pub fn required_text(value: Option<String>, field: &'static str, max: usize) -> Result<String, AppError> {
    match value {
        None => Err(AppError::invalid("missing_field", Some(field), format!("{field} is required"))),
        Some(v) => {
            let v = optional_text(Some(v), field, max)?.unwrap_or_default();
            if v.is_empty() {
                return Err(AppError::invalid(
                    "missing_field",
                    Some(field),
                    format!("{field} must not be empty"),
                ));
            }
            Ok(v)
        }
    }
}

/// An optional string (trimmed; empty is none) of at most `max` characters without control characters.
pub fn optional_text(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, AppError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.chars().count() > max {
        return Err(AppError::invalid(
            "too_long",
            Some(field),
            format!("{field} is longer than {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "invalid_characters",
            Some(field),
            format!("{field} contains control characters"),
        ));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_bounded() {
        assert_eq!(bounded_number(None, "limit", 50, 1, 500).unwrap(), 50);
        assert_eq!(bounded_number(Some("500"), "limit", 50, 1, 500).unwrap(), 500);
        let e = bounded_number(Some("99999999999999999999"), "limit", 50, 1, 500).unwrap_err();
        assert_eq!(e.field(), Some("limit"));
        assert!(bounded_number(Some("0"), "limit", 50, 1, 500).is_err());
        assert!(bounded_number(Some("ten"), "limit", 50, 1, 500).is_err());
    }

    #[test]
    fn text_is_trimmed_bounded_and_clean() {
        assert_eq!(required_text(Some(" web ".into()), "container", 10).unwrap(), "web");
        assert_eq!(required_text(None, "container", 10).unwrap_err().code(), "missing_field");
        assert_eq!(required_text(Some("  ".into()), "container", 10).unwrap_err().code(), "missing_field");
        assert_eq!(optional_text(Some("x".repeat(11)), "description", 10).unwrap_err().code(), "too_long");
        assert_eq!(
            optional_text(Some("a\u{0}b".into()), "description", 10).unwrap_err().code(),
            "invalid_characters"
        );
        assert_eq!(optional_text(Some(String::new()), "description", 10).unwrap(), None);
        assert_eq!(
            path_id("abc", "schedule_not_found", "schedule").unwrap_err().code(),
            "schedule_not_found"
        );
        assert_eq!(path_id("7", "schedule_not_found", "schedule").unwrap(), 7);
    }
}
