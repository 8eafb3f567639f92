//! Checks shared by the handlers: numbers from query strings and path segments, bounded strings,
//! and JSON fields that may be left out but not be `null`.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::AppError;

/// A JSON request body that must be an object. serde also reads a struct from an array of its
/// fields in order, and with every field optional `[]` would be an empty change.
pub struct JsonBody<T>(T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // the JSON extractor keeps its limits and its error handler (`web::json_error`)
        let json = web::Json::<ObjectOnly<T>>::from_request(req, payload);
        Box::pin(async move { Ok(JsonBody(json.await?.into_inner().0)) })
    }
}

#[derive(Debug)]
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(PhantomData)).map(ObjectOnly)
    }
}

/// Readers for `#[serde(default, deserialize_with = "not_null::<field>")]` on an `Option` field of
/// a request body: the field may be left out, but `null` is refused (API.md: a `null` where the
/// document says a type is a 400, not the default), naming the field. One reader per field name,
/// because serde does not tell a field's reader which field it reads.
pub mod not_null {
    use super::*;

    macro_rules! readers {
        ($($field:ident),* $(,)?) => {
            $(
                pub fn $field<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
                    refuse_null(d, stringify!($field))
                }
            )*
            /// Every field name that has a reader, so that the refusal can name it as `&'static str`.
            pub const FIELDS: &[&str] = &[$(stringify!($field)),*];
        };
    }

    readers!(
        container,
        action,
        cron,
        run_at,
        timezone,
        enabled,
        description,
        username,
        password,
        role,
        current_password,
        new_password,
        name,
        window,
        respect_manual,
        notify,
        url,
        events,
        tls,
        host,
        service,
        overridden,
        stack,
        steps,
        wait,
        timeout_s,
        with_dependents,
    );
}

/// For a field that may be left out or be `null`, where `null` means "none" (`only_if: null`
/// clears a guard): `None` when left out, `Some(None)` for `null`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The words that mark a `null` refusal in serde's error text, after the field's name.
const NULL_REFUSED: &str = "must not be null";

fn refuse_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    field: &str,
) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => {
            Err(D::Error::custom(format!("`{field}` {NULL_REFUSED}: give a value or leave the field out")))
        }
    }
}

/// The field a `null` refusal names, from serde's error text.
pub fn refused_null(error_text: &str) -> Option<&'static str> {
    let rest = error_text.strip_prefix('`')?;
    let (field, after) = rest.split_once('`')?;
    if !after.trim_start().starts_with(NULL_REFUSED) {
        return None;
    }
    not_null::FIELDS.iter().copied().find(|f| *f == field)
}

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

/// The `host` of a query: a host's name (bounded text), `local` when none is given. Whether such a
/// host exists is the registry's answer (`Hosts::get`: 404 `host_not_found`).
pub fn host(raw: Option<String>) -> Result<crate::domain::HostId, AppError> {
    Ok(optional_text(raw, "host", 64)?.map_or_else(crate::domain::HostId::local, crate::domain::HostId))
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

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default, deserialize_with = "not_null::enabled")]
        enabled: Option<bool>,
        #[serde(default, deserialize_with = "not_null::name")]
        name: Option<String>,
    }

    #[test]
    fn a_body_is_an_object_never_an_array() {
        let body: ObjectOnly<Body> = serde_json::from_str(r#"{"enabled": true}"#).unwrap();
        assert_eq!(body.0.enabled, Some(true));
        for bad in ["[]", "[true]", "null", "\"x\"", "7"] {
            let e = serde_json::from_str::<ObjectOnly<Body>>(bad).err();
            assert!(e.is_some_and(|e| e.is_data()), "{bad}");
        }
        let e = serde_json::from_str::<ObjectOnly<Body>>(r#"{"colour": 1}"#).unwrap_err();
        assert!(e.to_string().starts_with("unknown field `colour`"), "{e}");
        let e = serde_json::from_str::<ObjectOnly<Body>>(r#"{"enabled": null}"#).unwrap_err();
        assert_eq!(refused_null(&e.to_string()), Some("enabled"), "{e}");
    }

    #[test]
    fn null_is_refused_and_named_but_left_out_is_none() {
        let body: Body = serde_json::from_str(r#"{"enabled": false}"#).unwrap();
        assert_eq!((body.enabled, body.name), (Some(false), None));
        let e = serde_json::from_str::<Body>(r#"{"name": "x", "enabled": null}"#).unwrap_err();
        assert_eq!(refused_null(&e.to_string()), Some("enabled"), "{e}");
        let e = serde_json::from_str::<Body>(r#"{"name": null}"#).unwrap_err();
        assert_eq!(refused_null(&e.to_string()), Some("name"), "{e}");
        // a wrong type is no null refusal
        let e = serde_json::from_str::<Body>(r#"{"enabled": "yes"}"#).unwrap_err();
        assert_eq!(refused_null(&e.to_string()), None, "{e}");
        assert_eq!(refused_null("`colour` must not be null"), None, "not a field with a reader");
    }

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
