//! Random secrets (session cookies, API tokens), their stored digests and the CSRF token derived
//! from a session. The `api_tokens` table is `store::tokens`.
//!
//! An API token reads `ctk_` followed by 43 characters (32 random bytes, base64url): the prefix lets
//! secret scanners and people recognise one. Only its SHA-256 is stored; the row is found by that
//! digest and the digests are compared again in constant time before the token is believed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AppError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
