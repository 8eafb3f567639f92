//! The sign-ins between leaving for the provider and coming back: each `state` remembers its
//! nonce, its PKCE verifier and where to go afterwards, for ten minutes and for one use.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::OidcError;
use crate::auth::tokens;

/// How long someone may take at the provider's page.
pub const LIFETIME: Duration = Duration::from_secs(600);
/// Sign-ins under way at most: each holds a few hundred bytes until it ends or expires.
const MAX_PENDING: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub nonce: String,
    pub verifier: String,
    /// A local path (already checked).
    pub next: String,
    started: Instant,
}

#[derive(Default)]
pub struct PendingSignIns {
    by_state: Mutex<HashMap<String, Pending>>,
}

impl PendingSignIns {
    /// A new sign-in: its `state` (the key), nonce and verifier, all fresh random secrets.
    pub fn begin(&self, next: String, now: Instant) -> Result<(String, Pending), OidcError> {
        let random = || tokens::random_secret().map_err(|_| OidcError::Busy);
        let (state, nonce, verifier) = (random()?, random()?, random()?);
        let pending = Pending { nonce, verifier, next, started: now };
        let mut map = self.by_state.lock().map_err(|_| OidcError::Busy)?;
        if map.len() >= MAX_PENDING {
            map.retain(|_, p| now.duration_since(p.started) < LIFETIME);
        }
        if map.len() >= MAX_PENDING {
            return Err(OidcError::Busy);
        }
        map.insert(state.clone(), pending.clone());
        Ok((state, pending))
    }

    /// The sign-in `state` names, once: `cookie` is the state this browser was given, and both
    /// must agree.
    pub fn finish(&self, state: &str, cookie: Option<&str>, now: Instant) -> Result<Pending, OidcError> {
        if !cookie.is_some_and(|c| tokens::same(c, state)) {
            return Err(OidcError::StateMismatch);
        }
        let mut map = self.by_state.lock().map_err(|_| OidcError::Busy)?;
        let pending = map.remove(state).ok_or(OidcError::StateMismatch)?;
        if now.duration_since(pending.started) >= LIFETIME {
            return Err(OidcError::StateMismatch);
        }
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_good_once_for_its_browser_and_not_for_ever() {
        let p = PendingSignIns::default();
        let t = Instant::now();
        let (state, begun) = p.begin("/logs".into(), t).unwrap();
        assert_eq!(p.finish(&state, Some("another"), t), Err(OidcError::StateMismatch));
        assert_eq!(p.finish(&state, None, t), Err(OidcError::StateMismatch));
        assert_eq!(p.finish(&state, Some(&state), t).unwrap(), begun);
        assert_eq!(p.finish(&state, Some(&state), t), Err(OidcError::StateMismatch), "used already");
        let (old, _) = p.begin("/".into(), t).unwrap();
        assert_eq!(p.finish(&old, Some(&old), t + LIFETIME), Err(OidcError::StateMismatch));
        assert_ne!(begun.nonce, begun.verifier);
    }
}
