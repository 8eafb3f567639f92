//! The `api_tokens` table: API tokens for scripts. Only the SHA-256 of a token's secret is stored;
//! the row is found by that digest and the digests are compared again in constant time before the
//! token is believed (`auth::tokens` makes the secrets and digests).
//!
//! Each token belongs to a user and may do no more than that user may now: a live token is found
//! together with its user, and its role is the lower of the two. Deleting a user revokes its tokens.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteConnection};
use serde::Serialize;

use super::schema::{api_tokens, users};
use super::users::UserRow;
use super::Store;
use crate::auth::tokens::same;
use crate::auth::Role;
use crate::domain::UserId;
use crate::error::AppError;
use crate::time::to_utc;

/// A token's role as `api_tokens.role` stores it: `full` (admin) or `read` (viewer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Scope(pub Role);

impl From<Scope> for Role {
    fn from(s: Scope) -> Role {
        s.0
    }
}

impl From<Role> for Scope {
    fn from(r: Role) -> Scope {
        Scope(r)
    }
}

impl ToSql<Text, Sqlite> for Scope {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.token_scope());
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Sqlite> for Scope {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        Role::parse_token_scope(&text).map(Scope).map_err(|e| format!("api_tokens.role: {e}").into())
    }
}

/// A row of `api_tokens`.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::sqlite::Sqlite))]
pub struct TokenRow {
    pub id: i32,
    pub name: String,
    pub token_hash: String,
    #[diesel(deserialize_as = Scope)]
    pub role: Role,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The owner; `None` only for a token made while no admin existed (it signs no one in).
    pub user_id: Option<UserId>,
}

/// A live token and its owner as they are now.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveToken {
    pub token: TokenRow,
    pub owner: UserRow,
}

impl LiveToken {
    /// What the token may do: its own role, bounded by its owner's current one.
    pub fn role(&self) -> Role {
        self.token.role.lower(self.owner.role)
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken {
    pub name: String,
    pub token_hash: String,
    #[diesel(serialize_as = Scope)]
    pub role: Role,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    /// The owner; `None` gives the token to the first admin (made while authentication was off).
    pub user_id: Option<UserId>,
}

/// An API token as the API shows it: never the secret, except once in [`CreatedToken`].
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Token)]
pub struct TokenView {
    pub id: i32,
    pub name: String,
    /// `full` (admin) or `read` (viewer).
    #[schema(schema_with = Role::token_scope_schema)]
    pub role: &'static str,
    pub created_by: Option<String>,
    #[serde(with = "crate::time::serde_utc")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::serde_utc::option")]
    pub last_used: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::serde_utc::option")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The id of the user the token belongs to.
    pub user_id: Option<UserId>,
}

impl From<TokenRow> for TokenView {
    fn from(r: TokenRow) -> Self {
        TokenView {
            id: r.id,
            name: r.name,
            role: r.role.token_scope(),
            created_by: r.created_by,
            created_at: to_utc(r.created_at),
            last_used: r.last_used.map(to_utc),
            revoked_at: r.revoked_at.map(to_utc),
            user_id: r.user_id,
        }
    }
}

/// The answer to creating a token: the only time its secret is shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub view: TokenView,
    /// The secret (`ctk_…`), shown this once only; send it as `Authorization: Bearer`.
    pub token: String,
}

fn not_found(id: i32) -> AppError {
    AppError::not_found("token_not_found", format!("No API token has id {id}"))
}

