//! Rules beyond the clock (issue 15) against the real binary and the real Engine: guards
//! (`only_if`, containers stopped by hand), time windows a few seconds long, and autoheal on
//! containers with a real HEALTHCHECK turned unhealthy with `docker exec`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use common::dockerd::PrivateDockerd;
use common::sink::Sink;
use common::{wait_for, App, TestContainer, TEST_IMAGE};
use serde_json::{json, Value};

/// Health checked every second, unhealthy after one failure: healthy while /tmp/ok exists (the
/// test image has no /tmp of its own).
const HEALTH: [&str; 8] = [
    "--tmpfs",
    "/tmp",
    "--health-cmd",
    "test -f /tmp/ok",
    "--health-interval",
    "1s",
    "--health-retries",
    "1",
];

fn create(app: &App, body: Value) -> Value {
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    schedule
}

/// Log entries matching the query (newest first).
fn logs(app: &App, query: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/logs?limit=500&{query}"));
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn exec(c: &TestContainer, script: &str) {
    let out = Command::new("docker").args(["exec", &c.id, "sh", "-c", script]).output().unwrap();
    assert!(out.status.success(), "docker exec failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn health(c: &TestContainer) -> String {
    c.inspect("{{if .State.Health}}{{.State.Health.Status}}{{end}}")
}

/// The app's view of a container's state and health.
fn seen(app: &App, c: &TestContainer) -> (String, String) {
    let (_, v) = app.get(&format!("/api/containers/{}", c.name));
    (v["state"].as_str().unwrap_or("").to_string(), v["health"].as_str().unwrap_or("").to_string())
}

/// `HH:MM:SS` in UTC, `s` seconds from now.
fn clock_in(s: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(s)).format("%H:%M:%S").to_string()
}

fn wait_state(c: &TestContainer, state: &str, what: &str) {
    wait_for(what, Duration::from_secs(30), || (c.state() == state).then_some(()));
}

#[test]
fn a_container_stopped_by_hand_is_not_started_by_its_schedule_until_told() {
    let c = TestContainer::run("rules-hand", &[]);
    let app = App::start();
    wait_for("the app to see it running", Duration::from_secs(10), || {
        (seen(&app, &c).0 == "running").then_some(())
    });
    c.docker("stop");
    wait_for("the app to see it stopped", Duration::from_secs(10), || {
        (seen(&app, &c).0 == "exited").then_some(())
    });
    let s = create(&app, json!({"container": c.name, "action": "start", "cron": "* * * * * *"}));
    assert_eq!(s["respect_manual"], true, "on by default: {s}");
    let skipped = wait_for("a skipped start", Duration::from_secs(20), || {
        logs(&app, &format!("schedule_id={}&status=skipped", s["id"])).into_iter().next()
    });
    assert!(skipped["message"].as_str().unwrap().starts_with("stopped by hand"), "{skipped}");
    assert_eq!(c.state(), "exited", "a scheduled start woke a container stopped by hand");
    assert!(logs(&app, &format!("schedule_id={}&status=success", s["id"])).is_empty());

    // turned off for this schedule, it starts it
    let (status, s) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"respect_manual": false}));
    assert_eq!((status, &s["respect_manual"]), (200, &json!(false)), "{s}");
    wait_state(&c, "running", "the schedule to start it");
    app.delete(&format!("/api/schedules/{}", s["id"]));
}

#[test]
fn only_if_healthy_skips_an_unhealthy_container_naming_what_it_found() {
    let c = TestContainer::run("rules-onlyif", &HEALTH);
    let app = App::start();
    let (status, e) = app.post(
        "/api/schedules",
        json!({"container": c.name, "action": "restart", "cron": "0 3 * * *", "only_if": "sick"}),
    );
    assert_eq!(
        (status, &e["error"]["code"], &e["error"]["field"]),
        (400, &json!("invalid_only_if"), &json!("only_if"))
    );
    wait_for("it to turn unhealthy", Duration::from_secs(20), || (health(&c) == "unhealthy").then_some(()));
    let started = c.started_at();
    let s = create(
        &app,
        json!({"container": c.name, "action": "restart", "cron": "* * * * * *", "only_if": "healthy"}),
    );
    assert_eq!(s["only_if"], "healthy");
    let skipped = wait_for("a skipped restart", Duration::from_secs(20), || {
        logs(&app, &format!("schedule_id={}&status=skipped", s["id"])).into_iter().next()
    });
    assert_eq!(skipped["message"], "only if healthy: it is unhealthy", "{skipped}");
    assert_eq!(c.started_at(), started, "the unhealthy container was restarted");
    // healthy again, the guard holds and the schedule restarts it
    exec(&c, "echo ok > /tmp/ok");
    wait_for("a guarded restart", Duration::from_secs(20), || {
        logs(&app, &format!("schedule_id={}&status=success", s["id"])).into_iter().next()
    });
    // null clears the guard
    let (status, s) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"only_if": null}));
    assert_eq!((status, &s["only_if"]), (200, &Value::Null), "{s}");
    app.delete(&format!("/api/schedules/{}", s["id"]));
}

