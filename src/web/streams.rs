//! How many `/api/events` streams are open, per credential and in all: each holds a connection,
//! a bus subscription and a database look-up every few seconds, so one token cannot open a
//! thousand. A [`Slot`] is held by the stream itself and given back when it is dropped, which
//! is when the client goes away or the stream ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{Stream, StreamExt};

use crate::auth::{Credential, Identity, Role};
use crate::error::AppError;
use crate::web::identity::{self, Shown};
use crate::web::AppState;

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

/// A `text/event-stream` answer: a `: connected` comment at once, then each chunk of `events`,
/// marked for proxies not to cache or buffer.
pub fn event_stream(events: impl Stream<Item = String> + 'static) -> HttpResponse {
    let first = futures_util::stream::once(async { ": connected\n\n".to_string() });
    let body = first.chain(events).map(|chunk| Ok::<_, actix_web::Error>(Bytes::from(chunk)));
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// The credentials a long-lived stream was opened with, to be looked up again on each tick.
pub struct Recheck {
    /// The credentials as shown and the role they had; `None` with authentication off or forward auth.
    credential: Option<(Shown, Role)>,
    state: Arc<AppState>,
}

impl Recheck {
    pub fn new(req: &HttpRequest, who: &Identity, state: Arc<AppState>) -> Result<Recheck, AppError> {
        let credential = match who.credential {
            // behind forward auth the proxy checks each request, this one included
            Credential::Open | Credential::Forwarded { .. } => None,
            _ => Some((identity::shown(req)?.ok_or(AppError::Unauthorized)?, who.role)),
        };
        Ok(Recheck { credential, state })
    }

    /// Whether the credentials still stand for someone, with the role they had. A role that
    /// changed ends the stream too: the client reconnects and is judged afresh. A database that
    /// cannot answer ends it as well, rather than go on unchecked.
    pub async fn still_allowed(&self) -> bool {
        let Some((shown, role)) = &self.credential else { return true };
        match identity::look_up(shown, &self.state).await {
            Ok(Some(now)) => now.role == *role,
            Ok(None) | Err(_) => false,
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
