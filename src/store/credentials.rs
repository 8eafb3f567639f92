//! The live sessions and API tokens, kept in memory so that an authenticated request does not
//! queue behind the store thread for every lookup.
//!
//! Correctness comes first: every store function that changes users, sessions or tokens runs
//! through [`Store::run_changing_credentials`](super::Store), which empties the cache after its
//! transaction, so a revocation, a sign-out or a role change takes effect with the next request. A
//! lookup that was in flight while such a change committed is not kept (the generation moved). An
//! entry is also read from the database again after [`REFRESH`], which keeps a token's `last_used`
//! as exact as before. Unknown credentials are never kept, so guessing cannot fill the cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use chrono::{Duration, NaiveDateTime};

use super::sessions::{self, SessionRow};
use super::tokens::LiveToken;
use super::users::UserRow;

/// How long an entry answers before the database is asked again.
const REFRESH: Duration = Duration::seconds(60);
/// At most this many entries of each kind; when full, the cache starts again from empty.
const CAPACITY: usize = 1024;

struct Entry<T> {
    value: T,
    read_at: NaiveDateTime,
}

#[derive(Default)]
pub(super) struct Credentials {
    generation: AtomicU64,
    tokens: RwLock<HashMap<String, Entry<LiveToken>>>,
    sessions: RwLock<HashMap<String, Entry<(SessionRow, UserRow)>>>,
}

impl Credentials {
    /// Read before a database lookup, handed back to `keep_*` after it.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets everything; called after every change to users, sessions or tokens.
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.tokens.write() {
            map.clear();
        }
        if let Ok(mut map) = self.sessions.write() {
            map.clear();
        }
    }

    pub(super) fn token(&self, hash: &str, now: NaiveDateTime) -> Option<LiveToken> {
        let map = self.tokens.read().ok()?;
        let entry = map.get(hash).filter(|e| fresh(e.read_at, now))?;
        Some(entry.value.clone())
    }

    pub(super) fn session(&self, hash: &str, now: NaiveDateTime) -> Option<(SessionRow, UserRow)> {
        let map = self.sessions.read().ok()?;
        let entry = map
            .get(hash)
            .filter(|e| fresh(e.read_at, now) && sessions::is_live(e.value.0.expires_at, now))?;
        Some(entry.value.clone())
    }

    pub(super) fn keep_token(&self, generation: u64, hash: String, value: LiveToken, now: NaiveDateTime) {
        self.keep(&self.tokens, generation, hash, value, now);
    }

    pub(super) fn keep_session(
        &self,
        generation: u64,
        hash: String,
        value: (SessionRow, UserRow),
        now: NaiveDateTime,
    ) {
        self.keep(&self.sessions, generation, hash, value, now);
    }

    fn keep<T>(
        &self,
        map: &RwLock<HashMap<String, Entry<T>>>,
        generation: u64,
        hash: String,
        value: T,
        now: NaiveDateTime,
    ) {
        let Ok(mut map) = map.write() else { return };
        // checked under the lock that `changed` also takes, so a change cannot slip in between
        if self.generation() != generation {
            return;
        }
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(hash, Entry { value, read_at: now });
    }
}

fn fresh(read_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now >= read_at && now - read_at < REFRESH
}

#[cfg(test)]
mod tests {
    use crate::auth::Role;
    use crate::store::users::{NewUser, UserEdit};
    use crate::store::{sessions, tokens, users, Store};
    use chrono::{NaiveDate, NaiveDateTime};

    fn at(minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(3, minute, 0).unwrap()
    }

    async fn store_with_admin() -> (tempfile::TempDir, Store, users::UserRow) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let user = users::insert(
            &store,
            NewUser {
                username: "ada".into(),
                password_hash: "h".into(),
                role: Role::Admin,
                created_at: at(0),
                updated_at: at(0),
            },
        )
        .await
        .unwrap();
        (dir, store, user)
    }

    #[actix_rt::test]
    async fn a_revoked_token_is_refused_at_once_though_it_was_cached() {
        let (_dir, store, user) = store_with_admin().await;
        let new = tokens::NewToken {
            name: "ci".into(),
            token_hash: "digest".into(),
            role: Role::Admin,
            created_by: None,
            created_at: at(0),
            user_id: Some(user.id),
        };
        let token = tokens::insert(&store, new).await.unwrap();
        assert!(tokens::find_live(&store, "digest".into(), at(1)).await.unwrap().is_some());
        assert!(store.credentials.token("digest", at(1)).is_some(), "the lookup is kept");
        tokens::revoke(&store, token.id, at(2)).await.unwrap();
        assert!(tokens::find_live(&store, "digest".into(), at(2)).await.unwrap().is_none());
    }

    #[actix_rt::test]
    async fn a_session_ends_and_a_role_changes_at_once() {
        let (_dir, store, _admin) = store_with_admin().await;
        let other = users::insert(
            &store,
            NewUser {
                username: "bob".into(),
                password_hash: "h".into(),
                role: Role::Admin,
                created_at: at(0),
                updated_at: at(0),
            },
        )
        .await
        .unwrap();
        let session = sessions::create(&store, other.id, "s".into(), at(0), at(59)).await.unwrap();
        let (_, seen) = sessions::find_live(&store, "s".into(), at(1)).await.unwrap().unwrap();
        assert_eq!(seen.role, Role::Admin);

        let demote = UserEdit { role: Some(Role::Viewer), password_hash: None, keep_session: None };
        users::edit(&store, other.id, demote, at(2)).await.unwrap();
        let (_, seen) = sessions::find_live(&store, "s".into(), at(2)).await.unwrap().unwrap();
        assert_eq!(seen.role, Role::Viewer, "the cached admin role is gone");

        sessions::delete(&store, session.id).await.unwrap();
        assert!(sessions::find_live(&store, "s".into(), at(3)).await.unwrap().is_none());
    }

    #[actix_rt::test]
    async fn a_lookup_that_raced_a_change_is_not_kept() {
        let (_dir, store, user) = store_with_admin().await;
        sessions::create(&store, user.id, "s".into(), at(0), at(59)).await.unwrap();
        let found = sessions::find_live(&store, "s".into(), at(1)).await.unwrap().unwrap();
        let cache = super::Credentials::default();
        let before = cache.generation();
        cache.changed(); // a sign-out committed while the lookup was on its way back
        cache.keep_session(before, "s".into(), found, at(1));
        assert!(cache.session("s", at(1)).is_none());
    }
}
