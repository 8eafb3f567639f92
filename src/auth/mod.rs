//! Who is asking, and what they may do: users with roles, browser sessions, API tokens, the login
//! throttle and the audit trail. The HTTP side (middleware, login and settings pages) is in `web/`.
//!
//! Secrets are never stored: passwords as argon2id hashes, session cookies and API tokens as the
//! SHA-256 of 32 random bytes (enough entropy that a fast hash is safe).

pub mod audit;
pub mod initial_password;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use serde::Serialize;

use crate::error::AppError;

/// What a user or token may do. API tokens say `full` for admin and `read` for viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

    /// The token role's name: `full` or `read`.
    pub fn token_scope(self) -> &'static str {
        match self {
            Role::Admin => "full",
            Role::Viewer => "read",
        }
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

/// How a request proved who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// `CHRONTAINER_AUTH=none`: nobody signed in and everything is allowed.
    Open,
    /// The browser's session cookie; state-changing requests also need `csrf_token`.
    Session { session_id: i32, user_id: i32, csrf_token: String },
    /// `Authorization: Bearer …`: no ambient credential, so no CSRF check.
    Token { token_id: i32 },
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

    /// Who asked, as stored in `logs.actor` and `audit.actor`.
    pub fn actor(&self) -> Option<String> {
        self.name.clone()
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Viewer => Err(viewer_refused()),
        }
    }

    /// The signed-in user's id; `None` for API tokens and when authentication is off.
    pub fn user_id(&self) -> Option<i32> {
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
            Credential::Session { csrf_token, .. } => Some(csrf_token),
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
            credential: Credential::Token { token_id: 1 },
        };
        assert_eq!(viewer.require_admin().unwrap_err().code(), "forbidden");
    }
}
