//! Opening the database: pragmas, embedded migrations, and the lock that keeps a second
//! Chrontainer off the same data directory.

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Opens (creating if needed) the database with WAL, a busy timeout and foreign keys on, and runs
/// every pending migration.
pub fn open(path: &Path) -> Result<SqliteConnection, AppError> {
    let url = path.to_str().ok_or_else(|| AppError::Internal(format!("{} is not UTF-8", path.display())))?;
    owner_only(path)?;
    let mut conn = SqliteConnection::establish(url)
        .map_err(|e| AppError::Database(format!("cannot open {}: {e}", path.display())))?;
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
    )?;
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| AppError::Database(format!("migrations failed on {}: {e}", path.display())))?;
    Ok(conn)
}

/// Creates the database file readable by its owner only (0600), or narrows an existing one: it
/// holds password hashes and token digests. SQLite gives its -wal and -shm files the same mode.
fn owner_only(path: &Path) -> Result<(), AppError> {
    let cannot = |e: std::io::Error| AppError::Database(format!("cannot create {}: {e}", path.display()));
    OpenOptions::new().create(true).append(true).mode(0o600).open(path).map_err(cannot)?;
    std::fs::set_permissions(path, Permissions::from_mode(0o600)).map_err(cannot)
}

/// Folds the write-ahead log into the database file.
pub(super) fn checkpoint(conn: &mut SqliteConnection) -> Result<(), AppError> {
    Ok(conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?)
}

/// Creates the data directory if missing and takes an exclusive lock on `chrontainer.lock` inside it.
/// The lock is held as long as the returned file lives; a second process gets a clear error.
pub fn lock_data_dir(dir: &Path) -> Result<File, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("CHRONTAINER_DATA_DIR={} cannot be created: {e}", dir.display()))?;
    // the database, the first password and TLS keys live here: nobody else may list or read it
    if let Err(e) = std::fs::set_permissions(dir, Permissions::from_mode(0o700)) {
        log::warn!("CHRONTAINER_DATA_DIR={}: cannot make it private (0700): {e}", dir.display());
    }
    let path = dir.join("chrontainer.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("CHRONTAINER_DATA_DIR={} is not writable: {e}", dir.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another Chrontainer is already running on {} (it holds {}); refusing to start a second scheduler",
            dir.display(),
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{Integer, Text};

    /// Reverts the newest migrations down to and including `version` (its date and number), so a
    /// test of one migration does not depend on how many came after it.
    fn revert_through(conn: &mut SqliteConnection, version: &str) {
        loop {
            let reverted = conn.revert_last_migration(MIGRATIONS).unwrap();
            if reverted.to_string().replace('-', "").starts_with(&version.replace('-', "")) {
                return;
            }
        }
    }

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    /// Reverts migrations until the newest one applied is older than `version` (its digits,
    /// `20261201000006`), however many came after it.
    pub(super) fn revert_to_before(conn: &mut SqliteConnection, version: &str) {
        loop {
            let applied = conn.applied_migrations().unwrap();
            let newest = applied.iter().map(|v| v.to_string().replace('-', "")).max();
            match newest {
                Some(v) if v.as_str() >= version => {
                    conn.revert_last_migration(MIGRATIONS).unwrap();
                }
                _ => break,
            }
        }
    }

    fn tables(conn: &mut SqliteConnection) -> Vec<String> {
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY name",
        )
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
    }

    #[test]
    fn the_data_directory_and_the_database_are_private() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let _lock = lock_data_dir(&dir).unwrap();
        let db = dir.join("chrontainer.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        let mut conn = open(&db).unwrap();
        conn.batch_execute("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.join("chrontainer.db-wal")), 0o600);
    }

    const TABLES: [&str; 14] = [
        "api_tokens",
        "audit",
        "autoheal_containers",
        "autoheal_settings",
        "channels",
        "deliveries",
        "hosts",
        "log_days",
        "logs",
        "schedules",
        "service_replicas",
        "sessions",
        "users",
        "window_marks",
    ];

    #[test]
    fn open_creates_both_tables_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        assert_eq!(tables(&mut conn), TABLES);

        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = Text)]
            journal_mode: String,
        }
        let mode = diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(&mut conn).unwrap();
        assert_eq!(mode.journal_mode, "wal");

        #[derive(QueryableByName)]
        struct Fk {
            #[diesel(sql_type = Integer)]
            foreign_keys: i32,
        }
        let fk = diesel::sql_query("PRAGMA foreign_keys").get_result::<Fk>(&mut conn).unwrap();
        assert_eq!(fk.foreign_keys, 1);
    }

    #[test]
    fn every_migration_goes_down_and_up_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        conn.revert_all_migrations(MIGRATIONS).unwrap();
        assert!(tables(&mut conn).is_empty());
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        assert_eq!(tables(&mut conn), TABLES);
        checkpoint(&mut conn).unwrap();
    }

    #[test]
    fn rows_written_before_the_host_migration_are_on_local_with_who_asked_kept() {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            host: String,
            #[diesel(sql_type = Text)]
            action: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
            requested_by: Option<String>,
        }
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        revert_through(&mut conn, "2026-12-01-000006");
        diesel::sql_query(
            "INSERT INTO logs (container_name, action, \"trigger\", status, timestamp, actor) VALUES \
             ('a', 'stop', 'manual', 'success', '2026-01-05 01:00:00', 'ann'), \
             ('b', 'remove', 'schedule', 'error', '2026-01-05 01:00:00', NULL)",
        )
        .execute(&mut conn)
        .unwrap();
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        let rows = diesel::sql_query("SELECT host, action, requested_by FROM logs ORDER BY id")
            .load::<Row>(&mut conn)
            .unwrap();
        let seen: Vec<_> =
            rows.iter().map(|r| (r.host.as_str(), r.action.as_str(), r.requested_by.as_deref())).collect();
        assert_eq!(seen, vec![("local", "stop", Some("ann")), ("local", "restart", None)]);
    }

    #[test]
    fn existing_tokens_belong_to_their_maker_else_to_the_first_admin() {
        #[derive(QueryableByName)]
        struct Owner {
            #[diesel(sql_type = Text)]
            name: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
            user_id: Option<i32>,
        }
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        revert_through(&mut conn, "2026-12-01-000007");
        let t = "'2026-01-05 01:00:00'";
        diesel::sql_query(format!(
            "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES \
             (1, 'vic', 'h', 'viewer', {t}, {t}), (2, 'ann', 'h', 'admin', {t}, {t}), (3, 'Bob', 'h', 'admin', {t}, {t})"
        ))
        .execute(&mut conn)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO api_tokens (name, token_hash, role, created_by, created_at) VALUES \
             ('bobs', 'h1', 'full', 'bob', {t}), ('vics', 'h2', 'read', 'vic', {t}), \
             ('orphan', 'h3', 'full', 'gone', {t}), ('anonymous', 'h4', 'full', NULL, {t}), \
             ('by-token', 'h5', 'full', 'token:ops', {t})"
        ))
        .execute(&mut conn)
        .unwrap();
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        let owners = diesel::sql_query("SELECT name, user_id FROM api_tokens ORDER BY id")
            .load::<Owner>(&mut conn)
            .unwrap();
        let owners: Vec<_> = owners.iter().map(|o| (o.name.as_str(), o.user_id)).collect();
        assert_eq!(
            owners,
            [
                ("bobs", Some(3)),
                ("vics", Some(1)),
                ("orphan", Some(2)),
                ("anonymous", Some(2)),
                ("by-token", Some(2))
            ]
        );
    }

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_data_dir(dir.path()).unwrap();
        let second = lock_data_dir(dir.path()).unwrap_err();
        assert!(second.contains("another Chrontainer is already running"), "{second}");
        drop(first);
        lock_data_dir(dir.path()).unwrap();
    }

    #[test]
    fn the_data_directory_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        lock_data_dir(&nested).unwrap();
        assert!(nested.join("chrontainer.lock").exists());
    }
}

