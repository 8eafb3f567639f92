//! The `users` table and the first admin.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use super::schema::users;
use super::sessions::SessionRow;
use super::tokens::TokenRow;
use super::{audit, Store};
use crate::auth::users::FIRST_ADMIN;
use crate::auth::{password, Origin, Role};
use crate::domain::UserId;
use crate::error::AppError;
use crate::time::to_utc;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite))]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub origin: Origin,
    /// The provider's `sub` (or the proxy's user name) of an outside user; `None` for local ones.
    pub subject: Option<String>,
}

/// A user created at their first sign-in through the OpenID provider or forward auth.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = users)]
struct NewOutsideUser {
    username: String,
    password_hash: String,
    role: Role,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    origin: Origin,
    subject: Option<String>,
}

/// Who signed in from outside, as the provider or the proxy says.
#[derive(Clone, Debug)]
pub struct Outsider {
    pub origin: Origin,
    /// The provider's `sub`, or the proxy's user name.
    pub subject: String,
    /// The name to show and log (already checked).
    pub username: String,
    /// From the groups, at this sign-in.
    pub role: Role,
}

/// The stored hash of a user who has no password here: no PHC string, so no password matches it.
const NO_PASSWORD: &str = "!";

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A user as the API shows one (never the hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    /// `admin` or `viewer`.
    #[schema(schema_with = Role::user_role_schema)]
    pub role: Role,
    /// `local` (a password made here), `oidc` or `proxy` (created at a first single sign-on).
    #[schema(schema_with = Origin::schema)]
    pub origin: Origin,
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
            origin: r.origin,
            created_at: to_utc(r.created_at),
            updated_at: to_utc(r.updated_at),
        }
    }
}

/// What an admin's edit of a user changes (already validated; the password already hashed).
#[derive(Clone, Debug, Default)]
pub struct UserEdit {
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    /// The session that asked, which a new password does not end.
    pub keep_session: Option<i32>,
}

fn not_found(id: UserId) -> AppError {
    AppError::not_found("user_not_found", format!("No user has id {id}"))
}

fn last_admin() -> AppError {
    AppError::invalid(
        "last_admin",
        Some("role"),
        "This is the only admin: make another user admin first, or nobody could manage Chrontainer",
    )
}

// The queries, on the StoreActor's connection (which runs each job in a transaction).
impl UserRow {
    fn count(c: &mut SqliteConnection) -> Result<i64, AppError> {
        Ok(users::table.count().get_result(c)?)
    }

    fn all(c: &mut SqliteConnection) -> Result<Vec<UserRow>, AppError> {
        Ok(users::table.order(users::id).select(UserRow::as_select()).load(c)?)
    }

    fn find(c: &mut SqliteConnection, id: UserId) -> Result<UserRow, AppError> {
        users::table.find(id).select(UserRow::as_select()).first(c).optional()?.ok_or_else(|| not_found(id))
    }

    /// The user called `name`, whatever the case (the column compares without case).
    fn find_by_name(c: &mut SqliteConnection, name: &str) -> Result<Option<UserRow>, AppError> {
        Ok(users::table.filter(users::username.eq(name)).select(UserRow::as_select()).first(c).optional()?)
    }

