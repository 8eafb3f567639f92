//! StoreActor: the one thread that owns the one SQLite connection. The table files of `store/`
//! send it their queries (closures over `&mut SqliteConnection`) and await the answer; nothing
//! outside `store/` can, so every query Chrontainer runs is written in one of those files.
//!
//! Supervision: a query that panics, or a connection that fails, makes the actor stop; its
//! `SyncArbiter` then builds a fresh actor, which reopens the database on its next message.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use actix::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use super::credentials::Credentials;
use super::db;
use crate::error::AppError;

type Job<R> = Box<dyn FnOnce(&mut SqliteConnection) -> Result<R, AppError> + Send>;

/// A query to run on the store's connection.
struct Query<R>(Job<R>);

impl<R: Send + 'static> Message for Query<R> {
    type Result = Result<R, AppError>;
}

/// Owns the connection; started by [`Store::start`].
pub struct StoreActor {
    path: PathBuf,
    conn: Option<SqliteConnection>,
}

impl Actor for StoreActor {
    type Context = SyncContext<Self>;
}

impl<R: Send + 'static> Handler<Query<R>> for StoreActor {
    type Result = Result<R, AppError>;

    fn handle(&mut self, Query(job): Query<R>, ctx: &mut SyncContext<Self>) -> Self::Result {
        if self.conn.is_none() {
            self.conn = Some(db::open(&self.path)?);
        }
        let conn = self.conn.as_mut().ok_or_else(|| AppError::Internal("no connection".into()))?;
        // Every job runs in an explicit transaction. With `RETURNING` in autocommit mode SQLite
        // commits only when the statement is stepped to its end, which diesel does not do after the
        // first row: a failed commit (a full disk) would be lost and the write acknowledged anyway.
        // An explicit COMMIT reports it.
        match catch_unwind(AssertUnwindSafe(|| conn.transaction(job))) {
            Ok(result) => result,
            Err(_) => {
                log::error!("a database query panicked; restarting the store");
                ctx.stop();
                Err(AppError::Internal("a database query panicked".into()))
            }
        }
    }
}

/// A cheap, cloneable handle to the StoreActor.
#[derive(Clone)]
pub struct Store {
    addr: Addr<StoreActor>,
    /// Live sessions and tokens, so authenticated requests skip this thread (`credentials.rs`).
    pub(in crate::store) credentials: Arc<Credentials>,
}

impl Store {
    /// Starts the actor on its own thread. The database is opened (and migrated) lazily by the
    /// actor; call [`db::open`] first at start-up to fail early with a clear message.
    pub fn start(path: PathBuf) -> Store {
        let addr = SyncArbiter::start(1, move || StoreActor { path: path.clone(), conn: None });
        Store { addr, credentials: Arc::default() }
    }

    /// Runs `job` on the store's connection, in one transaction.
    pub(in crate::store) async fn run<R, F>(&self, job: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<R, AppError> + Send + 'static,
    {
        self.addr.send(Query(Box::new(job))).await?
    }

    /// [`run`](Self::run) for a job that changes users, sessions or tokens: the credentials
    /// cache is emptied once it has committed (or failed), so the change holds from the next request.
    pub(in crate::store) async fn run_changing_credentials<R, F>(&self, job: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<R, AppError> + Send + 'static,
    {
        let result = self.run(job).await;
        self.credentials.changed();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn answers_queries_and_survives_a_panicking_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::start(dir.path().join("t.db"));
        crate::store::ping(&store).await.unwrap();
        let panicked = store.run(|_| -> Result<(), AppError> { panic!("boom") }).await;
        assert!(matches!(panicked, Err(AppError::Internal(_))));
        // the supervisor built a new actor: the store still answers
        crate::store::ping(&store).await.unwrap();
        assert!(crate::store::schedules::list(&store).await.unwrap().is_empty());
    }
}
