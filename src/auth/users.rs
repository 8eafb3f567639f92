//! The `users` table and the first admin.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use super::{audit, initial_password, password, Role};
use crate::actors::store::Store;
use crate::error::AppError;
use crate::store::schema::users;
use crate::time::to_utc;

/// The user made at first start.
pub const FIRST_ADMIN: &str = "admin";
pub const MAX_USERNAME: usize = 64;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite))]
pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    /// The user's role; an unknown word in the database grants the least.
    pub fn role(&self) -> Role {
        Role::parse_user_role(&self.role).unwrap_or(Role::Viewer)
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user as the API shows one (never the hash).
#[derive(Clone, Debug, Serialize)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    /// `admin` or `viewer`.
    pub role: String,
    #[serde(with = "crate::time::serde_utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(r: UserRow) -> Self {
        UserView {
            id: r.id,
            username: r.username,
            role: r.role,
            created_at: to_utc(r.created_at),
            updated_at: to_utc(r.updated_at),
        }
    }
}

/// A user name: 1 to 64 of `A-Z a-z 0-9 . _ @ -`. So few characters, because a name is written
/// into logs and pages, and look-alike names should not be possible.
pub fn check_username(raw: &str) -> Result<String, AppError> {
    check_name(raw, "username")
}

/// A user's or an API token's name (see [`check_username`]); `field` names it in errors.
pub fn check_name(raw: &str, field: &'static str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid("missing_field", Some(field), format!("{field} must not be empty")));
    }
    if name.chars().count() > MAX_USERNAME {
        return Err(AppError::invalid(
            "too_long",
            Some(field),
            format!("{field} is longer than {MAX_USERNAME} characters"),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c)) {
        return Err(AppError::invalid(
            "invalid_characters",
            Some(field),
            format!("{field} may hold only letters, digits and . _ @ -"),
        ));
    }
    Ok(name.to_string())
}

fn user_not_found(id: i32) -> AppError {
    AppError::not_found("user_not_found", format!("No user has id {id}"))
}

fn last_admin() -> AppError {
    AppError::invalid(
        "last_admin",
        Some("role"),
        "This is the only admin: make another user admin first, or nobody could manage Chrontainer",
    )
}

pub fn count(conn: &mut SqliteConnection) -> Result<i64, AppError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn list(conn: &mut SqliteConnection) -> Result<Vec<UserRow>, AppError> {
    Ok(users::table.order(users::id).select(UserRow::as_select()).load(conn)?)
}

pub fn get(conn: &mut SqliteConnection, id: i32) -> Result<UserRow, AppError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| user_not_found(id))
}

/// The user called `name`, whatever the case (the column compares without case).
pub fn find_by_name(conn: &mut SqliteConnection, name: &str) -> Result<Option<UserRow>, AppError> {
    Ok(users::table.filter(users::username.eq(name)).select(UserRow::as_select()).first(conn).optional()?)
}

pub fn insert(conn: &mut SqliteConnection, new: &NewUser) -> Result<UserRow, AppError> {
    diesel::insert_into(users::table).values(new).returning(UserRow::as_returning()).get_result(conn).map_err(
        |e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                AppError::invalid(
                    "username_taken",
                    Some("username"),
                    format!("A user is already named {}", new.username),
                )
            }
            other => other.into(),
        },
    )
}

/// Refuses to leave Chrontainer without an admin when `user` stops being one.
fn keep_an_admin(conn: &mut SqliteConnection, user: &UserRow) -> Result<(), AppError> {
    if user.role() != Role::Admin {
        return Ok(());
    }
    let admins: i64 = users::table.filter(users::role.eq(Role::Admin.as_str())).count().get_result(conn)?;
    if admins <= 1 {
        return Err(last_admin());
    }
    Ok(())
}

pub fn set_role(
    conn: &mut SqliteConnection,
    id: i32,
    role: Role,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    conn.transaction(|c| {
        let user = get(c, id)?;
        if role != Role::Admin {
            keep_an_admin(c, &user)?;
        }
        Ok(diesel::update(users::table.find(id))
            .set((users::role.eq(role.as_str()), users::updated_at.eq(now)))
            .returning(UserRow::as_returning())
            .get_result(c)?)
    })
}

/// Sets a new password hash and ends the user's sessions except `keep` (the one that asked).
pub fn set_password(
    conn: &mut SqliteConnection,
    id: i32,
    password_hash: &str,
    keep: Option<i32>,
    now: NaiveDateTime,
) -> Result<(UserRow, usize), AppError> {
    conn.transaction(|c| {
        let user = diesel::update(users::table.find(id))
            .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
            .returning(UserRow::as_returning())
            .get_result(c)
            .optional()?
            .ok_or_else(|| user_not_found(id))?;
        let ended = super::sessions::delete_for_user(c, id, keep)?;
        Ok((user, ended))
    })
}

/// Deletes a user; their sessions go with them (foreign key), API tokens stay (they have their own names).
pub fn delete(conn: &mut SqliteConnection, id: i32) -> Result<UserRow, AppError> {
    conn.transaction(|c| {
        let user = get(c, id)?;
        keep_an_admin(c, &user)?;
        diesel::delete(users::table.find(id)).execute(c)?;
        Ok(user)
    })
}