    pub(super) fn insert(c: &mut SqliteConnection, new: &NewUser) -> Result<UserRow, AppError> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(UserRow::as_returning())
            .get_result(c)
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => AppError::invalid(
                    "username_taken",
                    Some("username"),
                    format!("A user is already named {}", new.username),
                ),
                other => other.into(),
            })
    }

    /// The outside user `subject` of `origin`, if they signed in before.
    fn find_outsider(
        c: &mut SqliteConnection,
        origin: Origin,
        subject: &str,
    ) -> Result<Option<UserRow>, AppError> {
        Ok(users::table
            .filter(users::origin.eq(origin).and(users::subject.eq(subject)))
            .select(UserRow::as_select())
            .first(c)
            .optional()?)
    }

    /// An outside user's sign-in: found by origin and subject, their role set to what their groups
    /// say now; created at the first one. A user of the same name who is not this outsider stays
    /// theirs: the sign-in is refused. Answers the user and whether they were created.
    fn sign_in_outsider(
        c: &mut SqliteConnection,
        who: &Outsider,
        now: NaiveDateTime,
    ) -> Result<(UserRow, bool), AppError> {
        if let Some(user) = UserRow::find_outsider(c, who.origin, &who.subject)? {
            if user.role == who.role {
                return Ok((user, false));
            }
            let user = diesel::update(users::table.find(user.id))
                .set((users::role.eq(who.role), users::updated_at.eq(now)))
                .returning(UserRow::as_returning())
                .get_result(c)?;
            return Ok((user, false));
        }
        if let Some(other) = UserRow::find_by_name(c, &who.username)? {
            return Err(AppError::Forbidden(format!(
                "Chrontainer already has a user named {} who does not sign in this way ({}): ask an admin \
                 to delete that user first, or sign in with its password",
                other.username,
                other.origin.as_str()
            )));
        }
        let new = NewOutsideUser {
            username: who.username.clone(),
            password_hash: NO_PASSWORD.into(),
            role: who.role,
            created_at: now,
            updated_at: now,
            origin: who.origin,
            subject: Some(who.subject.clone()),
        };
        let user = diesel::insert_into(users::table)
            .values(&new)
            .returning(UserRow::as_returning())
            .get_result(c)?;
        Ok((user, true))
    }

    /// The admin with the lowest id, if any: the owner of tokens made while authentication was off.
    pub(super) fn first_admin(c: &mut SqliteConnection) -> Result<Option<UserId>, AppError> {
        Ok(users::table
            .filter(users::role.eq(Role::Admin))
            .order(users::id)
            .select(users::id)
            .first(c)
            .optional()?)
    }

    /// Refuses to leave Chrontainer without an admin when this user stops being one.
    fn keep_an_admin(&self, c: &mut SqliteConnection) -> Result<(), AppError> {
        if self.role != Role::Admin {
            return Ok(());
        }
        let admins: i64 = users::table.filter(users::role.eq(Role::Admin)).count().get_result(c)?;
        if admins <= 1 {
            return Err(last_admin());
        }
        Ok(())
    }

    fn set_role(
        c: &mut SqliteConnection,
        id: UserId,
        role: Role,
        now: NaiveDateTime,
    ) -> Result<UserRow, AppError> {
        let user = UserRow::find(c, id)?;
        if role != Role::Admin {
            user.keep_an_admin(c)?;
        }
        Ok(diesel::update(users::table.find(id))
            .set((users::role.eq(role), users::updated_at.eq(now)))
            .returning(UserRow::as_returning())
            .get_result(c)?)
    }

    /// Sets a new password hash and ends the user's sessions except `keep`; answers how many ended.
    fn set_password(
        c: &mut SqliteConnection,
        id: UserId,
        password_hash: &str,
        keep: Option<i32>,
        now: NaiveDateTime,
    ) -> Result<(UserRow, usize), AppError> {
        let user = diesel::update(users::table.find(id))
            .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
            .returning(UserRow::as_returning())
            .get_result(c)
            .optional()?
            .ok_or_else(|| not_found(id))?;
        let ended = SessionRow::delete_for_user(c, id, keep)?;
        Ok((user, ended))
    }

    /// Deletes a user, never the last admin. Their sessions go with them (foreign key); their API
    /// tokens are revoked (the rows stay, so the audit trail keeps their names).
    pub(super) fn delete(
        c: &mut SqliteConnection,
        id: UserId,
        now: NaiveDateTime,
    ) -> Result<UserRow, AppError> {
        let user = UserRow::find(c, id)?;
        user.keep_an_admin(c)?;
        TokenRow::revoke_all_of(c, id, now)?;
        diesel::delete(users::table.find(id)).execute(c)?;
        Ok(user)
    }
}

