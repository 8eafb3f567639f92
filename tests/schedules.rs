//! Schedules against the real binary, the real Engine and a real SQLite file: they fire on time,
//! do their own action, stop at once when disabled or deleted, and survive restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use common::{wait_for, App, TestContainer};
use serde_json::{json, Value};

fn create(app: &App, body: Value) -> Value {
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    schedule
}

/// Log entries written by a schedule's timer (newest first).
fn fired(app: &App, id: &Value) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/logs?schedule_id={id}&trigger=schedule&limit=500"));
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn in_secs(s: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(s)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn started_at(c: &TestContainer) -> DateTime<Utc> {
    c.started_at().parse().unwrap()
}

#[test]
fn a_six_field_schedule_restarts_a_real_container_each_time() {
    let c = TestContainer::run("sched-restart", &[]);
    let app = App::start();
    let before = started_at(&c);
    let s = create(&app, json!({"container": c.name, "action": "restart", "cron": "*/4 * * * * *"}));
    assert_eq!(s["action"], "restart");
    assert!(s["next_run"].is_string(), "{s}");
    let entries = wait_for("two scheduled restarts", Duration::from_secs(30), || {
        let e = fired(&app, &s["id"]);
        (e.iter().filter(|e| e["status"] == "success").count() >= 2).then_some(e)
    });
    for e in &entries {
        assert_eq!(e["action"], "restart");
        assert_eq!(e["container"], c.name.as_str());
        assert_eq!(e["container_id"], c.id.as_str());
    }
    assert!(started_at(&c) > before, "StartedAt did not move: the container was not restarted");
    let (_, s) = app.get(&format!("/api/schedules/{}", s["id"]));
    assert_eq!(s["last_status"], "success", "{s}");
    assert!(s["last_run"].is_string());
}

#[test]
fn stop_and_start_schedules_do_their_own_action_once() {
    let c = TestContainer::run("sched-stopstart", &[]);
    let app = App::start();
    let stop = create(&app, json!({"container": c.name, "action": "stop", "run_at": in_secs(2)}));
    assert!(stop["cron"].is_null());
    wait_for("the container to stop", Duration::from_secs(20), || (c.state() == "exited").then_some(()));
    let stop = wait_for("the one-time schedule to settle", Duration::from_secs(10), || {
        let (_, s) = app.get(&format!("/api/schedules/{}", stop["id"]));
        (s["last_status"] == "success").then_some(s)
    });
    assert_eq!(stop["enabled"], false, "a one-time schedule is disabled after it ran: {stop}");
    assert!(stop["next_run"].is_null(), "{stop}");

    create(&app, json!({"container": c.name, "action": "start", "run_at": in_secs(2)}));
    wait_for("the container to start", Duration::from_secs(20), || (c.state() == "running").then_some(()));
    assert_eq!(fired(&app, &stop["id"]).len(), 1, "the stop schedule fired more than once");
}

#[test]
fn disabling_stops_firings_at_once_and_deleting_removes_the_timer() {
    let c = TestContainer::run("sched-disable", &[]);
    let app = App::start();
    // "start" on a running container is skipped: cheap firings every second
    let s = create(&app, json!({"container": c.name, "action": "start", "cron": "* * * * * *"}));
    let id = s["id"].clone();
    wait_for("a firing", Duration::from_secs(10), || (!fired(&app, &id).is_empty()).then_some(()));
    let e = &fired(&app, &id)[0];
    assert_eq!(e["status"], "skipped", "{e}");

    let (status, s) = app.patch(&format!("/api/schedules/{id}"), json!({"enabled": false}));
    assert_eq!(status, 200, "{s}");
    assert!(s["next_run"].is_null(), "{s}");
    std::thread::sleep(Duration::from_millis(300));
    let n = fired(&app, &id).len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(fired(&app, &id).len(), n, "a disabled schedule fired");

    let (status, _) = app.patch(&format!("/api/schedules/{id}"), json!({"enabled": true}));
    assert_eq!(status, 200);
    wait_for("firings to resume", Duration::from_secs(10), || (fired(&app, &id).len() > n).then_some(()));

    let (status, body) = app.delete(&format!("/api/schedules/{id}"));
    assert_eq!(status, 204, "{body}");
    std::thread::sleep(Duration::from_millis(300));
    let n = fired(&app, &id).len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(fired(&app, &id).len(), n, "a deleted schedule fired");
    assert!(n > 0, "the deleted schedule's log rows stay");
    assert_eq!(app.get(&format!("/api/schedules/{id}")).0, 404);
}

#[test]
fn editing_the_cron_moves_the_next_run() {
    let c = TestContainer::run("sched-edit", &[]);
    let app = App::start();
    let s = create(
        &app,
        json!({"container": c.name, "action": "restart", "cron": "0 3 * * 1", "timezone": "Europe/Berlin"}),
    );
    let first: DateTime<Utc> = s["next_run"].as_str().unwrap().parse().unwrap();
    let (status, edited) =
        app.patch(&format!("/api/schedules/{}", s["id"]), json!({"cron": "30 4 * * 2", "timezone": "UTC"}));
    assert_eq!(status, 200, "{edited}");
    let next: DateTime<Utc> = edited["next_run"].as_str().unwrap().parse().unwrap();
    assert_ne!(next, first);
    assert_eq!(next.format("%H:%M %a").to_string(), "04:30 Tue");
    assert_eq!(edited["cron"], "30 4 * * 2");
    assert_eq!(edited["timezone"], "UTC");
}

#[test]
fn schedules_survive_a_restart_with_nothing_re_entered() {
    let c = TestContainer::run("sched-survive", &[]);
    let app = App::start();
    let s = create(&app, json!({"container": c.name, "action": "start", "cron": "*/2 * * * * *"}));
    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    let before = Utc::now();
    let app = App::start_in(dir, &[]);
    wait_for("a firing after the restart", Duration::from_secs(15), || {
        fired(&app, &s["id"])
            .iter()
            .any(|e| e["timestamp"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() > before)
            .then_some(())
    });
}

#[test]
fn a_run_missed_within_the_grace_runs_once_late_and_an_older_one_is_logged_missed() {
    let c = TestContainer::run("sched-missed", &[]);
    let app = App::start();
    let late = create(&app, json!({"container": c.name, "action": "start", "run_at": in_secs(3)}));
    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    std::thread::sleep(Duration::from_secs(5));
    let app = App::start_in(dir.clone(), &[("CHRONTAINER_MISFIRE_GRACE", "60")]);
    let entries = wait_for("the late run", Duration::from_secs(10), || {
        let e = fired(&app, &late["id"]);
        (!e.is_empty()).then_some(e)
    });
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["status"], "skipped", "start on a running container: {}", entries[0]);
    assert!(entries[0]["message"].as_str().unwrap().contains("late"), "{}", entries[0]);

    let old = create(&app, json!({"container": c.name, "action": "stop", "run_at": in_secs(2)}));
    assert_eq!(app.terminate(), Some(0));
    std::thread::sleep(Duration::from_secs(4));
    let app = App::start_in(dir, &[("CHRONTAINER_MISFIRE_GRACE", "1")]);
    let entries = wait_for("the missed entry", Duration::from_secs(10), || {
        let e = fired(&app, &old["id"]);
        (!e.is_empty()).then_some(e)
    });
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["status"], "missed", "{}", entries[0]);
    assert!(entries[0]["message"].as_str().unwrap().contains("missed 1 run since"), "{}", entries[0]);
    assert_eq!(c.state(), "running", "a missed stop must not stop the container");
    assert_eq!(fired(&app, &late["id"]).len(), 1, "the late run was replayed after the second restart");
}

