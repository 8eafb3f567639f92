//! Who is asking, and what they may do: roles, identities, password hashing, the login throttle,
//! the secrets of sessions and API tokens, and what a user's name may be. The tables (users,
//! sessions, tokens, audit) are in `store/`; the HTTP side (middleware, login and settings pages)
//! in `web/`. This module imports neither.
//!
//! Secrets are never stored: passwords as argon2id hashes, session cookies and API tokens as the
//! SHA-256 of 32 random bytes (enough entropy that a fast hash is safe).

pub mod groups;
pub mod initial_password;
pub mod oidc;
pub mod password;
pub mod throttle;
pub mod tokens;
pub mod users;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::domain::UserId;
use crate::error::AppError;

/// What a user or token may do. API tokens say `full` for admin and `read` for viewer.
/// `users.role` stores the user words (`store/columns.rs`), `api_tokens.role` the token words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Sees everything, changes nothing.
    Viewer,
}

impl Role {
    /// The user role's name: `admin` or `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    /// The lesser of two roles: what a token may do, given its own role and its user's.
    pub fn lower(self, other: Role) -> Role {
        match (self, other) {
            (Role::Admin, Role::Admin) => Role::Admin,
            _ => Role::Viewer,
        }
    }

    /// The token role's name: `full` or `read`.
    pub fn token_scope(self) -> &'static str {
        match self {
            Role::Admin => "full",
            Role::Viewer => "read",
        }
    }

    /// A user's `role` in the OpenAPI document.
    pub fn user_role_schema() -> Object {
        string_enum([Role::Admin, Role::Viewer].map(Role::as_str))
    }

    /// A token's `role` in the OpenAPI document.
    pub fn token_scope_schema() -> Object {
        string_enum([Role::Admin, Role::Viewer].map(Role::token_scope))
    }

    pub fn parse_user_role(raw: &str) -> Result<Role, AppError> {
        match raw.trim() {
            "admin" => Ok(Role::Admin),
            "viewer" => Ok(Role::Viewer),
            other => Err(AppError::invalid(
                "invalid_role",
                Some("role"),
                format!("role: {:?} is not admin or viewer", crate::text::clip(other, 40)),
            )),
        }
    }

    pub fn parse_token_scope(raw: &str) -> Result<Role, AppError> {
        match raw.trim() {
            "full" => Ok(Role::Admin),
            "read" => Ok(Role::Viewer),
            other => Err(AppError::invalid(
                "invalid_role",
                Some("role"),
                format!("role: {:?} is not full or read", crate::text::clip(other, 40)),
            )),
        }
    }
}

/// Where a user comes from: made here with a password, or created at a first sign-in through the
/// OpenID provider or a trusted proxy's forward auth (`users.origin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Local,
    Oidc,
    Proxy,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Oidc => "oidc",
            Origin::Proxy => "proxy",
        }
    }

    pub fn parse(raw: &str) -> Result<Origin, AppError> {
        match raw {
            "local" => Ok(Origin::Local),
            "oidc" => Ok(Origin::Oidc),
            "proxy" => Ok(Origin::Proxy),
            other => Err(AppError::Internal(format!("{other:?} is not a user origin"))),
        }
    }

    /// A user's `origin` in the OpenAPI document.
    pub fn schema() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([Origin::Local, Origin::Oidc, Origin::Proxy].map(Origin::as_str)))
            .build()
    }
}

fn string_enum(values: [&str; 2]) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).build()
}

/// How a request proved who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// `CHRONTAINER_AUTH=none`: nobody signed in and everything is allowed.
    Open,
    /// The browser's session cookie; state-changing requests also need `csrf_token`.
    Session { session_id: i32, user_id: UserId, csrf_token: String },
    /// `Authorization: Bearer …`: no ambient credential, so no CSRF check. `user_id` is the
    /// token's owner, whose current role bounds the token's.
    Token { token_id: i32, user_id: UserId },
    /// `CHRONTAINER_AUTH=proxy`: a trusted reverse proxy named the user in its headers. The
    /// browser's credential is the proxy's, so state-changing requests need `csrf_token` too.
    Forwarded { user_id: UserId, csrf_token: String },
}

/// The one who sent a request, put into the request's extensions by the auth middleware.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The user's name, or `token:<name>` for an API token, so that a token named like a user
    /// cannot pass for that user in the logs; `None` when authentication is off.
    pub name: Option<String>,
    pub role: Role,
    pub credential: Credential,
}

impl Identity {
    pub fn open() -> Identity {
        Identity { name: None, role: Role::Admin, credential: Credential::Open }
    }

    /// Who asked, as stored in `logs.requested_by` and `audit.actor`.
    pub fn actor(&self) -> Option<String> {
        self.name.clone()
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Viewer => Err(viewer_refused()),
        }
    }

    /// The user this request acts for: the signed-in user, or an API token's owner; `None` when
    /// authentication is off.
    pub fn owner(&self) -> Option<UserId> {
        match self.credential {
            Credential::Session { user_id, .. }
            | Credential::Token { user_id, .. }
            | Credential::Forwarded { user_id, .. } => Some(user_id),
            Credential::Open => None,
        }
    }

    /// The signed-in user's id; `None` for API tokens and when authentication is off.
    pub fn user_id(&self) -> Option<UserId> {
        match self.credential {
            Credential::Session { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    pub fn session_id(&self) -> Option<i32> {
        match self.credential {
            Credential::Session { session_id, .. } => Some(session_id),
            _ => None,
        }
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } | Credential::Forwarded { csrf_token, .. } => {
                Some(csrf_token)
            }
            _ => None,
        }
    }
}

/// The 403 a viewer (or a `read` token) gets for anything that changes something.
pub fn viewer_refused() -> AppError {
    AppError::Forbidden(
        "Your role is viewer (or your API token is read-only): you can see everything but change nothing. \
         Ask an admin to change your role."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_two_vocabularies() {
        assert_eq!(Role::parse_user_role("admin").unwrap(), Role::Admin);
        assert_eq!(Role::parse_token_scope("read").unwrap(), Role::Viewer);
        assert_eq!(Role::parse_user_role("full").unwrap_err().code(), "invalid_role");
        assert_eq!(Role::Viewer.token_scope(), "read");
        assert_eq!(Identity::open().require_admin().map_err(|e| e.code()), Ok(()));
        let viewer = Identity {
            name: Some("v".into()),
            role: Role::Viewer,
            credential: Credential::Token { token_id: 1, user_id: UserId(1) },
        };
        assert_eq!(viewer.require_admin().unwrap_err().code(), "forbidden");
        assert_eq!(
            (viewer.owner(), viewer.user_id()),
            (Some(UserId(1)), None),
            "a token has an owner, not a password"
        );
        assert_eq!(Identity::open().owner(), None);
    }

    #[test]
    fn a_token_has_the_lesser_of_its_role_and_its_users() {
        assert_eq!(Role::Admin.lower(Role::Admin), Role::Admin);
        assert_eq!(Role::Admin.lower(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Viewer.lower(Role::Admin), Role::Viewer);
        assert_eq!(Role::Viewer.lower(Role::Viewer), Role::Viewer);
    }
}
