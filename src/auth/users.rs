//! What a user's (or an API token's) name may be, and the name of the first admin. The `users`
//! table is `store::users`.

use crate::error::AppError;

/// The user made at first start.
pub const FIRST_ADMIN: &str = "admin";
pub const MAX_USERNAME: usize = 64;

/// A user name: 1 to 64 of `A-Z a-z 0-9 . _ @ -`. So few characters, because a name is written
/// into logs and pages, and look-alike names should not be possible.
pub fn check_username(raw: &str) -> Result<String, AppError> {
    check_name(raw, "username")
}

/// A user's or an API token's name (see [`check_username`]); `field` names it in errors.
pub fn check_name(raw: &str, field: &'static str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("missing_field", Some(field), format!("{field} must not be empty")));
    }
    if name.chars().count() > MAX_USERNAME {
        return Err(AppError::invalid(
            "too_long",
            Some(field),
            format!("{field} is longer than {MAX_USERNAME} characters"),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c)) {
        return Err(AppError::invalid(
            "invalid_characters",
            Some(field),
            format!("{field} may hold only letters, digits and . _ @ -"),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_plain() {
        assert_eq!(check_username(" ann.b@x ").unwrap(), "ann.b@x");
        assert_eq!(check_username("").unwrap_err().code(), "missing_field");
        assert_eq!(check_username("a b").unwrap_err().code(), "invalid_characters");
        assert_eq!(check_username("<img>").unwrap_err().code(), "invalid_characters");
        assert_eq!(check_username(&"a".repeat(65)).unwrap_err().code(), "too_long");
        assert_eq!(check_name("", "name").unwrap_err().field(), Some("name"));
    }
}
