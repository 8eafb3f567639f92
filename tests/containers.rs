//! The DockerActor against the real Engine, through the real binary's API: the cache shows every
//! state and follows changes made outside, actions change real containers and say what really
//! happened, one container never has two actions at once, and a schedule follows its compose
//! service when the container is re-created.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{wait_for, App, TestContainer};
use serde_json::{json, Value};

/// A container that ignores SIGTERM (PID 1 with no handler), so a stop waits for the timeout.
const DEAF: [&str; 2] = ["sleep", "1000"];

fn listed(app: &App) -> Vec<Value> {
    let (status, list) = app.get("/api/containers");
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

fn by_name(app: &App) -> HashMap<String, Value> {
    listed(app).into_iter().map(|c| (c["name"].as_str().unwrap().to_string(), c)).collect()
}

fn act(app: &App, c: &TestContainer, action: &str) -> (u16, Value) {
    app.post(&format!("/api/containers/{}/{action}", c.name), json!({}))
}

/// The action's log entry, after checking that it answered 200 with `status`.
fn act_ok(app: &App, c: &TestContainer, action: &str, status: &str) -> Value {
    let (code, body) = act(app, c, action);
    assert_eq!(code, 200, "{action}: {body}");
    assert_eq!(body["log"]["status"], status, "{action}: {body}");
    assert_eq!(body["log"]["container"], c.name.as_str());
    assert_eq!(body["log"]["container_id"], c.id.as_str());
    body["log"].clone()
}

fn cached_state(app: &App, c: &TestContainer) -> String {
    let (status, one) = app.get(&format!("/api/containers/{}", c.name));
    assert_eq!(status, 200, "{one}");
    one["state"].as_str().unwrap().to_string()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("not a time: {v}")).parse().unwrap()
}

#[test]
fn listing_shows_every_state_and_health() {
    common::require_docker();
    // two exist before the app starts (its first snapshot), the rest appear while it runs (events)
    let created = TestContainer::create("list-created", &[]);
    let exited = TestContainer::run("list-exited", &[]);
    exited.docker("stop");
    let app = App::start();
    let running = TestContainer::run("list-running", &[]);
    let paused = TestContainer::run("list-paused", &[]);
    paused.docker("pause");
    let checked = TestContainer::run("list-health", &["--health-cmd", "true", "--health-interval", "1s"]);
    let composed = TestContainer::run(
        "list-compose",
        &["--label", "com.docker.compose.project=shop", "--label", "com.docker.compose.service=web"],
    );

    let want = [
        (&created, "created"),
        (&exited, "exited"),
        (&running, "running"),
        (&paused, "paused"),
        (&checked, "running"),
        (&composed, "running"),
    ];
    let all = wait_for("every state and a healthy health check", Duration::from_secs(30), || {
        let all = by_name(&app);
        let states_ok = want.iter().all(|(c, s)| all.get(&c.name).is_some_and(|x| x["state"] == *s));
        let healthy = all.get(&checked.name).is_some_and(|x| x["health"] == "healthy");
        (states_ok && healthy).then_some(all)
    });

    let names: Vec<String> = listed(&app).iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "the list is sorted by name");

    let c = &all[&created.name];
    assert_eq!(c["host"], "local", "every container names its Docker host: {c}");
    assert_eq!(c["id"], created.id.as_str());
    assert_eq!(c["image"], common::TEST_IMAGE);
    assert_eq!(c["status"], "Created");
    assert_eq!(c["started_at"], Value::Null, "never started");
    assert_eq!(c["health"], Value::Null);
    assert_eq!(c["compose_project"], Value::Null);
    assert!(time(&c["created"]) <= Utc::now());

    let e = &all[&exited.name];
    assert!(e["status"].as_str().unwrap().starts_with("Exited (0)"), "{e}");
    assert!(e["started_at"].is_string(), "an exited container keeps its last start: {e}");

    let r = &all[&running.name];
    assert!(r["status"].as_str().unwrap().starts_with("Up "), "{r}");
    let docker_started: DateTime<Utc> = running.started_at().parse().unwrap();
    assert_eq!(time(&r["started_at"]).timestamp_millis(), docker_started.timestamp_millis());

    assert!(all[&paused.name]["status"].as_str().unwrap().ends_with("(Paused)"));
    assert!(all[&checked.name]["status"].as_str().unwrap().ends_with("(healthy)"));
    let k = &all[&composed.name];
    assert_eq!((k["compose_project"].as_str(), k["compose_service"].as_str()), (Some("shop"), Some("web")));
}