/// An outside user's sign-in (see `UserRow::sign_in_outsider`): the user, and whether they are new.
pub async fn sign_in_outsider(
    store: &Store,
    who: Outsider,
    now: NaiveDateTime,
) -> Result<(UserRow, bool), AppError> {
    // the common case, the same role as last time, changes nothing and keeps the credentials cache
    let (origin, subject) = (who.origin, who.subject.clone());
    let found = store.run(move |c| UserRow::find_outsider(c, origin, &subject)).await?;
    if let Some(user) = found.filter(|u| u.role == who.role) {
        return Ok((user, false));
    }
    store.run_changing_credentials(move |c| UserRow::sign_in_outsider(c, &who, now)).await
}

/// Break-glass, on the database file with the service stopped: `username` gets `hash` as their
/// password and becomes an admin, and their sessions end. 404 `user_not_found` naming the users.
pub fn reset_password_offline(
    c: &mut SqliteConnection,
    username: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    c.immediate_transaction(|c| {
        let Some(user) = UserRow::find_by_name(c, username)? else {
            let names: Vec<String> = UserRow::all(c)?.into_iter().map(|u| u.username).collect();
            return Err(AppError::not_found(
                "user_not_found",
                format!("No user is named {username}; the users are: {}", names.join(", ")),
            ));
        };
        UserRow::set_role(c, user.id, Role::Admin, now)?;
        let (user, _) = UserRow::set_password(c, user.id, hash, None, now)?;
        let detail = format!("{} (admin), with the command line", user.username);
        audit::record_on(c, None, "password_reset", &detail, now)?;
        Ok(user)
    })
}

/// Every user, by id.
pub async fn list(store: &Store) -> Result<Vec<UserRow>, AppError> {
    store.run(UserRow::all).await
}

/// The user `id`; 404 `user_not_found` when there is none.
pub async fn get(store: &Store, id: UserId) -> Result<UserRow, AppError> {
    store.run(move |c| UserRow::find(c, id)).await
}

/// The user called `name`, whatever the case.
pub async fn find_by_name(store: &Store, name: String) -> Result<Option<UserRow>, AppError> {
    store.run(move |c| UserRow::find_by_name(c, &name)).await
}

/// Adds a user; 400 `username_taken` when the name is taken (whatever the case).
pub async fn insert(store: &Store, new: NewUser) -> Result<UserRow, AppError> {
    store.run(move |c| UserRow::insert(c, &new)).await
}

/// An admin's edit: the role and/or a new password, all or nothing. A new password ends the
/// user's sessions but `keep_session`; answers the user and how many sessions ended. Demoting
/// the last admin is 400 `last_admin`.
pub async fn edit(
    store: &Store,
    id: UserId,
    edit: UserEdit,
    now: NaiveDateTime,
) -> Result<(UserRow, usize), AppError> {
    store
        .run_changing_credentials(move |c| {
            let mut row = UserRow::find(c, id)?;
            if let Some(role) = edit.role {
                row = UserRow::set_role(c, id, role, now)?;
            }
            let mut ended = 0;
            if let Some(hash) = &edit.password_hash {
                (row, ended) = UserRow::set_password(c, id, hash, edit.keep_session, now)?;
            }
            Ok((row, ended))
        })
        .await
}

/// A user's own new password: ends their sessions but `keep_session`; answers how many ended.
pub async fn set_password(
    store: &Store,
    id: UserId,
    password_hash: String,
    keep_session: Option<i32>,
    now: NaiveDateTime,
) -> Result<(UserRow, usize), AppError> {
    store
        .run_changing_credentials(move |c| UserRow::set_password(c, id, &password_hash, keep_session, now))
        .await
}

/// Deletes a user, never the last admin (400 `last_admin`), and revokes their API tokens;
/// answers the deleted row.
pub async fn delete(store: &Store, id: UserId, now: NaiveDateTime) -> Result<UserRow, AppError> {
    store.run_changing_credentials(move |c| UserRow::delete(c, id, now)).await
}