// The queries, on the StoreActor's connection.
impl TokenRow {
    /// A live (not revoked) token whose secret has digest `hash`, with its owner; none when the
    /// owner is gone. Its `last_used` is brought up to date at most once a minute, so that scripts
    /// polling every second cost no write each.
    fn find_live(
        c: &mut SqliteConnection,
        hash: &str,
        now: NaiveDateTime,
    ) -> Result<Option<LiveToken>, AppError> {
        let found = api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(hash))
            .filter(api_tokens::revoked_at.is_null())
            .select((TokenRow::as_select(), UserRow::as_select()))
            .first::<(TokenRow, UserRow)>(c)
            .optional()?;
        let Some((token, owner)) = found.filter(|(t, _)| same(&t.token_hash, hash)) else { return Ok(None) };
        if token.last_used.is_none_or(|t| now - t > chrono::Duration::seconds(60)) {
            diesel::update(api_tokens::table.find(token.id))
                .set(api_tokens::last_used.eq(Some(now)))
                .execute(c)?;
        }
        Ok(Some(LiveToken { token, owner }))
    }

    fn all(c: &mut SqliteConnection) -> Result<Vec<TokenRow>, AppError> {
        Ok(api_tokens::table.order(api_tokens::id).select(TokenRow::as_select()).load(c)?)
    }

    fn of_user(c: &mut SqliteConnection, user: UserId) -> Result<Vec<TokenRow>, AppError> {
        Ok(api_tokens::table
            .filter(api_tokens::user_id.eq(user))
            .order(api_tokens::id)
            .select(TokenRow::as_select())
            .load(c)?)
    }

    fn insert(c: &mut SqliteConnection, mut new: NewToken) -> Result<TokenRow, AppError> {
        if new.user_id.is_none() {
            new.user_id = UserRow::first_admin(c)?;
        }
        let name = new.name.clone();
        diesel::insert_into(api_tokens::table)
            .values(new)
            .returning(TokenRow::as_returning())
            .get_result(c)
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => AppError::invalid(
                    "name_taken",
                    Some("name"),
                    format!("A live API token is already named {name:?}: choose another name"),
                ),
                other => other.into(),
            })
    }

    /// Revokes a token (at once: the next request with it is refused); revoking twice is harmless.
    fn revoke(c: &mut SqliteConnection, id: i32, now: NaiveDateTime) -> Result<TokenRow, AppError> {
        diesel::update(api_tokens::table.find(id).filter(api_tokens::revoked_at.is_null()))
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(c)?;
        api_tokens::table
            .find(id)
            .select(TokenRow::as_select())
            .first(c)
            .optional()?
            .ok_or_else(|| not_found(id))
    }

    /// Revokes every live token of `user` (who is being deleted); answers how many.
    pub(super) fn revoke_all_of(
        c: &mut SqliteConnection,
        user: UserId,
        now: NaiveDateTime,
    ) -> Result<usize, AppError> {
        let live =
            api_tokens::table.filter(api_tokens::user_id.eq(user)).filter(api_tokens::revoked_at.is_null());
        Ok(diesel::update(live).set(api_tokens::revoked_at.eq(Some(now))).execute(c)?)
    }
}

