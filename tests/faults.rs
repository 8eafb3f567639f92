//! Faults: the process killed mid-write, the disk filling up, a container removed mid-action.
//! Nothing acknowledged is lost, nothing fires twice, and errors are clear.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{wait_for, App, TestContainer};
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn integrity(db: &std::path::Path) -> String {
    let mut conn = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query("PRAGMA integrity_check").get_result::<Check>(&mut conn).unwrap().integrity_check
}

#[test]
fn sigkill_during_writes_and_firings_loses_nothing_acknowledged_and_fires_nothing_twice() {
    let c = TestContainer::run("fault-kill", &[]);
    let app = App::start();
    // firings every second while writes go on ("start" on a running container is skipped: cheap)
    let mut firing = Vec::new();
    for _ in 0..3 {
        let (status, s) = app
            .post("/api/schedules", json!({"container": c.name, "action": "start", "cron": "* * * * * *"}));
        assert_eq!(status, 201, "{s}");
        firing.push(s["id"].as_i64().unwrap());
    }
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (base, name) = (app.base_url.clone(), c.name.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .into();
                while !stop.load(Ordering::Relaxed) {
                    let body = json!({"container": name, "action": "restart", "cron": "0 3 * * 1"});
                    let Ok(mut resp) = agent.post(format!("{base}/api/schedules")).send_json(body) else {
                        break;
                    };
                    if resp.status() == 201 {
                        let s: Value = resp.body_mut().read_json().unwrap();
                        acknowledged.lock().unwrap().push(s["id"].as_i64().unwrap());
                    }
                }
            })
        })
        .collect();
    wait_for("some acknowledged writes", Duration::from_secs(20), || {
        (acknowledged.lock().unwrap().len() >= 50).then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    let dir = app.data_dir.clone();
    app.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(integrity(&dir.path().join("chrontainer.db")), "ok");

    let app = App::start_in(dir, &[]);
    let (_, list) = app.get("/api/schedules");
    let stored: HashSet<i64> = list.as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<_> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged schedules lost by SIGKILL: {lost:?}");

    // let the firing schedules run on after the restart, then check no second saw two firings
    std::thread::sleep(Duration::from_secs(3));
    for id in firing {
        let (_, page) = app.get(&format!("/api/logs?schedule_id={id}&trigger=schedule&limit=500"));
        let stamps: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] != "missed")
            .map(|e| e["timestamp"].as_str().unwrap()[..19].to_string())
            .collect();
        let unique: HashSet<_> = stamps.iter().collect();
        assert!(stamps.len() >= 3, "schedule {id} did not fire: {page}");
        assert_eq!(unique.len(), stamps.len(), "schedule {id} fired twice within one second: {stamps:?}");
    }
}

/// A tmpfs of a few MiB as the data directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root (CI runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir }
    }

    /// Fills the disk with a file until writes fail.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.path().join("filler")).unwrap();
        for size in [64 * 1024, 4096, 1] {
            let block = vec![0u8; size];
            while f.write_all(&block).and_then(|_| f.sync_data()).is_ok() {}
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.dir.path().join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_fails_writes_clearly_keeps_answering_and_recovers() {
    let c = TestContainer::run("fault-disk", &[]);
    let disk = SmallDisk::mount("8m");
    let data = Arc::new(tempfile::TempDir::new_in(disk.dir.path()).unwrap());
    let app = App::start_in(data, &[]);
    let body = json!({"container": c.name, "action": "restart", "cron": "0 3 * * 1"});
    assert_eq!(app.post("/api/schedules", body.clone()).0, 201);
    let before = app.get("/api/schedules").1;

    disk.fill();
    // SQLite may first reuse space its WAL already holds: write until that is used up too
    let mut failures = 0;
    let mut acknowledged = vec![];
    for _ in 0..2000 {
        if failures >= 3 {
            break;
        }
        let (status, answer) = app.post("/api/schedules", body.clone());
        if status == 201 {
            acknowledged.push(answer["id"].as_i64().unwrap());
        } else {
            assert!(status >= 500, "{status} {answer}");
            assert_eq!(answer["error"]["code"], "database_error", "{answer}");
            failures += 1;
        }
    }
    assert!(failures > 0, "no write failed on a full disk");
    // what was acknowledged is really there (a write whose commit failed must not answer 201)
    let (_, stored) = app.get("/api/schedules");
    let stored: HashSet<i64> = stored.as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert!(
        acknowledged.iter().all(|id| stored.contains(id)),
        "acknowledged {acknowledged:?}, stored {stored:?}"
    );
    // reads and the health check still answer
    assert_eq!(app.get("/api/containers").0, 200);
    assert_eq!(app.get("/healthz").0, 200);
    let (status, during) = app.get("/api/schedules");
    assert_eq!(status, 200);
    assert!(during.as_array().unwrap().len() >= before.as_array().unwrap().len());

    disk.free();
    let (status, answer) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "writes did not recover when space returned: {answer}");
    drop(app);
}

#[test]
fn a_container_removed_mid_action_ends_as_a_logged_error() {
    // PID 1 with no SIGTERM handler ignores it: the restart waits for the stop timeout
    let c = TestContainer::run_cmd("fault-removed", &[], &["sleep", "1000"]);
    let app = App::start_with(&[("CHRONTAINER_STOP_TIMEOUT", "8")]);
    let base = app.base_url.clone();
    let name = c.name.clone();
    let action = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut resp =
            agent.post(format!("{base}/api/containers/{name}/restart")).send_json(json!({})).unwrap();
        (resp.status().as_u16(), resp.body_mut().read_json::<Value>().unwrap())
    });
    std::thread::sleep(Duration::from_millis(800));
    let _ = std::process::Command::new("docker").args(["rm", "-f", &c.id]).output();
    let (status, body) = action.join().unwrap();
    assert!(status == 502 || status == 404 || status == 200, "{status} {body}");
    let (_, page) = app.get(&format!("/api/logs?container={}", c.name));
    let entry = &page["items"][0];
    assert!(entry.is_object(), "the action was not logged: {page}");
    // the service goes on: the container is gone from the list
    wait_for("the removed container to leave the list", Duration::from_secs(10), || {
        let (_, list) = app.get("/api/containers");
        (!list.as_array().unwrap().iter().any(|x| x["id"] == c.id.as_str())).then_some(())
    });
}
