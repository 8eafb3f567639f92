//! Schedules from container labels, and the JSON backup, against the real binary and the real
//! Engine: a label schedule fires, follows a re-created container, keeps an override, cannot be
//! deleted, goes with its container; hostile labels are one error each and stay escaped; a scaled
//! service is one job. On two hosts each host's containers give that host's schedules, and a host
//! that cannot be reached keeps its label schedules while another host's go. A backup made on one instance restores onto a fresh one, twice without
//! change, with `replace`, and a dry run writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use common::dockerd::PrivateDockerd;
use common::{test_image, unique_name, wait_for, App, TestContainer, SLEEPER};
use serde_json::{json, Value};

/// Every instance here forgets a removed container's jobs after this many seconds.
const GRACE: &str = "4";

fn start() -> App {
    App::start_with(&[("CHRONTAINER_LABEL_GRACE", GRACE)])
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `docker create` (or `run -d` when `run`) under exactly `name`, with `labels`.
fn container(name: &str, labels: &[(&str, &str)], run: bool) -> TestContainer {
    let mut args: Vec<String> = vec![if run { "run" } else { "create" }.into()];
    if run {
        args.push("-d".into());
    }
    for a in ["--network", "none", "--label", "chrontainer-test=1", "--name", name] {
        args.push(a.into());
    }
    for (k, v) in labels {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    args.push(test_image().into());
    args.extend(SLEEPER.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestContainer { name: name.into(), id: docker(&args) }
}

/// Creates a container through the Engine's API itself, for labels the CLI cannot pass (a NUL).
fn create_by_api(name: &str, labels: Value) -> TestContainer {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    let body = json!({"Image": test_image(), "Cmd": SLEEPER, "Labels": labels,
                      "HostConfig": {"NetworkMode": "none"}})
    .to_string();
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).expect("the Docker socket");
    write!(
        stream,
        "POST /containers/create?name={name} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let id = serde_json::from_str::<Value>(json).ok().and_then(|v| v["Id"].as_str().map(str::to_string));
    TestContainer { name: name.into(), id: id.unwrap_or_else(|| panic!("create failed: {answer}")) }
}

/// The label schedules of `container`.
fn label_schedules(app: &App, container: &str) -> Vec<Value> {
    let (status, list) = app.get("/api/schedules");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|s| s["container"] == container && s["origin"] == "label")
        .cloned()
        .collect()
}

fn logs(app: &App, query: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/logs?limit=500&{query}"));
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[test]
fn a_label_schedule_fires_shows_its_badge_and_cannot_be_deleted() {
    let name = unique_name("lbl-fires");
    // created, not started: the label's start is what starts it
    let c = container(&name, &[("chrontainer.start.schedule", "*/2 * * * * *")], false);
    let app = start();
    let s = wait_for("the label schedule", Duration::from_secs(20), || label_schedules(&app, &name).pop());
    assert_eq!((s["action"].as_str(), s["cron"].as_str()), (Some("start"), Some("*/2 * * * * *")));
    assert_eq!((s["overridden"].as_bool(), s["label_changed"].as_bool()), (Some(false), Some(false)));
    wait_for("the container to be started", Duration::from_secs(20), || {
        (c.state() == "running").then_some(())
    });
    wait_for("a firing in the log", Duration::from_secs(20), || {
        let fired = logs(&app, &format!("schedule_id={}&trigger=schedule", s["id"]));
        (!fired.is_empty()).then_some(())
    });

    let (status, refused) = app.delete(&format!("/api/schedules/{}", s["id"]));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "label_schedule");
    assert!(refused["error"]["message"].as_str().unwrap().contains("labels cannot be changed"), "{refused}");
    let (status, refused) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"container": "other"}));
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("label_schedule")), "{refused}");

    let (_, _, page) = app.get_text("/");
    assert!(page.contains("From labels"), "the dashboard shows the badge");
    // disabling is not overriding; overriding and its undoing are PATCHes too
    let path = format!("/api/schedules/{}", s["id"]);
    let (status, off) = app.patch(&path, json!({"enabled": false}));
    assert_eq!(status, 200, "{off}");
    assert_eq!((off["enabled"].as_bool(), off["overridden"].as_bool()), (Some(false), Some(false)));
    let (_, on) = app.patch(&path, json!({"overridden": true, "timezone": "Asia/Tokyo"}));
    assert_eq!(
        (on["overridden"].as_bool(), on["timezone"].as_str()),
        (Some(true), Some("Asia/Tokyo")),
        "{on}"
    );
    let (status, both) = app.patch(&path, json!({"overridden": false, "cron": "0 1 * * *"}));
    assert_eq!((status, both["error"]["code"].as_str()), (400, Some("conflicting_fields")), "{both}");
    let (_, back) = app.patch(&path, json!({"overridden": false}));
    assert_eq!(
        (back["overridden"].as_bool(), back["timezone"].as_str()),
        (Some(false), Some("UTC")),
        "{back}"
    );
    assert_eq!(back["enabled"], false, "reverting keeps it disabled: {back}");
    let (_, guarded) = app.patch(&path, json!({"only_if": "running"}));
    assert_eq!(guarded["overridden"], true, "changing its guard overrides it too: {guarded}");
}

