//! The `sessions` table: browser sessions. Only the SHA-256 of the random cookie is stored, so
//! sessions survive a restart and a copy of the database signs no one in.
//!
//! A session lasts `CHRONTAINER_SESSION_HOURS` (default 7 days) from sign-in, not from last use:
//! a stolen cookie stops working at a known time, and nothing is written on every request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::{sessions, users};
use super::users::UserRow;
use super::Store;
use crate::auth::tokens::same;
use crate::domain::UserId;
use crate::error::AppError;

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions, check_for_backend(diesel::sqlite::Sqlite))]
pub struct SessionRow {
    pub id: i32,
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    token_hash: &'a str,
    user_id: UserId,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Whether a session that ends at `expires_at` still holds at `now`.
pub fn is_live(expires_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now < expires_at
}

// The queries, on the StoreActor's connection.
impl SessionRow {
    /// Starts a session and sweeps out the expired ones (signing in is rare enough).
    fn create(
        c: &mut SqliteConnection,
        user_id: UserId,
        token_hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> Result<SessionRow, AppError> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(c)?;
        Ok(diesel::insert_into(sessions::table)
            .values(&NewSession { token_hash, user_id, created_at: now, expires_at })
            .returning(SessionRow::as_returning())
            .get_result(c)?)
    }

    /// The live session whose cookie has digest `hash`, with its user. An expired one is deleted.
    fn find_live(
        c: &mut SqliteConnection,
        hash: &str,
        now: NaiveDateTime,
    ) -> Result<Option<(SessionRow, UserRow)>, AppError> {
        let found = sessions::table
            .inner_join(users::table)
            .filter(sessions::token_hash.eq(hash))
            .select((SessionRow::as_select(), UserRow::as_select()))
            .first::<(SessionRow, UserRow)>(c)
            .optional()?;
        match found {
            Some((session, user)) if same(&session.token_hash, hash) => {
                if is_live(session.expires_at, now) {
                    Ok(Some((session, user)))
                } else {
                    SessionRow::delete(c, session.id)?;
                    Ok(None)
                }
            }
            _ => Ok(None),
        }
    }

    fn delete(c: &mut SqliteConnection, id: i32) -> Result<(), AppError> {
        diesel::delete(sessions::table.find(id)).execute(c)?;
        Ok(())
    }

    /// Ends every session of `user_id` except `keep` (the one that asked); returns how many ended.
    pub(super) fn delete_for_user(
        c: &mut SqliteConnection,
        user_id: UserId,
        keep: Option<i32>,
    ) -> Result<usize, AppError> {
        let mine = sessions::table.filter(sessions::user_id.eq(user_id));
        Ok(match keep {
            Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(c)?,
            None => diesel::delete(mine).execute(c)?,
        })
    }
}

/// Starts a session for `user_id` whose cookie has digest `token_hash`.
pub async fn create(
    store: &Store,
    user_id: UserId,
    token_hash: String,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<SessionRow, AppError> {
    store.run(move |c| SessionRow::create(c, user_id, &token_hash, now, expires_at)).await
}

/// The live session whose cookie has digest `token_hash`, with its user.
pub async fn find_live(
    store: &Store,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<Option<(SessionRow, UserRow)>, AppError> {
    if let Some(hit) = store.credentials.session(&token_hash, now) {
        return Ok(Some(hit));
    }
    let generation = store.credentials.generation();
    let hash = token_hash.clone();
    let found = store.run(move |c| SessionRow::find_live(c, &hash, now)).await?;
    if let Some(live) = &found {
        store.credentials.keep_session(generation, token_hash, live.clone(), now);
    }
    Ok(found)
}

/// Ends a session (signing out, or signing in again); ending one that is gone is harmless.
pub async fn delete(store: &Store, id: i32) -> Result<(), AppError> {
    store.run_changing_credentials(move |c| SessionRow::delete(c, id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::store::users::NewUser;
    use chrono::{Duration, NaiveDate};

    fn t(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn a_session_holds_until_its_end_and_not_at_it() {
        assert!(is_live(t(5), t(4)));
        assert!(is_live(t(5), t(5) - Duration::seconds(1)));
        assert!(!is_live(t(5), t(5)));
        assert!(!is_live(t(5), t(6)));
    }

    #[test]
    fn sessions_are_found_by_digest_until_they_expire_and_end_with_their_user() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::store::db::open(&dir.path().join("t.db")).unwrap();
        let user = UserRow::insert(
            &mut c,
            &NewUser {
                username: "ann".into(),
                password_hash: "x".into(),
                role: Role::Viewer,
                created_at: t(1),
                updated_at: t(1),
            },
        )
        .unwrap();
        let a = SessionRow::create(&mut c, user.id, "hash-a", t(1), t(3)).unwrap();
        let b = SessionRow::create(&mut c, user.id, "hash-b", t(1), t(9)).unwrap();
        let (found, who) = SessionRow::find_live(&mut c, "hash-a", t(2)).unwrap().unwrap();
        assert_eq!((found.id, who.username.as_str()), (a.id, "ann"));
        assert!(SessionRow::find_live(&mut c, "hash-a", t(3)).unwrap().is_none(), "expired");
        assert!(
            SessionRow::find_live(&mut c, "hash-a", t(2)).unwrap().is_none(),
            "an expired session is deleted"
        );
        assert!(SessionRow::find_live(&mut c, "nope", t(2)).unwrap().is_none());

        let c2 = SessionRow::create(&mut c, user.id, "hash-c", t(2), t(9)).unwrap();
        assert_eq!(SessionRow::delete_for_user(&mut c, user.id, Some(c2.id)).unwrap(), 1);
        assert!(SessionRow::find_live(&mut c, "hash-b", t(2)).unwrap().is_none());
        assert_eq!(SessionRow::find_live(&mut c, "hash-c", t(2)).unwrap().unwrap().0.id, c2.id);
        assert_ne!(b.id, c2.id);

        UserRow::delete(&mut c, user.id, t(2)).unwrap();
        assert!(SessionRow::find_live(&mut c, "hash-c", t(2)).unwrap().is_none(), "cascade");
    }
}