/// At first start with authentication on, creates the user `admin` with `given`
/// (`CHRONTAINER_ADMIN_PASSWORD`) or else a generated password, which is printed to the log this
/// once: the only secret Chrontainer ever logs. Later starts find a user and do nothing.
pub async fn ensure_first_admin(
    store: &Store,
    given: Option<String>,
    password_file: &std::path::Path,
) -> Result<(), AppError> {
    if store.run(UserRow::count).await? > 0 {
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
        crate::auth::initial_password::write(password_file, &secret)?;
    }
    // start-up, before the server runs: nothing else waits on this thread
    let hash = password::hash(&secret)?;
    let now = Utc::now().naive_utc();
    let new = NewUser {
        username: FIRST_ADMIN.into(),
        password_hash: hash,
        role: Role::Admin,
        created_at: now,
        updated_at: now,
    };
    let created = store
        .run(move |c| {
            if UserRow::count(c)? > 0 {
                return Ok(false);
            }
            UserRow::insert(c, &new)?;
            Ok(true)
        })
        .await?;
    if !created {
        if generated {
            crate::auth::initial_password::remove(password_file);
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
            crate::auth::initial_password::FILE_NAME
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

    fn new(name: &str, role: Role) -> NewUser {
        NewUser { username: name.into(), password_hash: "h".into(), role, created_at: t(), updated_at: t() }
    }

    #[test]
    fn names_are_unique_without_case() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        UserRow::insert(&mut c, &new("ann", Role::Admin)).unwrap();
        assert_eq!(UserRow::insert(&mut c, &new("ANN", Role::Viewer)).unwrap_err().code(), "username_taken");
        assert_eq!(UserRow::find_by_name(&mut c, "Ann").unwrap().unwrap().username, "ann");
        assert!(UserRow::find_by_name(&mut c, "bob").unwrap().is_none());
    }

    #[test]
    fn the_last_admin_can_be_neither_demoted_nor_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let ann = UserRow::insert(&mut c, &new("ann", Role::Admin)).unwrap();
        let bob = UserRow::insert(&mut c, &new("bob", Role::Viewer)).unwrap();
        assert_eq!(UserRow::set_role(&mut c, ann.id, Role::Viewer, t()).unwrap_err().code(), "last_admin");
        assert_eq!(UserRow::delete(&mut c, ann.id, t()).unwrap_err().code(), "last_admin");
        UserRow::set_role(&mut c, bob.id, Role::Admin, t()).unwrap();
        assert_eq!(UserRow::set_role(&mut c, ann.id, Role::Viewer, t()).unwrap().role, Role::Viewer);
        assert_eq!(UserRow::delete(&mut c, bob.id, t()).unwrap_err().code(), "last_admin");
        UserRow::delete(&mut c, ann.id, t()).unwrap();
        assert_eq!(UserRow::find(&mut c, ann.id).unwrap_err().code(), "user_not_found");
        assert_eq!(UserRow::all(&mut c).unwrap().len(), 1);
    }

    #[actix_rt::test]
    async fn an_edit_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let ann = insert(&store, new("ann", Role::Admin)).await.unwrap();
        // demoting the only admin fails, and the new password that came with it is not kept
        let both =
            UserEdit { role: Some(Role::Viewer), password_hash: Some("new".into()), keep_session: None };
        assert_eq!(edit(&store, ann.id, both, t()).await.unwrap_err().code(), "last_admin");
        assert_eq!(get(&store, ann.id).await.unwrap().password_hash, "h");
        let reset = UserEdit { password_hash: Some("new".into()), ..Default::default() };
        let (row, ended) = edit(&store, ann.id, reset, t()).await.unwrap();
        assert_eq!((row.password_hash.as_str(), ended), ("new", 0));
        assert_eq!(
            edit(&store, UserId(99), UserEdit::default(), t()).await.unwrap_err().code(),
            "user_not_found"
        );
    }

    #[actix_rt::test]
    async fn the_first_admin_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        let file = crate::auth::initial_password::path(dir.path());
        ensure_first_admin(&store, Some("first password".into()), &file).await.unwrap();
        ensure_first_admin(&store, Some("second password".into()), &file).await.unwrap();
        ensure_first_admin(&store, None, &file).await.unwrap();
        assert!(!file.exists(), "a given password is not written anywhere");
        let users = list(&store).await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!((users[0].username.as_str(), users[0].role), (FIRST_ADMIN, Role::Admin));
        assert!(password::verify("first password", &users[0].password_hash));
    }
}
