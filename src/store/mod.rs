//! The SQLite database: every table in a file of its own, holding its rows, their JSON form and
//! every query on it, behind typed async functions (`store::schedules::get(&store, id)`). Each
//! runs its SQL in the StoreActor (`actor.rs`), the one owner of the one connection. Nothing
//! outside this module can write a query: the schema and the actor's `run` are private to it.
//!
//! Imports only the floors below: `domain`, `auth`'s pure ideas (roles, digests, password
//! hashing), `error`, `time`, `text`.

mod actor;
pub mod audit;
pub mod autoheal;
pub mod channels;
mod columns;
mod credentials;
pub mod db;
pub mod deliveries;
pub mod hosts;
pub mod legacy;
pub mod logs;
pub mod schedules;
mod schema;
pub mod service_replicas;
pub mod sessions;
pub mod stats;
pub mod tokens;
pub mod users;
pub mod window_marks;

pub use actor::Store;
pub use logs::{LogEntry, LogPage, LogQuery, NewLog};
pub use schedules::{NewSchedule, Schedule, ScheduleChanges, ScheduleRow};

use crate::error::AppError;

/// A real read of both main tables, so that "healthy" means the database can work.
pub async fn ping(store: &Store) -> Result<(), AppError> {
    store
        .run(|c| {
            schedules::ScheduleRow::count(c)?;
            logs::LogRow::newest_id(c)?;
            Ok(())
        })
        .await
}

/// Folds the write-ahead log into the database file (at shutdown, so a copy of the file is whole).
pub async fn checkpoint(store: &Store) -> Result<(), AppError> {
    store.run(db::checkpoint).await
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`, depth first.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        out
    }

    /// The house rule "handlers never build queries", checked on the source so it stays true: the
    /// compiler already keeps `schema` and `Store::run` private to `store/`; this also catches a
    /// raw `sql_query` or a query DSL import creeping in elsewhere.
    #[test]
    fn no_query_is_written_outside_store() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // anywhere but store/
        let closures = ["store.run(", ".run(move |c", ".run(|c", "store::schema", "super::schema"];
        // anywhere but store/ and the legacy import, which reads the original's database
        let queries = [
            "diesel::prelude",
            "diesel::sql_query",
            "diesel::insert_into",
            "diesel::update(",
            "diesel::delete(",
            "RunQueryDsl",
            "QueryDsl",
        ];
        let mut found = Vec::new();
        let files = sources(&src);
        assert!(files.len() > 20, "the scan found too few files under {}", src.display());
        for path in files {
            let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            if rel.starts_with("store/") {
                continue;
            }
            let legacy_import = rel == "legacy.rs" || rel.starts_with("import/");
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let hits = closures.iter().chain(queries.iter().filter(|_| !legacy_import));
                for pattern in hits.filter(|p| line.contains(**p)) {
                    found.push(format!("src/{rel}:{}: {pattern}", n + 1));
                }
            }
        }
        assert!(
            found.is_empty(),
            "queries outside src/store/ (write a typed store function instead):\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_stores_run_stays_private_to_it() {
        let actor = include_str!("actor.rs");
        assert!(
            actor.contains("pub(in crate::store) async fn run"),
            "Store::run must stay private to store/"
        );
    }
}
