//! Random secrets (session cookies, API tokens), their stored digests, the CSRF token derived from
//! a session, and the `api_tokens` table.
//!
//! An API token reads `ctk_` followed by 43 characters (32 random bytes, base64url): the prefix lets
//! secret scanners and people recognise one. Only its SHA-256 is stored; the row is found by that
//! digest and the digests are compared again in constant time before the token is believed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Role;
use crate::error::AppError;
use crate::store::schema::api_tokens;
use crate::time::to_utc;

/// What every API token starts with.
pub const TOKEN_PREFIX: &str = "ctk_";

/// 32 bytes from the OS, base64url without padding (43 characters).
pub fn random_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The lowercase hex SHA-256 of a secret: what the database keeps instead of it.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality whose time does not depend on where the two first differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The CSRF token of a session, derived from its cookie: it changes with the session, needs no
/// storage, and reveals nothing of the cookie (it is a hash of it, under a label of its own).
pub fn csrf_for_session(session_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"chrontainer csrf v1\0");
    hasher.update(session_secret.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// A row of `api_tokens`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::sqlite::Sqlite))]
pub struct TokenRow {
    pub id: i32,
    pub name: String,
    pub token_hash: String,
    pub role: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl TokenRow {
    /// The role this token grants; an unknown word in the database grants the least.
    pub fn role(&self) -> Role {
        Role::parse_token_scope(&self.role).unwrap_or(Role::Viewer)
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken {
    pub name: String,
    pub token_hash: String,
    pub role: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

/// An API token as the API shows it: never the secret, except once in [`CreatedToken`].
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Token)]
pub struct TokenView {
    pub id: i32,
    pub name: String,
    /// `full` (an admin) or `read` (a viewer).
    #[schema(schema_with = Role::token_scope_schema)]
    pub role: String,
    pub created_by: Option<String>,
    #[serde(with = "crate::time::serde_utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc::option")]
    pub last_used: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::serde_utc::option")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenView {
    fn from(r: TokenRow) -> Self {
        TokenView {
            id: r.id,
            name: r.name,
            role: r.role,
            created_by: r.created_by,
            created_at: to_utc(r.created_at),
            last_used: r.last_used.map(to_utc),
            revoked_at: r.revoked_at.map(to_utc),
        }
    }
}

/// The answer to creating a token: the only time its secret is shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub view: TokenView,
    /// The secret (`ctk_…`), shown this once only; send it as `Authorization: Bearer`.
    pub token: String,
}

fn token_not_found(id: i32) -> AppError {
    AppError::not_found("token_not_found", format!("No API token has id {id}"))
}

/// A live (not revoked) token whose secret has digest `hash`. Its `last_used` is brought up to
/// date at most once a minute, so that scripts polling every second cost no write each.
pub fn find_live(
    conn: &mut SqliteConnection,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<TokenRow>, AppError> {
    let row = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row.filter(|r| same(&r.token_hash, hash)) else { return Ok(None) };
    if row.last_used.is_none_or(|t| now - t > chrono::Duration::seconds(60)) {
        diesel::update(api_tokens::table.find(row.id))
            .set(api_tokens::last_used.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(Some(row))
}

pub fn list(conn: &mut SqliteConnection) -> Result<Vec<TokenRow>, AppError> {
    Ok(api_tokens::table.order(api_tokens::id).select(TokenRow::as_select()).load(conn)?)
}

pub fn insert(conn: &mut SqliteConnection, new: &NewToken) -> Result<TokenRow, AppError> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .returning(TokenRow::as_returning())
        .get_result(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                AppError::invalid(
                    "name_taken",
                    Some("name"),
                    format!("A live API token is already named {:?}: choose another name", new.name),
                )
            }
            other => other.into(),
        })
}

/// Revokes a token (at once: the next request with it is refused); revoking twice is harmless.
pub fn revoke(conn: &mut SqliteConnection, id: i32, now: NaiveDateTime) -> Result<TokenRow, AppError> {
    diesel::update(api_tokens::table.find(id).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
    api_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| token_not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(3, 0, 0).unwrap()
    }

    #[test]
    fn secrets_are_random_and_digests_fixed() {
        let a = random_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret().unwrap());
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert_ne!(csrf_for_session("s1"), csrf_for_session("s2"));
        assert_ne!(csrf_for_session("s1"), digest("s1"));
    }

    #[test]
    fn a_revoked_token_is_no_longer_found_and_live_names_are_unique() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let new = NewToken {
            name: "backup".into(),
            token_hash: digest("secret"),
            role: "read".into(),
            created_by: Some("admin".into()),
            created_at: now(),
        };
        let row = insert(&mut c, &new).unwrap();
        let again = NewToken { token_hash: digest("other"), ..new.clone() };
        assert_eq!(insert(&mut c, &again).unwrap_err().code(), "name_taken");
        let found = find_live(&mut c, &digest("secret"), now()).unwrap().unwrap();
        assert_eq!(found.role(), Role::Viewer);
        assert!(find_live(&mut c, &digest("wrong"), now()).unwrap().is_none());
        let revoked = revoke(&mut c, row.id, now()).unwrap();
        assert_eq!(revoked.revoked_at, Some(now()));
        assert!(find_live(&mut c, &digest("secret"), now()).unwrap().is_none());
        // the name is free again once its token is revoked
        insert(&mut c, &again).unwrap();
        assert_eq!(revoke(&mut c, 99, now()).unwrap_err().code(), "token_not_found");
    }
}