/// At first start with authentication on, creates the user `admin` with `given`
/// (`CHRONTAINER_ADMIN_PASSWORD`) or else a generated password, which is written to
/// `password_file` (see `initial_password`) and never logged. Later starts find a user and do nothing.
pub async fn ensure_first_admin(
    store: &Store,
    given: Option<String>,
    password_file: &std::path::Path,
) -> Result<(), AppError> {
    if store.run(count).await? > 0 {
        if given.is_some() {
            log::info!(
                "CHRONTAINER_ADMIN_PASSWORD is ignored: users exist already (change passwords on the settings page)"
            );
        }
        return Ok(());
    }
    let (secret, generated) = match given {
        Some(p) => (p, false),
        None => (password::generate()?, true),
    };
    // before the user exists: a password that no file holds would lock everyone out
    if generated {
        initial_password::write(password_file, &secret)?;
    }
    // start-up, before the server runs: nothing else waits on this thread
    let hash = password::hash(&secret)?;
    let now = Utc::now().naive_utc();
    let created = store
        .run(move |c| {
            c.transaction(|c| {
                if count(c)? > 0 {
                    return Ok(false);
                }
                let new = NewUser {
                    username: FIRST_ADMIN.into(),
                    password_hash: hash,
                    role: Role::Admin.as_str().into(),
                    created_at: now,
                    updated_at: now,
                };
                insert(c, &new)?;
                Ok(true)
            })
        })
        .await?;
    if !created {
        if generated {
            initial_password::remove(password_file);
        }
        return Ok(());
    }
    if generated {
        log::warn!(
            "first start: created the user \"{FIRST_ADMIN}\" with a generated password, written to {} \
             (readable by its owner only; with docker-compose.yml it is ./data/{} on the host). Sign in at \
             /login and change it on the settings page (/settings), which deletes the file; to choose it \
             yourself instead, set CHRONTAINER_ADMIN_PASSWORD (or _FILE) before the first start",
            password_file.display(),
            initial_password::FILE_NAME
        );
    } else {
        log::info!("first start: created the user \"{FIRST_ADMIN}\" with the password from CHRONTAINER_ADMIN_PASSWORD");
    }
    audit::record(store, None, "user_created", format!("{FIRST_ADMIN} (admin) at first start")).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;

    fn t() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(3, 0, 0).unwrap()
    }

    fn new(name: &str, role: &str) -> NewUser {
        NewUser {
            username: name.into(),
            password_hash: "h".into(),
            role: role.into(),
            created_at: t(),
            updated_at: t(),
        }
    }

    #[test]
    fn names_are_short_plain_and_unique_without_case() {
        assert_eq!(check_username(" ann.b@x ").unwrap(), "ann.b@x");
        assert_eq!(check_username("").unwrap_err().code(), "missing_field");
        assert_eq!(check_username("a b").unwrap_err().code(), "invalid_characters");
        assert_eq!(check_username("<img>").unwrap_err().code(), "invalid_characters");
        assert_eq!(check_username(&"a".repeat(65)).unwrap_err().code(), "too_long");

        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        insert(&mut c, &new("ann", "admin")).unwrap();
        assert_eq!(insert(&mut c, &new("ANN", "viewer")).unwrap_err().code(), "username_taken");
        assert_eq!(find_by_name(&mut c, "Ann").unwrap().unwrap().username, "ann");
    }

    #[test]
    fn the_last_admin_can_be_neither_demoted_nor_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let ann = insert(&mut c, &new("ann", "admin")).unwrap();
        let bob = insert(&mut c, &new("bob", "viewer")).unwrap();
        assert_eq!(set_role(&mut c, ann.id, Role::Viewer, t()).unwrap_err().code(), "last_admin");
        assert_eq!(delete(&mut c, ann.id).unwrap_err().code(), "last_admin");
        set_role(&mut c, bob.id, Role::Admin, t()).unwrap();
        assert_eq!(set_role(&mut c, ann.id, Role::Viewer, t()).unwrap().role(), Role::Viewer);
        assert_eq!(delete(&mut c, bob.id).unwrap_err().code(), "last_admin");
        delete(&mut c, ann.id).unwrap();
        assert_eq!(get(&mut c, ann.id).unwrap_err().code(), "user_not_found");
        assert_eq!(list(&mut c).unwrap().len(), 1);
    }

    #[actix_rt::test]
    async fn the_first_admin_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let file = initial_password::path(dir.path());
        ensure_first_admin(&store, Some("first password".into()), &file).await.unwrap();
        ensure_first_admin(&store, Some("second password".into()), &file).await.unwrap();
        ensure_first_admin(&store, None, &file).await.unwrap();
        assert!(!file.exists(), "a given password is not written anywhere");
        let users = store.run(list).await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!((users[0].username.as_str(), users[0].role()), (FIRST_ADMIN, Role::Admin));
        assert!(password::verify("first password", &users[0].password_hash));
    }
}
