//! The `hosts` table: the Docker hosts Chrontainer manages, by name and URL, with the PEM texts of
//! a TLS host (write-only: API.md's `Host` never shows them). `local` is the host of `DOCKER_HOST`,
//! created (and its URL kept in step) at start-up.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::schema::{hosts, schedules};
use super::Store;
use crate::domain::HostId;
use crate::error::AppError;

/// A row of `hosts`.
#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = hosts, check_for_backend(diesel::sqlite::Sqlite))]
pub struct HostRow {
    pub id: i32,
    pub name: HostId,
    pub url: String,
    pub tls_ca: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The PEM texts are secrets: a debug print of a row shows only whether there are any.
impl std::fmt::Debug for HostRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostRow")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("tls", &self.tls().is_some())
            .finish()
    }
}

/// The CA, the client certificate and its key, as PEM text.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsPem {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

/// Never prints the key (nor the certificates: they are of no use in a log).
impl std::fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsPem(…)")
    }
}

impl HostRow {
    /// The PEM texts of a TLS host; `None` for a socket or plain TCP.
    pub fn tls(&self) -> Option<TlsPem> {
        match (&self.tls_ca, &self.tls_cert, &self.tls_key) {
            (Some(ca), Some(cert), Some(key)) => {
                Some(TlsPem { ca: ca.clone(), cert: cert.clone(), key: key.clone() })
            }
            _ => None,
        }
    }
}

/// A host to add, already checked.
#[derive(Clone)]
pub struct NewHost {
    pub name: HostId,
    pub url: String,
    pub tls: Option<TlsPem>,
}

fn not_found(name: &HostId) -> AppError {
    AppError::not_found(
        "host_not_found",
        format!("No host is named {:?}", crate::text::clip(name.as_str(), 64)),
    )
}

fn find(c: &mut SqliteConnection, name: &HostId) -> Result<HostRow, AppError> {
    hosts::table
        .filter(hosts::name.eq(name))
        .select(HostRow::as_select())
        .first(c)
        .optional()?
        .ok_or_else(|| not_found(name))
}

/// Every host, `local` first, then by name.
pub async fn list(store: &Store) -> Result<Vec<HostRow>, AppError> {
    store
        .run(|c| {
            let mut rows: Vec<HostRow> =
                hosts::table.order(hosts::name).select(HostRow::as_select()).load(c)?;
            rows.sort_by_key(|r| r.name.as_str() != HostId::LOCAL);
            Ok(rows)
        })
        .await
}

/// The host `name`; 404 `host_not_found`.
pub async fn get(store: &Store, name: HostId) -> Result<HostRow, AppError> {
    store.run(move |c| find(c, &name)).await
}

/// Creates `local` at first start, and keeps its URL that of `DOCKER_HOST` afterwards.
pub async fn ensure_local(store: &Store, url: String) -> Result<(), AppError> {
    store
        .run(move |c| {
            let now = Utc::now().naive_utc();
            diesel::insert_into(hosts::table)
                .values((
                    hosts::name.eq(HostId::local()),
                    hosts::url.eq(&url),
                    hosts::created_at.eq(now),
                    hosts::updated_at.eq(now),
                ))
                .on_conflict(hosts::name)
                .do_update()
                .set(hosts::url.eq(&url))
                .execute(c)?;
            Ok(())
        })
        .await
}

/// Adds a host; 409 `host_exists` when the name is taken.
pub async fn insert(store: &Store, new: NewHost) -> Result<HostRow, AppError> {
    store
        .run(move |c| {
            if find(c, &new.name).is_ok() {
                return Err(AppError::conflict(
                    "host_exists",
                    format!("A host is already named {:?}", new.name.as_str()),
                ));
            }
            let now = Utc::now().naive_utc();
            let tls = new.tls.as_ref();
            Ok(diesel::insert_into(hosts::table)
                .values((
                    hosts::name.eq(&new.name),
                    hosts::url.eq(&new.url),
                    hosts::tls_ca.eq(tls.map(|t| &t.ca)),
                    hosts::tls_cert.eq(tls.map(|t| &t.cert)),
                    hosts::tls_key.eq(tls.map(|t| &t.key)),
                    hosts::created_at.eq(now),
                    hosts::updated_at.eq(now),
                ))
                .returning(HostRow::as_returning())
                .get_result(c)?)
        })
        .await
}

/// Replaces a host's URL and TLS material (an edit, already checked).
pub async fn update(store: &Store, new: NewHost) -> Result<HostRow, AppError> {
    store
        .run(move |c| {
            let tls = new.tls.as_ref();
            diesel::update(hosts::table.filter(hosts::name.eq(&new.name)))
                .set((
                    hosts::url.eq(&new.url),
                    hosts::tls_ca.eq(tls.map(|t| &t.ca)),
                    hosts::tls_cert.eq(tls.map(|t| &t.cert)),
                    hosts::tls_key.eq(tls.map(|t| &t.key)),
                    hosts::updated_at.eq(Utc::now().naive_utc()),
                ))
                .returning(HostRow::as_returning())
                .get_result(c)
                .optional()?
                .ok_or_else(|| not_found(&new.name))
        })
        .await
}

/// Removes a host; 409 `host_in_use` while schedules name it (checked in the same transaction).
pub async fn delete(store: &Store, name: HostId) -> Result<(), AppError> {
    store
        .run(move |c| {
            find(c, &name)?;
            let using: i64 = schedules::table.filter(schedules::host.eq(&name)).count().get_result(c)?;
            if using > 0 {
                return Err(AppError::conflict(
                    "host_in_use",
                    format!(
                        "{using} schedule(s) act on host {:?}; delete them or move them to another host first",
                        name.as_str()
                    ),
                ));
            }
            diesel::delete(hosts::table.filter(hosts::name.eq(&name))).execute(c)?;
            Ok(())
        })
        .await
}
