//! Browser sessions: a random cookie, of which only the SHA-256 is stored, so sessions survive a
//! restart and a copy of the database signs no one in.
//!
//! A session lasts `CHRONTAINER_SESSION_HOURS` (default 7 days) from sign-in, not from last use:
//! a stolen cookie stops working at a known time, and nothing is written on every request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::users::UserRow;
use crate::error::AppError;
use crate::store::schema::{sessions, users};

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions, check_for_backend(diesel::sqlite::Sqlite))]
pub struct SessionRow {
    pub id: i32,
    pub token_hash: String,
    pub user_id: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    token_hash: &'a str,
    user_id: i32,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Whether a session that ends at `expires_at` still holds at `now`.
pub fn is_live(expires_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now < expires_at
}

/// Starts a session for `user_id` and sweeps out the expired ones (signing in is rare enough).
pub fn create(
    conn: &mut SqliteConnection,
    user_id: i32,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<SessionRow, AppError> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
    Ok(diesel::insert_into(sessions::table)
        .values(&NewSession { token_hash, user_id, created_at: now, expires_at })
        .returning(SessionRow::as_returning())
        .get_result(conn)?)
}

/// The live session whose cookie has digest `hash`, with its user. An expired one is deleted.
pub fn find_live(
    conn: &mut SqliteConnection,
    hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(SessionRow, UserRow)>, AppError> {
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(hash))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first::<(SessionRow, UserRow)>(conn)
        .optional()?;
    match found {
        Some((session, user)) if super::tokens::same(&session.token_hash, hash) => {
            if is_live(session.expires_at, now) {
                Ok(Some((session, user)))
            } else {
                delete(conn, session.id)?;
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

pub fn delete(conn: &mut SqliteConnection, id: i32) -> Result<(), AppError> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of `user_id` except `keep` (the one that asked); returns how many ended.
pub fn delete_for_user(
    conn: &mut SqliteConnection,
    user_id: i32,
    keep: Option<i32>,
) -> Result<usize, AppError> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    Ok(match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{self, NewUser};
    use crate::store::db;
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
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let user = users::insert(
            &mut c,
            &NewUser {
                username: "ann".into(),
                password_hash: "x".into(),
                role: "viewer".into(),
                created_at: t(1),
                updated_at: t(1),
            },
        )
        .unwrap();
        let a = create(&mut c, user.id, "hash-a", t(1), t(3)).unwrap();
        let b = create(&mut c, user.id, "hash-b", t(1), t(9)).unwrap();
        let (found, who) = find_live(&mut c, "hash-a", t(2)).unwrap().unwrap();
        assert_eq!((found.id, who.username.as_str()), (a.id, "ann"));
        assert!(find_live(&mut c, "hash-a", t(3)).unwrap().is_none(), "expired");
        assert!(find_live(&mut c, "hash-a", t(2)).unwrap().is_none(), "an expired session is deleted");
        assert!(find_live(&mut c, "nope", t(2)).unwrap().is_none());

        let c2 = create(&mut c, user.id, "hash-c", t(2), t(9)).unwrap();
        assert_eq!(delete_for_user(&mut c, user.id, Some(c2.id)).unwrap(), 1);
        assert!(find_live(&mut c, "hash-b", t(2)).unwrap().is_none());
        assert_eq!(find_live(&mut c, "hash-c", t(2)).unwrap().unwrap().0.id, c2.id);
        assert_ne!(b.id, c2.id);

        users::delete(&mut c, user.id).unwrap();
        assert!(find_live(&mut c, "hash-c", t(2)).unwrap().is_none(), "cascade");
    }
}
