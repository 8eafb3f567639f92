//! Passwords: argon2id with the crate's defaults (the OWASP recommendation: 19 MiB, 2 passes), a
//! random salt per hash, stored in the PHC string format so the parameters travel with the hash.
//!
//! Hashing takes tens of milliseconds and 19 MiB on purpose, so it never runs on an async thread
//! and never unbounded: every hash and check goes through the [`Gate`].

use std::sync::OnceLock;
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Argon2 computations at once. Each holds 19 MiB while it runs: two keep a crowd of sign-ins at
/// under 40 MiB on a Pi, and still check a password in well under a second.
pub const CONCURRENT_HASHES: usize = 2;
/// How long an attempt waits for a free slot before it is told to come back (503, Retry-After).
const GATE_WAIT: Duration = Duration::from_secs(3);

/// Bounds the argon2 work of the whole process (sign-ins, password changes, new users).
pub struct Gate {
    slots: Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { slots: Semaphore::new(CONCURRENT_HASHES) }
    }
}

impl Gate {
    /// Runs `work` on the blocking pool once a slot is free; `AppError::Overloaded` when none
    /// frees within a few seconds.
    pub async fn run<R, F>(&self, work: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let permit = tokio::time::timeout(GATE_WAIT, self.slots.acquire())
            .await
            .map_err(|_| AppError::Overloaded(GATE_WAIT.as_secs()))?
            .map_err(|_| AppError::Internal("the password gate is closed".into()))?;
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(format!("password hashing stopped: {e}")));
        drop(permit);
        result
    }
}

pub const MIN_LEN: usize = 8;
/// Long enough for any passphrase, short enough that nobody can make us hash a megabyte.
pub const MAX_LEN: usize = 1024;

/// The argon2id PHC string of `password`.
pub fn hash(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2 hashing failed: {e}")))
}

/// Whether `password` matches `phc`; a malformed stored hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// Spends the time of one verification, so that an unknown user name answers as slowly as a
/// wrong password and the timing tells nobody which names exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(dummy) = DUMMY.get_or_init(|| hash("not a password of anyone").ok()) {
        let _ = verify(password, dummy);
    }
}

/// Refuses a new password that is too short or too long; `field` names the form field at fault.
pub fn check_new(password: &str, field: &'static str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(AppError::invalid(
            "weak_password",
            Some(field),
            format!("The password is too short: use at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(AppError::invalid(
            "too_long",
            Some(field),
            format!("The password is longer than {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// A new random password of 24 characters from an alphabet without look-alikes (0/O, 1/l/I):
/// about 140 bits, typed once from the log and then changed.
pub fn generate() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // the largest multiple of the alphabet's size that fits a byte: bytes above it are drawn
    // again, so that every character is equally likely
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u16;
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf)
            .map_err(|e| AppError::Internal(format!("the OS random source failed: {e}")))?;
        for b in buf {
            if u16::from(b) < limit && out.len() < 24 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "the salt is random");
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horsf", &a));
        assert!(!verify("correct horse", "not a phc string"));
        verify_nothing("anything");
    }

    #[test]
    fn generated_passwords_are_long_varied_and_acceptable() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.chars().count(), 24);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)), "{a}");
        check_new(&a, "password").unwrap();
    }

    #[test]
    fn new_passwords_are_bounded() {
        assert_eq!(check_new("short", "password").unwrap_err().code(), "weak_password");
        assert_eq!(check_new(&"x".repeat(MAX_LEN + 1), "password").unwrap_err().code(), "too_long");
        check_new("eight ch", "password").unwrap();
    }
}
