//! `chrontainer import-legacy`: a database in the original Python Chrontainer's format, imported by
//! the real binary, checked through the API of a started instance; the report, the refusal while
//! the service runs, and idempotence.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use common::{App, TestContainer};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use serde_json::Value;

/// The original's schema (Flask + APScheduler 3 + sqlite3), as src/legacy.rs assumes it.
const LEGACY_SCHEMA: &str = "
CREATE TABLE schedules (id INTEGER PRIMARY KEY, container_id TEXT, container_name TEXT, action TEXT,
    cron_expression TEXT, enabled INTEGER DEFAULT 1, created_at TIMESTAMP, last_run TIMESTAMP,
    next_run TIMESTAMP);
CREATE TABLE logs (id INTEGER PRIMARY KEY, schedule_id INTEGER, container_name TEXT, action TEXT,
    status TEXT, message TEXT, timestamp TIMESTAMP);";

/// Python's `str(datetime)`, as the original's sqlite3 stored it.
fn py_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

struct Legacy {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    /// The container of schedule #1, which exists.
    present: TestContainer,
    /// Names of containers that do not exist.
    gone: String,
    weekend: String,
}

fn legacy_database() -> Legacy {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chrontainer.db");
    let present = TestContainer::run("legacy-present", &[]);
    let gone = common::unique_name("legacy-gone");
    let weekend = common::unique_name("legacy-weekend");
    let now = Utc::now();
    let mut c = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    c.batch_execute(LEGACY_SCHEMA).unwrap();
    let rows = format!(
        "INSERT INTO schedules VALUES
            (1, '{present_id}', '/{present}', 'restart', '0 3 * * 1-5', 1, '2024-01-05 10:00:00.123456',
                '2024-02-01 03:00:00', '2024-02-02 03:00:00'),
            (2, 'f00d', '{gone}', 'stop', '0 0 * * 0', 1, '2024-01-06 10:00:00', NULL, NULL),
            (3, NULL, '{gone}', 'restart', '30 2 * * *', 0, '2024-01-07 10:00:00', NULL, NULL),
            (4, NULL, '{gone}', 'restart', '0 25 * * *', 1, '2024-01-08 10:00:00', NULL, NULL),
            (5, NULL, '{weekend}', 'pause', '0 8 * * 7', 1, '2024-01-09 10:00:00', NULL, NULL),
            (6, NULL, '{gone}', 'remove', '15 4 * * *', 1, '2024-01-10 10:00:00', NULL, NULL);
         INSERT INTO logs VALUES
            (1, 1, '{present}', 'restart', 'success', 'Container restarted', '{day1}'),
            (2, 2, '{gone}', 'stop', 'error', 'No such container', '{day2}'),
            (3, NULL, '{present}', 'restart', 'success', 'manual restart', '{old}'),
            (4, 99, 'deleted-one', 'remove', 'failed', 'timeout', '{day1}');",
        present_id = present.id,
        present = present.name,
        day1 = py_time(now - Duration::days(1)),
        day2 = py_time(now - Duration::days(2)),
        old = py_time(now - Duration::days(200)),
    );
    c.batch_execute(&rows).unwrap();
    Legacy { _dir: dir, path, present, gone, weekend }
}