#[test]
fn a_recreated_container_moves_its_schedule_an_override_survives_and_gone_is_gone() {
    let name = unique_name("lbl-move");
    let first = [
        ("chrontainer.restart.schedule", "0 3 * * *"),
        ("chrontainer.job.nightly.action", "stop"),
        ("chrontainer.job.nightly.schedule", "0 4 * * *"),
        ("chrontainer.job.nightly.timezone", "Europe/Berlin"),
    ];
    let c = container(&name, &first, true);
    let app = start();
    let rows = wait_for("two label schedules", Duration::from_secs(20), || {
        let rows = label_schedules(&app, &name);
        (rows.len() == 2).then_some(rows)
    });
    let restart = rows.iter().find(|s| s["action"] == "restart").unwrap().clone();
    let nightly = rows.iter().find(|s| s["action"] == "stop").unwrap().clone();
    assert_eq!(nightly["timezone"], "Europe/Berlin");
    let (status, edited) =
        app.patch(&format!("/api/schedules/{}", nightly["id"]), json!({"cron": "0 5 * * *"}));
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["overridden"], true, "changing its timetable overrides it: {edited}");

    drop(c);
    let changed = [
        ("chrontainer.restart.schedule", "0 6 * * *"),
        ("chrontainer.job.nightly.action", "stop"),
        ("chrontainer.job.nightly.schedule", "0 7 * * *"),
    ];
    let c = container(&name, &changed, true);
    let get = |id: &Value| app.get(&format!("/api/schedules/{id}")).1;
    let moved = wait_for("the restart schedule to follow its label", Duration::from_secs(20), || {
        let s = get(&restart["id"]);
        (s["cron"] == "0 6 * * *").then_some(s)
    });
    assert_eq!(moved["container_id"], c.id.as_str(), "{moved}");
    let kept = wait_for("the override to see the label change", Duration::from_secs(20), || {
        let s = get(&nightly["id"]);
        (s["label_changed"] == true).then_some(s)
    });
    assert_eq!(
        (kept["cron"].as_str(), kept["overridden"].as_bool()),
        (Some("0 5 * * *"), Some(true)),
        "{kept}"
    );
    assert_eq!(label_schedules(&app, &name).len(), 2, "no new rows for a re-created container");

    let (status, back) = app.post(&format!("/api/schedules/{}/revert", nightly["id"]), json!({}));
    assert_eq!(status, 200, "{back}");
    assert_eq!(
        (back["cron"].as_str(), back["timezone"].as_str()),
        (Some("0 7 * * *"), Some("UTC")),
        "{back}"
    );
    assert_eq!((back["overridden"].as_bool(), back["label_changed"].as_bool()), (Some(false), Some(false)));

    drop(c);
    wait_for("the label schedules to go with their container", Duration::from_secs(30), || {
        label_schedules(&app, &name).is_empty().then_some(())
    });
    std::thread::sleep(Duration::from_secs(1));
    let removed: Vec<Value> = logs(&app, &format!("trigger=label&container={name}"))
        .into_iter()
        .filter(|e| e["message"].as_str().unwrap_or("").contains("is gone"))
        .collect();
    assert_eq!(removed.len(), 2, "one entry per schedule, once: {removed:?}");
}