/// The live token whose secret has digest `token_hash`, with its owner, if both exist.
pub async fn find_live(
    store: &Store,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<Option<LiveToken>, AppError> {
    if let Some(hit) = store.credentials.token(&token_hash, now) {
        return Ok(Some(hit));
    }
    let generation = store.credentials.generation();
    let hash = token_hash.clone();
    let found = store.run(move |c| TokenRow::find_live(c, &hash, now)).await?;
    if let Some(live) = &found {
        store.credentials.keep_token(generation, token_hash, live.clone(), now);
    }
    Ok(found)
}

/// Every token, revoked ones included, by id.
pub async fn list(store: &Store) -> Result<Vec<TokenRow>, AppError> {
    store.run(TokenRow::all).await
}

/// The tokens of one user, revoked ones included, by id.
pub async fn list_of(store: &Store, user: UserId) -> Result<Vec<TokenRow>, AppError> {
    store.run(move |c| TokenRow::of_user(c, user)).await
}

/// Adds a token (owned by the first admin when `new.user_id` is `None`); 400 `name_taken` when a
/// live token has that name.
pub async fn insert(store: &Store, new: NewToken) -> Result<TokenRow, AppError> {
    store.run(move |c| TokenRow::insert(c, new)).await
}

/// Revokes a token; 404 `token_not_found` when there is none.
pub async fn revoke(store: &Store, id: i32, now: NaiveDateTime) -> Result<TokenRow, AppError> {
    store.run_changing_credentials(move |c| TokenRow::revoke(c, id, now)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::digest;
    use crate::store::db;
    use crate::store::users::NewUser;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(3, 0, 0).unwrap()
    }

    fn user(c: &mut SqliteConnection, name: &str, role: Role) -> UserRow {
        let new = NewUser {
            username: name.into(),
            password_hash: "h".into(),
            role,
            created_at: now(),
            updated_at: now(),
        };
        UserRow::insert(c, &new).unwrap()
    }

    fn token(name: &str, secret: &str, role: Role, owner: Option<UserId>) -> NewToken {
        NewToken {
            name: name.into(),
            token_hash: digest(secret),
            role,
            created_by: Some("admin".into()),
            created_at: now(),
            user_id: owner,
        }
    }

    #[test]
    fn a_revoked_token_is_no_longer_found_and_live_names_are_unique() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let ann = user(&mut c, "ann", Role::Admin);
        let new = token("backup", "secret", Role::Viewer, Some(ann.id));
        let row = TokenRow::insert(&mut c, new.clone()).unwrap();
        let again = NewToken { token_hash: digest("other"), ..new.clone() };
        assert_eq!(TokenRow::insert(&mut c, again.clone()).unwrap_err().code(), "name_taken");
        let found = TokenRow::find_live(&mut c, &digest("secret"), now()).unwrap().unwrap();
        assert_eq!((found.role(), found.owner.id), (Role::Viewer, ann.id));
        assert!(TokenRow::find_live(&mut c, &digest("wrong"), now()).unwrap().is_none());
        let revoked = TokenRow::revoke(&mut c, row.id, now()).unwrap();
        assert_eq!(revoked.revoked_at, Some(now()));
        assert!(TokenRow::find_live(&mut c, &digest("secret"), now()).unwrap().is_none());
        // the name is free again once its token is revoked
        TokenRow::insert(&mut c, again).unwrap();
        assert_eq!(TokenRow::revoke(&mut c, 99, now()).unwrap_err().code(), "token_not_found");
    }

    #[test]
    fn a_token_may_do_no_more_than_its_owner_now_and_ends_with_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let ann = user(&mut c, "ann", Role::Admin);
        let bob = user(&mut c, "bob", Role::Admin);
        TokenRow::insert(&mut c, token("ops", "s1", Role::Admin, Some(bob.id))).unwrap();
        TokenRow::insert(&mut c, token("mine", "s2", Role::Admin, Some(ann.id))).unwrap();
        assert_eq!(TokenRow::find_live(&mut c, &digest("s1"), now()).unwrap().unwrap().role(), Role::Admin);

        diesel::update(users::table.find(bob.id)).set(users::role.eq(Role::Viewer)).execute(&mut c).unwrap();
        let demoted = TokenRow::find_live(&mut c, &digest("s1"), now()).unwrap().unwrap();
        assert_eq!((demoted.token.role, demoted.role()), (Role::Admin, Role::Viewer));

        assert_eq!(
            TokenRow::of_user(&mut c, bob.id).unwrap().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["ops"]
        );
        UserRow::delete(&mut c, bob.id, now()).unwrap();
        assert!(TokenRow::find_live(&mut c, &digest("s1"), now()).unwrap().is_none(), "its owner is gone");
        let ops = TokenRow::all(&mut c).unwrap().into_iter().find(|t| t.name == "ops").unwrap();
        assert_eq!(ops.revoked_at, Some(now()), "deleting the owner revokes the token");
        assert!(
            TokenRow::find_live(&mut c, &digest("s2"), now()).unwrap().is_some(),
            "other owners' tokens stay"
        );
    }

    #[test]
    fn a_token_made_without_a_user_belongs_to_the_first_admin() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let none = TokenRow::insert(&mut c, token("early", "s0", Role::Admin, None)).unwrap();
        assert_eq!(none.user_id, None, "no admin yet: no owner, and it signs no one in");
        assert!(TokenRow::find_live(&mut c, &digest("s0"), now()).unwrap().is_none());
        user(&mut c, "vic", Role::Viewer);
        let ann = user(&mut c, "ann", Role::Admin);
        user(&mut c, "bob", Role::Admin);
        assert_eq!(
            TokenRow::insert(&mut c, token("open", "s3", Role::Admin, None)).unwrap().user_id,
            Some(ann.id)
        );
    }

    #[test]
    fn a_tokens_role_is_stored_in_the_token_words() {
        #[derive(QueryableByName)]
        struct Raw {
            #[diesel(sql_type = Text)]
            role: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let mut c = db::open(&dir.path().join("t.db")).unwrap();
        let row = TokenRow::insert(&mut c, token("ops", "s", Role::Admin, None)).unwrap();
        assert_eq!(row.role, Role::Admin);
        let raw = diesel::sql_query("SELECT role FROM api_tokens").get_result::<Raw>(&mut c).unwrap();
        assert_eq!(raw.role, "full");
        assert_eq!(serde_json::to_value(TokenView::from(row)).unwrap()["role"], "full");
    }
}