#[cfg(test)]
mod rules_migration_tests {
    use super::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        trigger: String,
        #[diesel(sql_type = Text)]
        status: String,
    }

    /// 000016 rebuilds `logs` without the CHECKs on trigger and status; its down goes back to them.
    #[test]
    fn the_log_takes_the_rules_words_and_keeps_its_rows_across_the_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        let insert = |conn: &mut SqliteConnection, trigger: &str, status: &str| {
            diesel::sql_query(format!(
                "INSERT INTO logs (container_name, action, \"trigger\", status, timestamp) \
                 VALUES ('web', 'restart', '{trigger}', '{status}', '2026-01-05 01:00:00')"
            ))
            .execute(conn)
        };
        insert(&mut conn, "health", "gave_up").unwrap();
        insert(&mut conn, "schedule", "success").unwrap();
        super::tests::revert_to_before(&mut conn, "20261202000016");
        let rows = diesel::sql_query("SELECT \"trigger\", status FROM logs").load::<Row>(&mut conn).unwrap();
        let rows: Vec<_> = rows.iter().map(|r| (r.trigger.as_str(), r.status.as_str())).collect();
        assert_eq!(rows, [("schedule", "success")], "the rows the old CHECKs refuse go, the rest stay");
        assert!(insert(&mut conn, "window", "success").is_err(), "the old CHECK is back");
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        insert(&mut conn, "window", "success").unwrap();
    }

    #[derive(QueryableByName)]
    struct RunId {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        run_id: Option<String>,
    }

    /// A database from before rules and labels had 000012 (stacks: `logs.run_id`), 000014 and
    /// 000015 applied; 000011, 000013 and 000016 then run after them, and keep every run's id.
    #[test]
    fn an_upgrade_that_ran_stacks_before_rules_keeps_the_run_ids() {
        use diesel::migration::MigrationSource;
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("t.db")).unwrap();
        super::tests::revert_to_before(&mut conn, "20261202000011");
        let later = ["20261202000012", "20261202000014", "20261202000015"];
        let migrations = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&MIGRATIONS).unwrap();
        for m in &migrations {
            if later.contains(&m.name().version().to_string().replace('-', "").as_str()) {
                conn.run_migration(m).unwrap();
            }
        }
        diesel::sql_query(
            "INSERT INTO logs (container_name, action, \"trigger\", status, timestamp, run_id) \
             VALUES ('web', 'restart', 'manual', 'success', '2026-01-05 01:00:00', 'r1')",
        )
        .execute(&mut conn)
        .unwrap();
        conn.run_pending_migrations(MIGRATIONS).unwrap();
        let rows = diesel::sql_query("SELECT run_id FROM logs").load::<RunId>(&mut conn).unwrap();
        assert_eq!(rows.iter().map(|r| r.run_id.as_deref()).collect::<Vec<_>>(), [Some("r1")]);
    }
}
