//! How many `/api/events` streams are open, per credential and in all: each holds a connection,
//! a bus subscription and a database look-up every few seconds, so one token cannot open a
//! thousand. A [`Slot`] is held by the stream itself and given back when it is dropped, which
//! is when the client goes away or the stream ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::auth::{Credential, Identity};
use crate::error::AppError;

/// Streams one token or one browser session may hold at once.
pub const PER_CREDENTIAL: usize = 8;
/// Streams everyone together may hold at once.
pub const TOTAL: usize = 64;

/// Whose streams are counted together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Holder {
    Token(i32),
    Session(i32),
    /// A user named by a trusted proxy's forward-auth headers.
    Forwarded(crate::domain::UserId),
    /// `CHRONTAINER_AUTH=none`: nobody to tell apart, so only the total counts.
    Open,
}

/// The open streams; shared by every worker.
#[derive(Debug, Default)]
pub struct Streams {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_holder: HashMap<Holder, usize>,
}

/// One open stream's place in the count, given back on drop.
#[derive(Debug)]
pub struct Slot {
    streams: Arc<Streams>,
    holder: Holder,
}

impl Streams {
    /// A slot for one more stream of `who`, or 429 `too_many_streams` past a cap.
    pub fn open(self: &Arc<Self>, who: &Identity) -> Result<Slot, AppError> {
        let holder = match who.credential {
            Credential::Token { token_id, .. } => Holder::Token(token_id),
            Credential::Session { session_id, .. } => Holder::Session(session_id),
            Credential::Forwarded { user_id, .. } => Holder::Forwarded(user_id),
            Credential::Open => Holder::Open,
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= TOTAL {
            return Err(AppError::TooManyStreams(format!(
                "{TOTAL} live-update streams are open, as many as Chrontainer allows: close one and try again"
            )));
        }
        let mine = counts.by_holder.get(&holder).copied().unwrap_or(0);
        if holder != Holder::Open && mine >= PER_CREDENTIAL {
            return Err(AppError::TooManyStreams(format!(
                "This sign-in or token already holds {PER_CREDENTIAL} live-update streams: close one \
                 (a tab or a script) and try again"
            )));
        }
        counts.total += 1;
        counts.by_holder.insert(holder, mine + 1);
        Ok(Slot { streams: self.clone(), holder })
    }

    /// Streams open now.
    pub fn total(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.streams.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_holder.get_mut(&self.holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.by_holder.remove(&self.holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn token(id: i32) -> Identity {
        Identity {
            name: Some(format!("token:{id}")),
            role: Role::Viewer,
            credential: Credential::Token { token_id: id, user_id: crate::domain::UserId(1) },
        }
    }

    #[test]
    fn each_credential_gets_eight_everyone_sixty_four_and_a_dropped_slot_is_free_again() {
        let streams = Arc::new(Streams::default());
        let mine: Vec<Slot> = (0..PER_CREDENTIAL).map(|_| streams.open(&token(1)).unwrap()).collect();
        assert_eq!(streams.open(&token(1)).unwrap_err().code(), "too_many_streams");
        let other = streams.open(&token(2)).expect("another token has its own eight");
        drop(mine);
        assert_eq!(streams.total(), 1);
        let again = streams.open(&token(1)).expect("the slots came back");
        drop((other, again));
        assert_eq!(streams.total(), 0);
        assert!(streams.counts.lock().unwrap().by_holder.is_empty(), "nothing left behind");

        let open: Vec<Slot> = (0..TOTAL).map(|_| streams.open(&Identity::open()).unwrap()).collect();
        assert_eq!(open.len(), TOTAL, "auth off: only the total counts");
        let e = streams.open(&token(3)).unwrap_err();
        assert_eq!((e.code(), e.to_string().contains("64")), ("too_many_streams", true));
    }
}