#[test]
fn hostile_labels_are_one_error_each_and_the_page_stays_escaped() {
    let name = unique_name("lbl-hostile");
    let script = "<script>alert(1)</script>".repeat(410);
    let c = create_by_api(
        &name,
        json!({
            "chrontainer.restart.schedule": script,
            "chrontainer.stop.schedule": "0 3 * * *\u{0}; rm -rf /",
            "chrontainer.start.schedule": "61 * * * *",
            "chrontainer.<img src=x onerror=alert(1)>": "1",
        }),
    );
    let app = start();
    let errors = wait_for("four error entries", Duration::from_secs(20), || {
        let e = logs(&app, &format!("trigger=label&status=error&container={name}"));
        (e.len() >= 4).then_some(e)
    });
    let text: Vec<&str> = errors.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(
        text.iter().any(|m| m.contains("chrontainer.restart.schedule") && m.contains("10250 bytes")),
        "{text:?}"
    );
    assert!(text.iter().any(|m| m.contains("chrontainer.stop.schedule") && m.contains("control character")));
    assert!(
        text.iter().any(|m| m.contains("chrontainer.start.schedule") && m.contains("minute")),
        "{text:?}"
    );
    assert!(text.iter().all(|m| !m.contains("<script>") && m.len() < 400), "{text:?}");

    // another event for the container (it starts) logs nothing again
    c.docker("start");
    wait_for("the start to be seen", Duration::from_secs(20), || {
        let (_, c) = app.get(&format!("/api/containers/{name}"));
        (c["state"] == "running").then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(logs(&app, &format!("trigger=label&status=error&container={name}")).len(), 4);
    assert!(label_schedules(&app, &name).is_empty());

    let (status, _, page) = app.get_text(&format!("/?q={name}"));
    assert_eq!(status, 200);
    assert!(page.contains("Label refused"), "the container's row shows its refused labels");
    assert!(page.contains("chrontainer.&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;"), "escaped on the page");
    assert!(!page.contains("<img src=x") && !page.contains("<script>alert"), "nothing hostile unescaped");
    let (_, _, logs_page) = app.get_text(&format!("/logs?container={name}"));
    assert!(logs_page.contains("&lt;img") && !logs_page.contains("<img src=x"));
}

#[test]
fn a_scaled_compose_service_gives_one_job() {
    let project = unique_name("lbl-proj");
    let labels = |_: usize| {
        [
            ("com.docker.compose.project", project.as_str()),
            ("com.docker.compose.service", "web"),
            ("chrontainer.restart.schedule", "0 3 * * *"),
        ]
    };
    let replicas: Vec<TestContainer> =
        (1..=2).map(|n| container(&format!("{project}-web-{n}"), &labels(n), true)).collect();
    let app = start();
    wait_for("both replicas listed", Duration::from_secs(20), || {
        let (_, list) = app.get("/api/containers");
        let n = list.as_array().unwrap().iter().filter(|c| c["compose_project"] == project.as_str()).count();
        (n == 2).then_some(())
    });
    let jobs = |app: &App| -> Vec<Value> {
        let (_, list) = app.get("/api/schedules");
        list.as_array()
            .unwrap()
            .iter()
            .filter(|s| s["compose_project"] == project.as_str())
            .cloned()
            .collect()
    };
    wait_for("the service's job", Duration::from_secs(20), || (!jobs(&app).is_empty()).then_some(()));
    // a new event from each replica changes nothing
    for r in &replicas {
        r.docker("restart");
    }
    std::thread::sleep(Duration::from_secs(1));
    let found = jobs(&app);
    assert_eq!(found.len(), 1, "one job per service, not per replica: {found:?}");
    assert_eq!(found[0]["compose_service"], "web");
}

/// The file's schedules on `container` (a test instance also sees other tests' labelled containers).
#[test]
fn each_host_has_its_label_schedules_and_an_unreachable_host_keeps_them() {
    let mut b = PrivateDockerd::unix();
    b.load_test_image();
    let name = unique_name("lbl-hosts");
    let labels = [("chrontainer.restart.schedule", "0 3 * * *")];
    let on_local = container(&name, &labels, true);
    b.run_sleeper(&name, &["--label", "chrontainer.restart.schedule=0 3 * * *"]);
    let app = start();
    let host = unique_name("lb");
    let (status, added) = app.post("/api/hosts", json!({"name": host, "url": b.socket()}));
    assert_eq!(status, 201, "{added}");
    let rows = wait_for("a label schedule on each host", Duration::from_secs(30), || {
        let rows = label_schedules(&app, &name);
        (rows.len() == 2).then_some(rows)
    });
    let mut hosts: Vec<&str> = rows.iter().map(|s| s["host"].as_str().unwrap()).collect();
    hosts.sort();
    let mut expected = vec!["local", host.as_str()];
    expected.sort();
    assert_eq!(hosts, expected, "{rows:?}");

    // B stops answering; local's container goes: the sweep that removes local's schedule keeps B's
    b.stop();
    wait_for("B reported unreachable", Duration::from_secs(20), || {
        (app.get(&format!("/api/hosts/{host}")).1["status"] == "unreachable").then_some(())
    });
    drop(on_local);
    let left = wait_for("local's label schedule to go with its container", Duration::from_secs(30), || {
        let rows = label_schedules(&app, &name);
        rows.iter().all(|s| s["host"] != "local").then_some(rows)
    });
    assert_eq!(left.len(), 1, "B's label schedule is kept while B cannot be reached: {left:?}");
    assert_eq!(left[0]["host"], host.as_str());
}

fn ours<'a>(items: &'a Value, container: &str) -> Vec<&'a Value> {
    items.as_array().unwrap().iter().filter(|i| i["container"] == container).collect()
}