#[test]
fn containers_resolve_by_exact_name_full_id_or_unique_prefix() {
    let c = TestContainer::run("resolve", &[]);
    let app = App::start();
    for reference in [c.name.clone(), c.id.clone(), c.id[..12].to_string(), c.id[..5].to_string()] {
        let (status, one) = app.get(&format!("/api/containers/{reference}"));
        assert_eq!(status, 200, "{reference}: {one}");
        assert_eq!(one["id"], c.id.as_str());
    }
    // a name is exact: a part of it is not a match (Docker's own name filter would say yes)
    let part = &c.name[..c.name.len() - 2];
    let (status, body) = app.get(&format!("/api/containers/{part}"));
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "container_not_found");
    assert_eq!(body["error"]["message"], format!("No container is named {part:?}"));
}

#[test]
fn an_ambiguous_id_prefix_is_404_and_says_so() {
    let app = App::start();
    // create containers until two of them share a first hex digit (17 at most, by pigeonhole)
    let mut made: Vec<TestContainer> = Vec::new();
    let prefix = loop {
        let c = TestContainer::create("ambiguous", &[]);
        let first = c.id[..1].to_string();
        let twin = made.iter().any(|m| m.id.starts_with(&first));
        made.push(c);
        if twin {
            break first;
        }
    };
    let (_, body) = wait_for("both containers cached", Duration::from_secs(10), || {
        let answer = app.get(&format!("/api/containers/{prefix}"));
        (answer.0 == 404).then_some(answer)
    });
    assert_eq!(body["error"]["code"], "container_not_found", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("matches") && message.contains("containers"), "{message}");
}

#[test]
fn unknown_containers_are_404_for_reads_and_actions() {
    let app = App::start();
    for path in ["/api/containers/ct-no-such-container", "/api/containers/bad%20name"] {
        let (status, body) = app.get(path);
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "container_not_found");
    }
    let (status, body) = app.post("/api/containers/ct-no-such-container/restart", json!({}));
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "container_not_found");
    let (_, logs) = app.get("/api/logs?container=ct-no-such-container");
    assert_eq!(logs["items"][0]["status"], "error", "the failed action is logged: {logs}");
}

#[test]
fn each_action_changes_the_real_container_and_reports_what_happened() {
    let c = TestContainer::run("actions", &[]);
    let app = App::start();

    let log = act_ok(&app, &c, "start", "skipped");
    assert_eq!(log["message"], "already running");

    let log = act_ok(&app, &c, "stop", "success");
    assert_eq!(c.state(), "exited");
    assert_eq!(cached_state(&app, &c), "exited", "the cache is fresh when the action answers");
    assert!(log["duration_ms"].as_i64().unwrap() >= 0);
    assert_eq!(act_ok(&app, &c, "stop", "skipped")["message"], "already stopped");
    // refused for the state alone: the caller's mistake, skipped with the reason (a real refusal
    // by the Engine is 502: an_action_the_engine_refuses_is_502_with_its_words_and_logged)
    assert_eq!(act_ok(&app, &c, "pause", "skipped")["message"], "not running");
    assert_eq!(c.state(), "exited");

    act_ok(&app, &c, "start", "success");
    assert_eq!(c.state(), "running");
    assert_eq!(cached_state(&app, &c), "running");

    act_ok(&app, &c, "pause", "success");
    assert_eq!(c.state(), "paused");
    assert_eq!(cached_state(&app, &c), "paused");
    assert_eq!(act_ok(&app, &c, "pause", "skipped")["message"], "already paused");
    act_ok(&app, &c, "unpause", "success");
    assert_eq!(c.state(), "running");

    // the caller's mistake, not the Engine's failure: skipped with the state, never a 502
    assert_eq!(act_ok(&app, &c, "unpause", "skipped")["message"], "not paused: it is running");
    assert_eq!(c.state(), "running");
    let (_, logs) = app.get(&format!("/api/logs?container={}&action=unpause&status=skipped", c.name));
    assert_eq!(logs["items"][0]["message"], "not paused: it is running", "and logged: {logs}");

    let before = c.started_at();
    act_ok(&app, &c, "restart", "success");
    assert_eq!(c.state(), "running");
    assert_ne!(c.started_at(), before, "restart started the container again");
    let (_, one) = app.get(&format!("/api/containers/{}", c.name));
    assert_eq!(
        time(&one["started_at"]).timestamp_millis(),
        c.started_at().parse::<DateTime<Utc>>().unwrap().timestamp_millis()
    );
}