fn import(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chrontainer"))
        .arg("import-legacy")
        .args(args)
        .env("CHRONTAINER_DATA_DIR", data_dir)
        .env("CHRONTAINER_TIMEZONE", "Europe/Berlin")
        .env_remove("TZ")
        .output()
        .expect("cannot run the chrontainer binary")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn schedule(list: &[Value], legacy_id: u32) -> &Value {
    let marker = format!("(schedule #{legacy_id})");
    list.iter()
        .find(|s| s["description"].as_str().unwrap_or("").contains(&marker))
        .unwrap_or_else(|| panic!("legacy schedule #{legacy_id} not imported: {list:?}"))
}

#[test]
fn the_originals_schedules_and_logs_are_imported_once_with_a_report() {
    common::require_docker();
    let legacy = legacy_database();
    let data = Arc::new(tempfile::tempdir().unwrap());
    let old = legacy.path.to_str().unwrap();

    // A dry run reports everything and imports nothing.
    let out = import(data.path(), &["--dry-run", old]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "dry run failed: {stdout}\n{stderr}");
    assert!(stdout.contains("Dry run: nothing was imported."), "{stdout}");
    assert!(stdout.contains("Schedules: 5 imported"), "{stdout}");

    let out = import(data.path(), &[old]);
    let (report, stderr) = text(&out);
    assert!(out.status.success(), "import failed: {report}\n{stderr}");
    println!("{report}");

    // The report: every change of meaning, every skipped row.
    for expected in [
        "Imported schedules run in the time zone Europe/Berlin",
        "days: was firing on Tuesday through Saturday (APScheduler numbers days from 0 = Monday), now fires on \
         Monday through Friday",
        &format!("schedule #2 ({}, stop, \"0 0 * * 0\"): imported as #", legacy.gone),
        "days: was firing on Monday (APScheduler numbers days from 0 = Monday), now fires on Sunday",
        "action: was restarting (the original ignored \"stop\" and always restarted), now stops",
        ": imported as #3 (disabled, as it was)",
        "schedule #4 (",
        "\"0 25 * * *\"): skipped: invalid cron expression: hour",
        "days: the original never ran it (APScheduler rejected day-of-week \"7\"",
        "action: now pauses (the original would have restarted instead)",
        "action: \"remove\" is unknown; imported as restart, which is what the original did",
        &format!("container: no container named \"{}\" exists now; imported anyway", legacy.gone),
        &format!("container: no container named \"{}\" exists now", legacy.weekend),
        "Schedules: 5 imported, 0 already imported, 1 skipped.",
        "Logs: 3 imported, 0 already imported, 1 older than CHRONTAINER_LOG_RETENTION_DAYS=90 days left out",
    ] {
        assert!(report.contains(expected), "the report lacks {expected:?}:\n{report}");
    }
    let first =
        report.lines().skip_while(|l| !l.starts_with("schedule #1 ")).take(3).collect::<Vec<_>>().join("\n");
    assert!(!first.contains("container:"), "schedule #1's container exists:\n{first}");

    // The service sees them, as the user wrote them, with crontab(5)'s day numbering.
    let app = App::start_in(data.clone(), &[]);
    let (status, list) = app.get("/api/schedules");
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 5, "{list:?}");

    let weekdays = schedule(&list, 1);
    assert_eq!(weekdays["container"], legacy.present.name.as_str());
    assert_eq!(weekdays["container_id"], legacy.present.id.as_str());
    assert_eq!(weekdays["cron"], "0 3 * * 1-5");
    assert_eq!(weekdays["timezone"], "Europe/Berlin");
    assert_eq!(weekdays["last_run"], "2024-02-01T02:00:00Z", "read in Europe/Berlin");
    assert_eq!(weekdays["created_at"], "2024-01-05T09:00:00.123Z");

    let weekly = schedule(&list, 2);
    assert_eq!((weekly["cron"].as_str(), weekly["action"].as_str()), (Some("0 0 * * 0"), Some("stop")));
    assert_eq!(weekly["enabled"], true);
    let next: DateTime<Utc> = weekly["next_run"].as_str().expect("armed").parse().unwrap();
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    assert_eq!(next.with_timezone(&berlin).weekday(), Weekday::Sun, "0 = Sunday now: {next}");

    let disabled = schedule(&list, 3);
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["next_run"], Value::Null);
    assert_eq!(schedule(&list, 5)["action"], "pause");
    assert_eq!(schedule(&list, 5)["cron"], "0 8 * * 7");
    assert_eq!(schedule(&list, 6)["action"], "restart");
    assert!(
        list.iter().all(|s| !s["description"].as_str().unwrap().contains("#4)")),
        "the invalid one is skipped"
    );

    let (status, logs) = app.get("/api/logs?limit=50");
    assert_eq!(status, 200, "{logs}");
    let items = logs["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "the 200-day-old entry is left out: {logs}");
    let find = |m: &str| items.iter().find(|l| l["message"].as_str().unwrap().contains(m)).unwrap();
    let restarted = find("Container restarted");
    assert_eq!(restarted["schedule_id"], weekdays["id"]);
    assert_eq!(
        (restarted["trigger"].as_str(), restarted["status"].as_str()),
        (Some("schedule"), Some("success"))
    );
    assert_eq!(find("No such container")["status"], "error");
    let orphan = find("timeout");
    assert_eq!(orphan["schedule_id"], Value::Null, "its schedule was deleted in the original");
    assert_eq!((orphan["trigger"].as_str(), orphan["status"].as_str()), (Some("schedule"), Some("error")));
    assert_eq!(orphan["action"], "restart", "the original restarted whatever its log said");
    assert_eq!(orphan["host"], "local");

    // Refused while the service runs on the same data.
    let out = import(data.path(), &[old]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("another Chrontainer is already running"), "{stderr}");
    assert_eq!(app.terminate(), Some(0));

    // A second import creates nothing new.
    let out = import(data.path(), &[old]);
    let (again, stderr) = text(&out);
    assert!(out.status.success(), "{again}\n{stderr}");
    assert!(again.contains("Schedules: 0 imported, 5 already imported, 1 skipped."), "{again}");
    assert!(again.contains("Logs: 0 imported, 3 already imported"), "{again}");
    assert!(
        again.contains(&format!("schedule #2 ({}, stop, \"0 0 * * 0\"): already imported as #", legacy.gone))
    );

    let app = App::start_in(data.clone(), &[]);
    assert_eq!(app.get("/api/schedules").1.as_array().unwrap().len(), 5);
    assert_eq!(app.get("/api/logs?limit=50").1["items"].as_array().unwrap().len(), 3);
}

#[test]
fn what_is_not_the_originals_database_is_refused_clearly() {
    let data = tempfile::tempdir().unwrap();
    let out = import(data.path(), &["/no/such/old.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("/no/such/old.db does not exist"), "{:?}", text(&out));

    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    SqliteConnection::establish(other.to_str().unwrap())
        .unwrap()
        .batch_execute("CREATE TABLE t (x);")
        .unwrap();
    let out = import(data.path(), &["--no-docker-check", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("it has no table `schedules`"), "{:?}", text(&out));

    let out = import(data.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("usage: chrontainer import-legacy"), "{:?}", text(&out));
}