#[test]
fn a_schedule_follows_its_container_when_compose_re_creates_it() {
    let project = common::unique_name("proj");
    let labels = [
        "--label",
        &format!("com.docker.compose.project={project}"),
        "--label",
        "com.docker.compose.service=web",
    ];
    let old = TestContainer::run("sched-compose", &labels);
    let app = App::start();
    let s = create(&app, json!({"container": old.name, "action": "restart", "cron": "*/2 * * * * *"}));
    assert_eq!(s["compose_project"], project.as_str());
    assert_eq!(s["compose_service"], "web");
    drop(old);
    let new = TestContainer::run("sched-compose", &labels);
    let entry = wait_for("a restart of the re-created container", Duration::from_secs(20), || {
        fired(&app, &s["id"])
            .into_iter()
            .find(|e| e["container_id"] == new.id.as_str() && e["status"] == "success")
    });
    assert_eq!(entry["container"], new.name.as_str());
}

#[test]
fn a_schedule_more_frequent_than_the_minimum_interval_is_refused_and_changes_nothing() {
    let c = TestContainer::create("sched-min", &[]);
    let app = App::start_with(&[("CHRONTAINER_MIN_INTERVAL", "10")]);
    for cron in ["* * * * * *", "*/5 * * * * *", "@every 3s", "0,1 * * * * *"] {
        let (status, body) =
            app.post("/api/schedules", json!({"container": c.name, "action": "restart", "cron": cron}));
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("too_frequent")), "{cron}: {body}");
        assert_eq!(body["error"]["field"], "cron");
        assert!(body["error"]["message"].as_str().unwrap().contains("CHRONTAINER_MIN_INTERVAL"), "{body}");
    }
    let ok = create(&app, json!({"container": c.name, "action": "restart", "cron": "*/10 * * * * *"}));
    let (status, body) = app.patch(&format!("/api/schedules/{}", ok["id"]), json!({"cron": "* * * * * *"}));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("too_frequent")), "{body}");
    let (_, unchanged) = app.get(&format!("/api/schedules/{}", ok["id"]));
    assert_eq!(unchanged["cron"], "*/10 * * * * *");
    let (_, all) = app.get("/api/schedules");
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[test]
fn no_more_schedules_than_the_maximum_even_in_a_burst() {
    let c = TestContainer::create("sched-max", &[]);
    let app = std::sync::Arc::new(App::start_with(&[("CHRONTAINER_MAX_SCHEDULES", "3")]));
    let burst: Vec<_> = (0..10)
        .map(|_| {
            let (app, name) = (app.clone(), c.name.clone());
            std::thread::spawn(move || {
                app.post(
                    "/api/schedules",
                    json!({"container": name, "action": "restart", "cron": "0 3 * * *"}),
                )
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = burst.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(answers.iter().filter(|(s, _)| *s == 201).count(), 3, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!((*status, body["error"]["code"].as_str()), (400, Some("too_many_schedules")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("CHRONTAINER_MAX_SCHEDULES"), "{body}");
    }
    let (_, all) = app.get("/api/schedules");
    assert_eq!(all.as_array().unwrap().len(), 3);
}

/// The timer inspects its container 250 ms before the instant, so that only the action goes to
/// the Engine then. A container paused by hand after that inspect must be judged as paused: the
/// scheduled pause is `skipped` ("already paused"), never sent to Docker on the old word (which
/// Docker would refuse: an `error`).
#[test]
fn a_container_paused_after_the_early_inspect_is_judged_as_it_is_at_the_instant() {
    let c = TestContainer::run("sched-prepared", &[]);
    let app = App::start();
    let s = create(&app, json!({"container": c.name, "action": "pause", "run_at": in_secs(3)}));
    let due: DateTime<Utc> = s["next_run"].as_str().unwrap().parse().unwrap();
    // after the early wake's inspect (250 ms before), before the instant
    let wait = (due - chrono::Duration::milliseconds(150) - Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(wait);
    let by_hand = std::process::Command::new("docker").args(["pause", &c.id]).output().unwrap();
    let entry = wait_for("the scheduled pause's entry", Duration::from_secs(20), || {
        fired(&app, &s["id"]).into_iter().next()
    });
    assert_ne!(entry["status"], "error", "acted on a stale inspect: {entry}");
    // both pauses cannot succeed: when the hand's did, it came first and the schedule must skip
    if by_hand.status.success() {
        assert_eq!(entry["status"], "skipped", "{entry}");
        assert!(entry["message"].as_str().unwrap().contains("already paused"), "{entry}");
    }
    assert_eq!(c.state(), "paused");
}