/// What Docker refuses for the state alone (409, or 500 for an unpause) is skipped with the reason,
/// never a 5xx: schemathesis found these as 502s (issue 22).
#[test]
fn actions_the_state_rules_out_are_skipped_with_the_reason() {
    let c = TestContainer::run("state-skips", &[]);
    let app = App::start();
    c.docker("pause");
    assert_eq!(act_ok(&app, &c, "start", "skipped")["message"], "paused: unpause it instead");
    assert_eq!(c.state(), "paused");
    c.docker("unpause");
    c.docker("stop");
    // the decision is made on a fresh inspect, not on the cache
    assert_eq!(act_ok(&app, &c, "pause", "skipped")["message"], "not running");
    assert_eq!(act_ok(&app, &c, "unpause", "skipped")["message"], "not paused: it is exited");
    assert_eq!(c.state(), "exited");

    let created = TestContainer::create("state-skips-created", &[]);
    assert_eq!(act_ok(&app, &created, "pause", "skipped")["message"], "not running");
    assert_eq!(act_ok(&app, &created, "unpause", "skipped")["message"], "not paused: it is created");
    assert_eq!(created.state(), "created");
}

/// When the Engine itself refuses (here: the container's command does not exist), the answer is
/// 502 `docker_error` with Docker's own words, and the failure is logged.
#[test]
fn an_action_the_engine_refuses_is_502_with_its_words_and_logged() {
    let c = TestContainer::create_cmd("engine-refuses", &[], &["/no-such-command"]);
    let app = App::start();
    let (status, body) = act(&app, &c, "start");
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "docker_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("no-such-command"), "{body}");
    let (_, logs) = app.get(&format!("/api/logs?container={}&status=error", c.name));
    assert_eq!(logs["items"][0]["action"], "start", "{logs}");
    assert!(logs["items"][0]["message"].as_str().unwrap().contains("no-such-command"), "{logs}");
}

