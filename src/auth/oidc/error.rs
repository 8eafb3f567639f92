//! Everything that can go wrong in an OpenID sign-in, each with the cause named for the person
//! at the login page (and the operator reading the log), never a trace or a secret.

use std::fmt;

/// Why a sign-in through the provider failed.
#[derive(Debug, PartialEq, Eq)]
pub enum OidcError {
    /// Discovery, the token endpoint, the keys or userinfo cannot be reached or answered nonsense.
    ProviderDown(String),
    /// The provider refused the client id or secret.
    ClientRefused(String),
    /// The provider answered the redirect with an error (the person cancelled, or was denied).
    Denied(String),
    /// The `state` coming back is not the one this browser was given.
    StateMismatch,
    /// The ID token's times do not fit this machine's clock.
    ClockSkew(String),
    /// The ID token is not what the provider would sign for this client (signature, issuer,
    /// audience, nonce).
    BadToken(String),
    /// The provider says nothing we can use as a name.
    NoUsableName(String),
    /// Too many sign-ins are between leaving and coming back.
    Busy,
}

impl OidcError {
    /// The HTTP status of the page that says it.
    pub fn status(&self) -> u16 {
        match self {
            OidcError::ProviderDown(_) | OidcError::ClientRefused(_) => 502,
            OidcError::Denied(_) => 403,
            OidcError::StateMismatch | OidcError::ClockSkew(_) | OidcError::BadToken(_) => 400,
            OidcError::NoUsableName(_) => 403,
            OidcError::Busy => 503,
        }
    }

    /// A short word for the log and the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            OidcError::ProviderDown(_) => "provider_down",
            OidcError::ClientRefused(_) => "client_refused",
            OidcError::Denied(_) => "denied",
            OidcError::StateMismatch => "state_mismatch",
            OidcError::ClockSkew(_) => "clock_skew",
            OidcError::BadToken(_) => "bad_token",
            OidcError::NoUsableName(_) => "no_usable_name",
            OidcError::Busy => "busy",
        }
    }
}

impl fmt::Display for OidcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OidcError::ProviderDown(why) => {
                write!(f, "The identity provider cannot be used right now: {why}. Try again later.")
            }
            OidcError::ClientRefused(why) => write!(
                f,
                "The identity provider refused Chrontainer's client credentials ({why}): check \
                 CHRONTAINER_OIDC_CLIENT_ID and CHRONTAINER_OIDC_CLIENT_SECRET against the provider's client."
            ),
            OidcError::Denied(why) => write!(f, "The identity provider did not sign you in: {why}."),
            OidcError::StateMismatch => write!(
                f,
                "This sign-in's state does not match the one this browser started (it expired, was used \
                 already, or was tampered with). Start again from the sign-in page."
            ),
            OidcError::ClockSkew(why) => write!(
                f,
                "The identity provider's token {why}: the clocks of this machine and the provider disagree \
                 (clock skew). Check that both keep time (NTP)."
            ),
            OidcError::BadToken(why) => write!(f, "The identity provider's ID token was refused: {why}."),
            OidcError::NoUsableName(why) => write!(f, "{why}"),
            OidcError::Busy => write!(f, "Too many sign-ins are under way: try again in a minute."),
        }
    }
}

/// The text of a provider's `error` and `error_description`, bounded and plain.
pub fn provider_words(error: &str, description: Option<&str>) -> String {
    let clean = |s: &str| -> String {
        crate::text::clip(&s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>(), 200)
    };
    match description.filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{} ({})", clean(error), clean(d)),
        None => clean(error),
    }
}