fn chrontainer(args: &[&str], data_dir: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chrontainer"))
        .args(args)
        .env("CHRONTAINER_DATA_DIR", data_dir)
        .env("CHRONTAINER_AUTH", "none")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_backup_restores_onto_a_fresh_instance_once_and_a_dry_run_writes_nothing() {
    let c = TestContainer::run("lbl-backup", &[]);
    let a = start();
    let (status, fires) =
        a.post("/api/schedules", json!({"container": c.name, "action": "start", "cron": "*/2 * * * * *"}));
    assert_eq!(status, 201, "{fires}");
    let (status, _) = a.post(
        "/api/schedules",
        json!({"container": c.name, "action": "stop", "cron": "0 3 * * *", "timezone": "Europe/Berlin",
               "enabled": false, "description": "nightly <b>stop</b>"}),
    );
    assert_eq!(status, 201);
    let (status, refused) = a.patch(&format!("/api/schedules/{}", fires["id"]), json!({"overridden": true}));
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("not_a_label_schedule")), "{refused}");
    let (status, refused) = a.post(&format!("/api/schedules/{}/revert", fires["id"]), json!({}));
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("not_a_label_schedule")), "{refused}");
    let (status, doc) = a.get("/api/export");
    assert_eq!(status, 200, "{doc}");
    assert_eq!((doc["format"].as_str(), doc["version"].as_u64()), (Some("chrontainer"), Some(1)));
    assert_eq!(doc["hosts"][0]["name"], "local");
    assert!(doc["hosts"][0]["url"].as_str().unwrap().starts_with("unix://"));
    let mine = ours(&doc["schedules"], &c.name);
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|s| s.get("id").is_none() && s.get("container_id").is_none()), "never IDs");
    let mut doc_mine = doc.clone();
    doc_mine["schedules"] = Value::Array(mine.iter().map(|s| (*s).clone()).collect());

    let (status, _, settings) = a.get_text("/settings");
    assert_eq!(status, 200);
    assert!(settings.contains("Download backup") && settings.contains("Restore from file"), "{settings}");
    let script =
        settings.split("src=\"").find(|s| s.starts_with("/static/backup")).expect("backup.js on the page");
    let (status, _, js) = a.get_text(script.split('"').next().unwrap());
    assert!(status == 200 && js.contains("dry_run=true"), "{status}");

    let b = start();
    let (status, dry) = b.post("/api/import?dry_run=true", doc_mine.clone());
    assert_eq!(status, 200, "{dry}");
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["created"].as_array().unwrap().len()),
        (Some(true), 2),
        "{dry}"
    );
    assert!(ours(&b.get("/api/schedules").1, &c.name).is_empty(), "a dry run creates nothing");

    let (status, done) = b.post("/api/import", doc.clone());
    assert_eq!(status, 200, "{done}");
    assert_eq!(ours(&done["created"], &c.name).len(), 2, "{done}");
    assert!(done["errors"].as_array().unwrap().is_empty(), "{done}");
    let restored = ours(&b.get("/api/schedules").1, &c.name).into_iter().cloned().collect::<Vec<_>>();
    let fires_b = restored.iter().find(|s| s["action"] == "start").unwrap();
    let stop_b = restored.iter().find(|s| s["action"] == "stop").unwrap();
    assert_eq!(
        (stop_b["enabled"].as_bool(), stop_b["timezone"].as_str()),
        (Some(false), Some("Europe/Berlin"))
    );
    assert_eq!(stop_b["description"], "nightly <b>stop</b>");
    wait_for("the restored schedule to fire", Duration::from_secs(20), || {
        (!logs(&b, &format!("schedule_id={}&trigger=schedule", fires_b["id"])).is_empty()).then_some(())
    });

    let (_, again) = b.post("/api/import", doc_mine.clone());
    assert_eq!(again["created"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["updated"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 2, "a second import is a no-op: {again}");

    let mut fewer = doc_mine.clone();
    fewer["schedules"].as_array_mut().unwrap().retain(|s| s["action"] == "start");
    let (_, replaced) = b.post("/api/import?mode=replace", fewer);
    assert_eq!(ours(&replaced["removed"], &c.name).len(), 1, "{replaced}");
    assert_eq!(ours(&b.get("/api/schedules").1, &c.name).len(), 1);

    let mut future = doc_mine.clone();
    future["version"] = json!(2);
    let (status, refused) = b.post("/api/import", future);
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("unsupported_version")), "{refused}");

    // the command line, on the stopped service's data directory
    let dir = b.data_dir.clone();
    let (code, _, running) = chrontainer(&["import", "/dev/null"], dir.path());
    assert_eq!(code, Some(1));
    assert!(running.contains("already running"), "{running}");
    assert_eq!(b.terminate(), Some(0));
    let file = dir.path().join("backup.json");
    std::fs::write(&file, doc_mine.to_string()).unwrap();
    // the database and what its write-ahead log holds (opening the file may leave an empty one)
    let files = || {
        ["chrontainer.db", "chrontainer.db-wal"]
            .map(|f| std::fs::read(dir.path().join(f)).ok().filter(|bytes| !bytes.is_empty()))
    };
    let before = files();
    assert!(before[0].is_some());
    let (code, out, err) = chrontainer(&["import", "--dry-run", file.to_str().unwrap()], dir.path());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("1 created, 0 updated, 1 unchanged") && out.contains("dry run"), "{out}");
    assert!(files() == before, "a dry run leaves the database byte for byte");
    let (code, out, err) = chrontainer(&["import", file.to_str().unwrap()], dir.path());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("1 created"), "{out}");
    let (code, exported, err) = chrontainer(&["export"], dir.path());
    assert_eq!(code, Some(0), "{err}");
    let exported: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(ours(&exported["schedules"], &c.name).len(), 2);
    let (code, _, err) = chrontainer(&["import", "--bogus", "x"], dir.path());
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn a_window_label_stops_the_container_at_its_start_and_starts_it_at_its_end() {
    let at = |s: i64| (Utc::now() + chrono::Duration::seconds(s)).format("%H:%M:%S").to_string();
    let name = unique_name("labels-window");
    let window = format!("* {}-{} UTC", at(5), at(12));
    let c = container(&name, &[("chrontainer.window.stopped", &window)], true);
    let app = start();
    let rows = wait_for("the window's label schedule", Duration::from_secs(20), || {
        let rows = label_schedules(&app, &name);
        (!rows.is_empty()).then_some(rows)
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0]["action"], &rows[0]["window"]["state"]),
        (&json!("stop"), &json!("stopped")),
        "{}",
        rows[0]
    );
    wait_for("the window to stop it", Duration::from_secs(30), || (c.state() == "exited").then_some(()));
    wait_for("the window's end to start it", Duration::from_secs(30), || {
        (c.state() == "running").then_some(())
    });
    // the log row is written a moment after the container moves
    let entries = wait_for("the window's two log entries", Duration::from_secs(10), || {
        let e = logs(&app, &format!("container={name}&trigger=window"));
        (e.len() >= 2).then_some(e)
    });
    let seen: Vec<&str> = entries.iter().rev().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(seen, ["stop", "start"], "{entries:?}");
}