#[test]
fn a_second_action_on_a_busy_container_is_409_and_logged_as_skipped() {
    let c = TestContainer::run_cmd("busy", &[], &DEAF);
    let app = std::sync::Arc::new(App::start_with(&[("CHRONTAINER_STOP_TIMEOUT", "5")]));
    let slow = {
        let (app, name) = (app.clone(), c.name.clone());
        // a probe below may hold the container for a moment just as the restart arrives: try again
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let answer = app.post(&format!("/api/containers/{name}/restart"), json!({}));
                if answer.0 != 409 || Instant::now() > deadline {
                    return answer;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // "start" is harmless before the restart has begun (skipped: already running) and after it
    // (the same); while the restart waits for the stop timeout, it must be refused
    let mut busy = None;
    while busy.is_none() && !slow.is_finished() {
        let (status, body) = act(&app, &c, "start");
        assert!(status == 200 || status == 409, "{status} {body}");
        busy = (status == 409).then_some(body);
        std::thread::sleep(Duration::from_millis(100));
    }
    let busy = busy.expect("no 409 while the restart was in flight");
    assert_eq!(busy["error"]["code"], "container_busy");
    assert_eq!(busy["error"]["message"], format!("another action on {} is still running", c.name));
    let (status, body) = slow.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success");
    assert!(body["log"]["duration_ms"].as_i64().unwrap() >= 4000, "the stop timeout was used: {body}");

    let (_, logs) = app.get(&format!("/api/logs?container={}&action=start&status=skipped", c.name));
    let messages: Vec<&str> =
        logs["items"].as_array().unwrap().iter().filter_map(|e| e["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("still running")), "{logs}");
    // and once it is done, the container takes actions again
    act_ok(&app, &c, "pause", "success");
}

#[test]
fn actions_on_different_containers_run_at_the_same_time() {
    let a = TestContainer::run_cmd("parallel-a", &[], &DEAF);
    let b = TestContainer::run_cmd("parallel-b", &[], &DEAF);
    let app = std::sync::Arc::new(App::start_with(&[("CHRONTAINER_STOP_TIMEOUT", "3")]));
    let threads: Vec<_> = [&a, &b]
        .iter()
        .map(|c| {
            let (app, name) = (app.clone(), c.name.clone());
            std::thread::spawn(move || app.post(&format!("/api/containers/{name}/stop"), json!({})))
        })
        .collect();
    let logs: Vec<Value> = threads
        .into_iter()
        .map(|t| {
            let (status, body) = t.join().unwrap();
            assert_eq!(status, 200, "{body}");
            body["log"].clone()
        })
        .collect();
    let span = |l: &Value| {
        let start = time(&l["timestamp"]);
        (start, start + chrono::Duration::milliseconds(l["duration_ms"].as_i64().unwrap()))
    };
    let ((a0, a1), (b0, b1)) = (span(&logs[0]), span(&logs[1]));
    assert!(a0 < b1 && b0 < a1, "the two stops did not overlap: {logs:?}");
    assert_eq!((a.state(), b.state()), ("exited".to_string(), "exited".to_string()));
}

#[test]
fn the_cache_follows_changes_made_outside_chrontainer() {
    let c = TestContainer::run("outside", &[]);
    let app = App::start();
    assert_eq!(cached_state(&app, &c), "running");
    c.docker("stop");
    wait_for("the cache to see the stop", Duration::from_secs(10), || {
        (cached_state(&app, &c) == "exited").then_some(())
    });
    let renamed = format!("{}-renamed", c.name);
    assert!(std::process::Command::new("docker")
        .args(["rename", &c.id, &renamed])
        .status()
        .unwrap()
        .success());
    wait_for("the cache to see the rename", Duration::from_secs(10), || {
        let (status, one) = app.get(&format!("/api/containers/{renamed}"));
        (status == 200 && one["id"] == c.id.as_str()).then_some(())
    });
    assert_eq!(app.get(&format!("/api/containers/{}", c.name)).0, 404);
    assert!(std::process::Command::new("docker")
        .args(["rm", "-f", &c.id])
        .output()
        .unwrap()
        .status
        .success());
    wait_for("the cache to drop the removed container", Duration::from_secs(10), || {
        (!listed(&app).iter().any(|x| x["id"] == c.id.as_str())).then_some(())
    });
}

#[test]
fn a_container_created_a_moment_ago_is_found_at_once() {
    let app = App::start();
    // no waiting for the events stream: a miss in the cache asks Docker once
    let c = TestContainer::run("fresh", &[]);
    assert_eq!(cached_state(&app, &c), "running");
    let d = TestContainer::run("fresh-act", &[]);
    act_ok(&app, &d, "stop", "success");
}

#[test]
fn a_schedule_follows_its_compose_service_to_a_recreated_container() {
    let project = common::unique_name("proj");
    let labels = [
        "--label".to_string(),
        format!("com.docker.compose.project={project}"),
        "--label".to_string(),
        "com.docker.compose.service=web".to_string(),
    ];
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let first = TestContainer::run("compose-1", &labels);
    let app = App::start();
    let (status, schedule) = app
        .post("/api/schedules", json!({"container": first.name, "action": "restart", "cron": "0 0 1 1 *"}));
    assert_eq!(status, 201, "{schedule}");
    assert_eq!(schedule["compose_project"], project.as_str());
    assert_eq!(schedule["compose_service"], "web");

    drop(first);
    let second = TestContainer::run("compose-2", &labels);
    let before = second.started_at();
    let (status, body) = app.post(&format!("/api/schedules/{}/run", schedule["id"]), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success", "{body}");
    assert_eq!(body["log"]["container_id"], second.id.as_str(), "the new container was the target");
    assert_eq!(body["log"]["container"], second.name.as_str());
    assert_ne!(second.started_at(), before, "and it was really restarted");
    let (_, schedule) = app.get(&format!("/api/schedules/{}", schedule["id"]));
    assert_eq!(schedule["container_id"], second.id.as_str(), "the last ID seen is kept: {schedule}");
}

#[test]
fn healthz_names_the_engine_and_its_api_version() {
    let app = App::start();
    let (status, body) = app.get("/healthz");
    assert_eq!(status, 200, "{body}");
    let docker = &body["docker"];
    assert_eq!(docker["status"], "ok", "{body}");
    assert_eq!(docker["error"], Value::Null);
    let api = docker["api_version"].as_str().unwrap();
    assert!(api.starts_with("1."), "{api}");
    let out = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .unwrap();
    assert_eq!(docker["engine_version"], String::from_utf8_lossy(&out.stdout).trim());
    let (_, _, metrics) = app.get_text("/metrics");
    assert!(metrics.contains("chrontainer_docker_up 1"), "{metrics}");
}

#[test]
fn chrontainer_will_not_stop_or_pause_its_own_container_but_restarts_it() {
    // detection reads the kernel (cgroup, mounts, hostname); here Config names a test container
    let c = TestContainer::run("self", &[]);
    let app = App::start_with(&[("CHRONTAINER_SELF_CONTAINER", &c.name)]);
    for action in ["stop", "pause"] {
        let (status, body) = act(&app, &c, action);
        assert_eq!(status, 409, "{action}: {body}");
        assert_eq!(body["error"]["code"], "self", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        let expected = format!("Chrontainer will not {action} its own container {}: ", c.name);
        assert!(message.starts_with(&expected), "{message}");
        assert_eq!(c.state(), "running", "{action} was not done");
        let (_, logs) = app.get(&format!("/api/logs?container={}&action={action}", c.name));
        assert_eq!(logs["items"][0]["status"], "skipped", "and logged as skipped: {logs}");
        assert_eq!(logs["items"][0]["message"], message);
    }

    let before = c.started_at();
    act_ok(&app, &c, "restart", "success");
    assert_ne!(c.started_at(), before, "a restart of itself is allowed");
    assert!(
        app.output().contains(&format!("restarting Chrontainer's own container {}", c.name)),
        "and logged"
    );

    // a schedule is skipped with the same reason, and run now is refused like a click
    let (status, s) =
        app.post("/api/schedules", json!({"container": c.name, "action": "stop", "cron": "* * * * * *"}));
    assert_eq!(status, 201, "{s}");
    let entry = wait_for("a scheduled stop of itself", Duration::from_secs(15), || {
        let (_, page) = app.get(&format!("/api/logs?schedule_id={}&trigger=schedule", s["id"]));
        page["items"].as_array()?.first().cloned()
    });
    let (status, body) = app.post(&format!("/api/schedules/{}/run", s["id"]), json!({}));
    assert_eq!((status, &body["error"]["code"]), (409, &json!("self")), "{body}");
    assert_eq!(app.delete(&format!("/api/schedules/{}", s["id"])).0, 204);
    assert_eq!(entry["status"], "skipped", "{entry}");
    assert!(entry["message"].as_str().unwrap().starts_with("Chrontainer will not stop its own container"));
    assert_eq!(c.state(), "running");
}

#[test]
fn the_list_carries_an_etag_and_answers_304_while_nothing_changed() {
    common::require_docker();
    let app = App::start();
    let c = TestContainer::create("etag", &[]);
    let get = |tag: Option<&str>| {
        let headers: Vec<(&str, &str)> = tag.map(|t| ("If-None-Match", t)).into_iter().collect();
        app.request("GET", "/api/containers", &headers, None)
    };
    let etag = |r: &common::Reply| r.header("etag").expect("an ETag").to_string();
    let tag = wait_for("the new container in the list", Duration::from_secs(30), || {
        let r = get(None);
        (r.status == 200 && r.text.contains(&c.name)).then(|| etag(&r))
    });
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");

    // other tests' containers change, and "Up 5 seconds" moves on: the same tag twice in a row
    // comes soon enough
    wait_for("a 304 for the current tag", Duration::from_secs(30), || {
        let tag = etag(&get(None));
        let r = get(Some(&format!("\"nope\", {tag}")));
        (r.status == 304).then(|| {
            assert_eq!(r.text, "", "no body with a 304");
            assert_eq!(r.header("etag"), Some(tag.as_str()));
        })
    });
    let r = get(Some("\"nope\""));
    assert_eq!(r.status, 200, "another tag gets the list");
    assert!(r.text.contains(&c.name));
    let r = app.request("GET", "/api/containers?host=local", &[("If-None-Match", "*")], None);
    assert_eq!(r.status, 304, "`*` matches any list");

    let before = etag(&get(None));
    c.docker("start");
    wait_for("the start seen by a client holding the old tag", Duration::from_secs(30), || {
        let r = get(Some(&before));
        let list: Value = serde_json::from_str(&r.text).unwrap_or(Value::Null);
        let state = list.as_array()?.iter().find(|x| x["name"] == c.name.as_str())?["state"].clone();
        (r.status == 200 && state == "running").then(|| assert_ne!(etag(&r), before))
    });
}