#[test]
fn a_window_stops_at_its_start_restarts_at_its_end_and_leaves_what_was_already_stopped() {
    let running = TestContainer::run("rules-window-on", &[]);
    let stopped = TestContainer::run("rules-window-off", &[]);
    stopped.docker("stop");
    let app = App::start();
    let (status, e) = app.post(
        "/api/schedules",
        json!({"container": running.name, "window": {"state": "stopped", "from": "25:00", "to": "07:00"}}),
    );
    assert_eq!((status, &e["error"]["field"]), (400, &json!("window.from")), "{e}");
    let window = |c: &TestContainer| json!({"container": c.name, "window": {"state": "stopped", "from": clock_in(3), "to": clock_in(8), "timezone": "UTC"}});
    let s = create(&app, window(&running));
    assert_eq!(
        (&s["action"], &s["cron"], &s["window"]["state"]),
        (&json!("stop"), &Value::Null, &json!("stopped")),
        "{s}"
    );
    let other = create(&app, window(&stopped));
    wait_state(&running, "exited", "the window to stop it");
    // its next run is the window's end now, not the opening that just passed
    let next_run = |s: &Value| {
        let (_, row) = app.get(&format!("/api/schedules/{}", s["id"]));
        chrono::DateTime::parse_from_rfc3339(row["next_run"].as_str().unwrap()).unwrap().to_utc()
    };
    let next = wait_for("next_run to move on to the window's end", Duration::from_secs(5), || {
        Some(next_run(&s)).filter(|t| *t > Utc::now())
    });
    assert!(next < Utc::now() + chrono::Duration::seconds(10), "not the window's end: {next}");
    wait_state(&running, "running", "the window's end to start it again");
    // the container moves a moment before its log row is written
    let entries = wait_for("both window actions logged", Duration::from_secs(10), || {
        let e = logs(&app, &format!("schedule_id={}&trigger=window", s["id"]));
        (e.len() >= 2).then_some(e)
    });
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .rev()
        .map(|e| (e["action"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("stop", "success"), ("start", "success")], "{entries:?}");
    // the other window found its container stopped: it is left so at the end
    let entries = wait_for("the other window's start", Duration::from_secs(10), || {
        let e = logs(&app, &format!("schedule_id={}&trigger=window", other["id"]));
        (!e.is_empty()).then_some(e)
    });
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!((&entries[0]["action"], &entries[0]["status"]), (&json!("stop"), &json!("skipped")));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(stopped.state(), "exited", "a window started a container it had not stopped");
}

#[test]
fn a_restart_inside_a_window_applies_it_again_and_a_persons_start_is_respected() {
    let c = TestContainer::run("rules-window-restart", &[]);
    let app = App::start();
    let s = create(
        &app,
        json!({"container": c.name, "window": {"state": "stopped", "from": clock_in(1), "to": clock_in(90), "timezone": "UTC"}}),
    );
    wait_state(&c, "exited", "the window to stop it");
    let stops = || logs(&app, &format!("schedule_id={}&trigger=window&status=success", s["id"])).len();
    wait_for("the stop to be logged", Duration::from_secs(10), || (stops() == 1).then_some(()));
    let data = app.data_dir.clone();
    app.kill();
    // it ran all night while Chrontainer was down
    c.docker("start");
    let app = App::start_in(data, &[]);
    wait_state(&c, "exited", "the window to be applied again at start-up");
    // a person starts it inside the window: left running until the window's end
    wait_for("the second stop to be logged", Duration::from_secs(10), || {
        (logs(&app, &format!("schedule_id={}&trigger=window&status=success", s["id"])).len() > 1)
            .then_some(())
    });
    c.docker("start");
    let (_, _, page) = wait_for("the dashboard to show the override", Duration::from_secs(10), || {
        let page = app.get_text("/");
        page.2.contains("window overridden until").then_some(page)
    });
    assert!(page.contains("stopped daily"), "the window's rule is shown");
    assert_eq!(c.state(), "running", "the window stopped it again after a person started it");
    // deleting the window gives back only what it changed: nothing now
    app.delete(&format!("/api/schedules/{}", s["id"]));
    assert_eq!(c.state(), "running");
}

#[test]
fn a_boundary_woken_past_the_misfire_grace_is_missed_and_start_up_applies_the_window_again() {
    let c = TestContainer::run("rules-window-missed", &[]);
    // no grace: a timer always wakes a little after its boundary, as if the host had slept
    let app = App::start_with(&[("CHRONTAINER_MISFIRE_GRACE", "0")]);
    let s = create(
        &app,
        json!({"container": c.name, "window": {"state": "stopped", "from": clock_in(2), "to": clock_in(90), "timezone": "UTC"}}),
    );
    let missed = wait_for("the window's start to be missed", Duration::from_secs(15), || {
        logs(&app, &format!("schedule_id={}&trigger=window", s["id"])).into_iter().next()
    });
    assert_eq!((&missed["status"], &missed["action"]), (&json!("missed"), &json!("stop")), "{missed}");
    assert!(missed["message"].as_str().unwrap().starts_with("missed the window's start at"), "{missed}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(c.state(), "running", "a missed boundary was acted on late");
    // start-up applies the window's state, missed or not
    let data = app.data_dir.clone();
    app.kill();
    let app = App::start_in(data, &[]);
    wait_state(&c, "exited", "start-up to apply the window");
    app.delete(&format!("/api/schedules/{}", s["id"]));
}

#[test]
fn autoheal_restarts_an_unhealthy_container_backs_off_gives_up_and_leaves_a_stopped_one_alone() {
    let sick = TestContainer::run("rules-heal-sick", &HEALTH);
    let off = TestContainer::run("rules-heal-off", &HEALTH);
    let phone = Sink::start();
    let app = App::start();
    let url = format!("ntfy://127.0.0.1:{}/ops?scheme=http", phone.port);
    let (status, ch) = app.post("/api/channels", json!({"name": "phone", "url": url, "events": ["gave_up"]}));
    assert_eq!(status, 201, "{ch}");
    let (status, rules) = app.get("/api/autoheal");
    assert_eq!((status, &rules["enabled"]), (200, &json!(false)), "{rules}");
    let (status, bad) = app.put(
        "/api/autoheal",
        json!({"enabled": true, "default": {"after_s": 0, "max_restarts": 2, "per_minutes": 60}, "containers": []}),
    );
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_autoheal")), "{bad}");
    let body = json!({
        "enabled": true,
        "default": {"after_s": 1, "max_restarts": 2, "per_minutes": 60},
        "containers": [
            {"host": "local", "container": sick.name, "enabled": true},
            {"host": "local", "container": off.name, "enabled": true, "after_s": 6},
        ],
    });
    let (status, reply) = app.put("/api/autoheal", body.clone());
    assert_eq!(status, 200, "{reply}");
    assert_eq!(app.get("/api/autoheal").1, body);
    // unhealthy, so its restart is due in 6 s; stopped before that, it must be left alone
    wait_for("the app to see it unhealthy", Duration::from_secs(20), || {
        (seen(&app, &off) == ("running".to_string(), "unhealthy".to_string())).then_some(())
    });
    off.docker("stop");
    let stopped = std::time::Instant::now();

    let query = format!("container={}&trigger=health", sick.name);
    let entries = wait_for("autoheal to give up", Duration::from_secs(60), || {
        let e = logs(&app, &query);
        e.iter().any(|e| e["status"] == "gave_up").then_some(e)
    });
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .rev()
        .map(|e| (e["action"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("restart", "success"), ("restart", "success"), ("restart", "gave_up")], "{entries:?}");
    assert!(entries[0]["message"].as_str().unwrap().starts_with("gave up: 2 restarts"), "{}", entries[0]);
    let told = wait_for("the channel to be told it gave up", Duration::from_secs(10), || {
        phone.seen().into_iter().find(|r| r.text().contains(&sick.name))
    });
    assert!(told.text().contains("given up"), "{}", told.text());
    let page = app.get_text("/").2;
    assert!(page.contains("autoheal gave up: 2 restarts in the last hour"), "the dashboard shows it");
    // it stays given up: no more restarts while it is still unhealthy
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(logs(&app, &query).len(), 3);
    assert_eq!(seen_health(&app, &sick), "unhealthy");
    // well past the stopped container's 6 s
    std::thread::sleep(Duration::from_secs(9).saturating_sub(stopped.elapsed()));
    assert!(
        logs(&app, &format!("container={}&trigger=health", off.name)).is_empty(),
        "a container stopped while unhealthy was touched"
    );
    assert_eq!(off.state(), "exited");
}

fn seen_health(app: &App, c: &TestContainer) -> String {
    seen(app, c).1
}

#[test]
fn the_autoheal_label_opts_a_container_in_with_the_defaults() {
    let mut args = HEALTH.to_vec();
    args.extend(["--label", "chrontainer.autoheal=true"]);
    let sick = TestContainer::run("rules-heal-label", &args);
    let app = App::start();
    let body = json!({
        "enabled": true,
        "default": {"after_s": 1, "max_restarts": 1, "per_minutes": 60},
        "containers": [],
    });
    let (status, reply) = app.put("/api/autoheal", body);
    assert_eq!(status, 200, "{reply}");
    let query = format!("container={}&trigger=health", sick.name);
    let entries = wait_for("the labelled container to be healed", Duration::from_secs(40), || {
        let e = logs(&app, &query);
        e.iter().any(|e| e["status"] == "success").then_some(e)
    });
    assert_eq!(entries.last().unwrap()["action"], "restart", "{entries:?}");
}

/// Enough containers that the start-up snapshot's events overflow the live bus (256 events): an
/// actor that knows only what the bus told it then never hears of some of them.
const MORE_THAN_THE_BUS_HOLDS: usize = 300;

#[test]
fn a_container_already_unhealthy_when_chrontainer_starts_is_healed() {
    // a private Engine, so that hundreds of containers disturb no other test's host
    let engine = PrivateDockerd::unix();
    engine.load_test_image();
    let fillers: Vec<std::thread::JoinHandle<()>> = (0..8)
        .map(|t| {
            let socket = engine.socket();
            std::thread::spawn(move || {
                for i in (t..MORE_THAN_THE_BUS_HOLDS).step_by(8) {
                    let name = format!("filler-{i}");
                    let args = [
                        "--host",
                        &socket,
                        "create",
                        "--network",
                        "none",
                        "--name",
                        &name,
                        TEST_IMAGE,
                        "true",
                    ];
                    let out = Command::new("docker").args(args).output().unwrap();
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                }
            })
        })
        .collect();
    fillers.into_iter().for_each(|f| f.join().unwrap());
    // the newest container, so the first in Docker's list and among the first events published
    let mut args = HEALTH.to_vec();
    args.extend(["--label", "chrontainer.autoheal=true"]);
    engine.run_sleeper("sick", &args);
    engine.ok(&["exec", "sick", "sh", "-c", "echo ok > /tmp/ok"]);
    let env = [("DOCKER_HOST", engine.socket())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = App::start_with(&env);
    let body = json!({
        "enabled": true,
        "default": {"after_s": 1, "max_restarts": 3, "per_minutes": 60},
        "containers": [],
    });
    let (status, reply) = app.put("/api/autoheal", body);
    assert_eq!(status, 200, "{reply}");
    let data = app.data_dir.clone();
    app.kill();
    // it turns unhealthy while Chrontainer is down: Docker says so once, to nobody
    engine.ok(&["exec", "sick", "sh", "-c", "rm /tmp/ok"]);
    let health = || engine.ok(&["inspect", "--format", "{{.State.Health.Status}}", "sick"]);
    wait_for("it to turn unhealthy", Duration::from_secs(20), || (health() == "unhealthy").then_some(()));
    let started = engine.ok(&["inspect", "--format", "{{.State.StartedAt}}", "sick"]);
    let app = App::start_in(data, &env);
    let entries =
        wait_for("the container unhealthy since before to be healed", Duration::from_secs(30), || {
            let e = logs(&app, "container=sick&trigger=health");
            e.iter().any(|e| e["status"] == "success").then_some(e)
        });
    assert_eq!(entries.last().unwrap()["action"], "restart", "{entries:?}");
    let restarted = engine.ok(&["inspect", "--format", "{{.State.StartedAt}}", "sick"]);
    assert_ne!(restarted, started, "it was not restarted");
}
