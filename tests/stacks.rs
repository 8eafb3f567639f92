//! Compose stacks against the real Engine: containers created with the exact labels compose v2
//! writes (pkg/compose/create.go: `com.docker.compose.depends_on` = `svc:condition:restart,…`),
//! their order read back from the Engine's own event timestamps, waits for real health checks,
//! cycles refused, one run_id per run, and a VPN-style `--network container:` sidecar restarted
//! with the container whose network it shares.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{unique_name, wait_for, App, TestContainer, SLEEPER};
use serde_json::{json, Value};

/// The labels compose v2 writes on a service's first container.
fn compose_labels(project: &str, service: &str, depends_on: &str) -> Vec<String> {
    [
        format!("com.docker.compose.project={project}"),
        format!("com.docker.compose.service={service}"),
        format!("com.docker.compose.depends_on={depends_on}"),
        "com.docker.compose.container-number=1".into(),
        "com.docker.compose.oneoff=False".into(),
        "com.docker.compose.version=2.29.7".into(),
        format!("com.docker.compose.project.working_dir=/srv/{project}"),
        // what the event filter of one test picks
        format!("ct-stack={project}"),
    ]
    .into_iter()
    .flat_map(|l| ["--label".to_string(), l])
    .collect()
}

/// A running container of `service` in `project`, with more `docker run` flags.
fn service(project: &str, service: &str, depends_on: &str, extra: &[&str]) -> TestContainer {
    let mut args: Vec<String> = compose_labels(project, service, depends_on);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestContainer::run(service, &args)
}

const HEALTHY: [&str; 4] = ["--health-cmd", "true", "--health-interval", "1s"];
const NEVER_HEALTHY: [&str; 6] =
    ["--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1"];

fn now() -> String {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", t.as_secs(), t.subsec_nanos())
}

/// The Engine's container events (`start`, `stop`, `restart`) of containers labelled
/// `ct-stack=<tag>` between `since` and now, oldest first: (action, name, timeNano).
fn events(since: &str, tag: &str) -> Vec<(String, String, i64)> {
    std::thread::sleep(Duration::from_millis(200));
    let until = now();
    let out = Command::new("docker")
        .args(["events", "--since", since, "--until", &until, "--format", "{{json .}}"])
        .args(["--filter", "type=container", "--filter", &format!("label=ct-stack={tag}")])
        .args(["--filter", "event=start", "--filter", "event=stop", "--filter", "event=restart"])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker events: {}", String::from_utf8_lossy(&out.stderr));
    let mut seen: Vec<(String, String, i64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            let name = e["Actor"]["Attributes"]["name"].as_str().unwrap().to_string();
            (e["Action"].as_str().unwrap().to_string(), name, e["timeNano"].as_i64().unwrap())
        })
        .collect();
    seen.sort_by_key(|e| e.2);
    seen
}

fn healthy(c: &TestContainer) {
    wait_for(&format!("{} healthy", c.name), Duration::from_secs(30), || {
        (c.inspect("{{.State.Health.Status}}") == "healthy").then_some(())
    });
}

fn stack(app: &App, name: &str) -> Value {
    let (status, all) = app.get("/api/stacks");
    assert_eq!(status, 200, "{all}");
    all.as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no stack {name} in {all}"))
}

/// The entries' (action, container, status), and that they share one run_id (also in the log).
fn steps(app: &App, report: &Value) -> Vec<(String, String, String)> {
    let run_id = report["run_id"].as_str().unwrap();
    let log = report["log"].as_array().unwrap();
    assert!(log.iter().all(|e| e["run_id"] == run_id), "one run_id: {report}");
    let (status, page) = app.get(&format!("/api/logs?run_id={run_id}"));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), log.len(), "the log holds every step: {page}");
    actions_of(log).into_iter().map(|(a, c, s)| (a.to_string(), c.to_string(), s.to_string())).collect()
}

fn step(action: &str, c: &TestContainer, status: &str) -> (String, String, String) {
    (action.to_string(), c.name.clone(), status.to_string())
}

#[test]
fn a_stack_restart_stops_in_reverse_and_starts_in_dependency_order() {
    common::require_docker();
    let project = unique_name("shop");
    let db = service(&project, "db", "", &HEALTHY);
    let app_c = service(&project, "app", "db:service_healthy:false", &[]);
    let web = service(&project, "web", "app:service_started:false", &[]);
    healthy(&db);
    let app = App::start();
    let s = wait_for("the stack listed", Duration::from_secs(10), || {
        let s = stack(&app, &project);
        (s["services"].as_array().unwrap().len() == 3).then_some(s)
    });
    assert_eq!(s["order"], json!(["db", "app", "web"]), "{s}");
    assert_eq!(s["cycle"], Value::Null);
    assert_eq!(s["host"], "local");
    assert_eq!(
        s["services"][1]["depends_on"],
        json!([{"service": "db", "condition": "service_healthy", "restart": false}])
    );
    assert_eq!(s["services"][0]["container"], db.name.as_str());

    let since = now();
    let (status, report) = app.post(&format!("/api/stacks/{project}/restart?timeout_s=30"), json!({}));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(
        steps(&app, &report),
        [
            step("stop", &web, "success"),
            step("stop", &app_c, "success"),
            step("stop", &db, "success"),
            step("start", &db, "success"),
            step("start", &app_c, "success"),
            step("start", &web, "success"),
        ]
    );
    // the Engine's own clock: each stop before the next, db healthy before app started
    let seen = events(&since, &project);
    eprintln!("Engine events of the stack restart:");
    for (action, name, t) in &seen {
        eprintln!("  {t} {action} {name}");
    }
    let order: Vec<(String, String)> = seen.iter().map(|(a, n, _)| (a.clone(), n.clone())).collect();
    let pair = |a: &str, c: &TestContainer| (a.to_string(), c.name.clone());
    assert_eq!(
        order,
        [
            pair("stop", &web),
            pair("stop", &app_c),
            pair("stop", &db),
            pair("start", &db),
            pair("start", &app_c),
            pair("start", &web),
        ]
    );
    assert_eq!(db.inspect("{{.State.Health.Status}}"), "healthy", "app started only after db was healthy");
    assert!([&db, &app_c, &web].iter().all(|c| c.state() == "running"));

    // stop is the reverse order only, start the forward order only
    let (status, stopped) = app.post(&format!("/api/stacks/{project}/stop"), json!({}));
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(
        steps(&app, &stopped),
        [step("stop", &web, "success"), step("stop", &app_c, "success"), step("stop", &db, "success")]
    );
    let (status, started) = app.post(&format!("/api/stacks/{project}/start?timeout_s=30"), json!({}));
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        steps(&app, &started),
        [step("start", &db, "success"), step("start", &app_c, "success"), step("start", &web, "success")]
    );
    assert_ne!(started["run_id"], stopped["run_id"]);

    // a schedule may name the stack: a chain of one stack step, its containers in order
    let (status, schedule) =
        app.post("/api/schedules", json!({"stack": project, "action": "stop", "cron": "0 3 1 1 *"}));
    assert_eq!(status, 201, "{schedule}");
    assert_eq!(schedule["steps"][0]["stack"], project.as_str());
    let (status, ran) = app.post(&format!("/api/schedules/{}/run", schedule["id"]), json!({}));
    assert_eq!(status, 200, "{ran}");
    let run_id = ran["log"]["run_id"].as_str().unwrap();
    let (_, page) = app.get(&format!("/api/logs?run_id={run_id}"));
    let names: Vec<&str> =
        page["items"].as_array().unwrap().iter().rev().map(|e| e["container"].as_str().unwrap()).collect();
    assert_eq!(names, [web.name.as_str(), app_c.name.as_str(), db.name.as_str()]);
}

#[test]
fn a_dependency_that_never_turns_healthy_times_out_and_its_dependents_stay_stopped() {
    common::require_docker();
    let project = unique_name("sick");
    let db = service(&project, "db", "", &NEVER_HEALTHY);
    let api = service(&project, "api", "db:service_healthy:false", &[]);
    let app = App::start();
    wait_for("the stack listed", Duration::from_secs(10), || {
        (stack(&app, &project)["services"].as_array().unwrap().len() == 2).then_some(())
    });
    let (status, report) = app.post(&format!("/api/stacks/{project}/restart?timeout_s=2"), json!({}));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "error", "{report}");
    assert_eq!(
        steps(&app, &report),
        [step("stop", &api, "success"), step("stop", &db, "success"), step("start", &db, "error")]
    );
    let failed = report["log"][2]["message"].as_str().unwrap();
    assert!(failed.contains(&format!("{} was not healthy after 2 s", db.name)), "{failed}");
    assert!(failed.contains(&format!("not run: start {}", api.name)), "{failed}");
    assert_eq!(report["not_run"], json!([format!("start {}", api.name)]));
    assert_eq!(api.state(), "exited", "its dependent was not started");
}

#[test]
fn a_cycle_is_refused_and_nothing_is_touched() {
    common::require_docker();
    let project = unique_name("loop");
    let a = service(&project, "a", "b:service_started:false", &[]);
    let b = service(&project, "b", "a:service_started:false", &[]);
    let (a_started, b_started) = (a.started_at(), b.started_at());
    let app = App::start();
    let s = wait_for("the stack listed", Duration::from_secs(10), || {
        let s = stack(&app, &project);
        (s["services"].as_array().unwrap().len() == 2).then_some(s)
    });
    assert_eq!(s["order"], json!([]));
    assert_eq!(s["cycle"], json!(["a", "b", "a"]));
    let (status, body) = app.post(&format!("/api/stacks/{project}/restart"), json!({}));
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "dependency_cycle");
    assert!(body["error"]["message"].as_str().unwrap().contains("a → b → a"), "{body}");
    assert_eq!((a.started_at(), b.started_at()), (a_started, b_started));
    // and the other refusals of the route
    let (status, body) = app.post(&format!("/api/stacks/{project}/pause"), json!({}));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_action")), "{body}");
    let (status, body) = app.post("/api/stacks/no-such-project-here/stop", json!({}));
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("stack_not_found")), "{body}");
    let (status, body) = app.post(&format!("/api/stacks/{project}/stop?timeout_s=0"), json!({}));
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("timeout_s")), "{body}");
}

#[test]
fn a_vpn_restart_takes_the_containers_sharing_its_network_with_it() {
    common::require_docker();
    let tag = unique_name("vpn");
    let label = format!("ct-stack={tag}");
    let vpn = TestContainer::run("vpn", &["--label", &label]);
    // the harness runs everything with --network none; a sidecar needs its own network mode
    let name = unique_name("behind-vpn");
    let mut args = vec!["run", "-d", "--label", "chrontainer-test=1", "--label", &label, "--name", &name];
    let network = format!("container:{}", vpn.name);
    args.extend(["--network", &network, common::test_image()]);
    args.extend(SLEEPER);
    let out = Command::new("docker").args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sidecar =
        TestContainer { name: name.clone(), id: String::from_utf8_lossy(&out.stdout).trim().into() };
    let before = sidecar.started_at();

    let app = App::start();
    let (status, found) = app.get(&format!("/api/containers/{}/dependents", vpn.name));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found, json!({"container": vpn.name, "dependents": [sidecar.name]}));
    let since = now();
    let (status, report) = app.post(&format!("/api/containers/{}/dependents/restart", vpn.name), json!({}));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "success", "{report}");
    assert_eq!(
        steps(&app, &report),
        [
            step("stop", &sidecar, "success"),
            step("restart", &vpn, "success"),
            step("start", &sidecar, "success")
        ]
    );
    let order: Vec<(String, String)> = events(&since, &tag).into_iter().map(|(a, n, _)| (a, n)).collect();
    let pair = |a: &str, c: &TestContainer| (a.to_string(), c.name.clone());
    // a restart is `stop` then `start` (and `restart`) of the vpn in the Engine's events
    let first_vpn = order.iter().position(|e| e.1 == vpn.name).unwrap();
    let last_vpn = order.iter().rposition(|e| e.1 == vpn.name).unwrap();
    assert_eq!(order[0], pair("stop", &sidecar), "{order:?}");
    assert!(first_vpn > 0 && last_vpn < order.len() - 1, "{order:?}");
    assert_eq!(order.last().unwrap(), &pair("start", &sidecar), "{order:?}");
    assert_eq!(sidecar.state(), "running");
    assert_ne!(sidecar.started_at(), before);
    let (status, none) = app.get(&format!("/api/containers/{}/dependents", sidecar.name));
    assert_eq!((status, none["dependents"].clone()), (200, json!([])), "{none}");

    // a schedule's restart may take its dependents along: one run, the same three steps
    let body =
        json!({"container": vpn.name, "action": "restart", "with_dependents": true, "cron": "0 3 1 1 *"});
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    assert_eq!(schedule["steps"][0]["with_dependents"], true, "{schedule}");
    let (status, ran) = app.post(&format!("/api/schedules/{}/run", schedule["id"]), json!({}));
    assert_eq!(status, 200, "{ran}");
    let entries = run_entries(&app, ran["log"]["run_id"].as_str().unwrap());
    let seen: Vec<(&str, &str)> =
        entries.iter().map(|e| (e["action"].as_str().unwrap(), e["container"].as_str().unwrap())).collect();
    let (v, s) = (vpn.name.as_str(), sidecar.name.as_str());
    assert_eq!(seen, [("stop", s), ("restart", v), ("start", s)], "{entries:?}");
    assert_eq!(sidecar.state(), "running");
    let body = json!({"container": vpn.name, "action": "stop", "with_dependents": true, "cron": "0 3 1 1 *"});
    let (status, e) = app.post("/api/schedules", body);
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_steps")), "{e}");
}

/// The entries of a run, oldest first.
fn run_entries(app: &App, run_id: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/logs?run_id={run_id}"));
    assert_eq!(status, 200, "{page}");
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

/// Each entry's action, container and status, in order.
fn actions_of(entries: &[Value]) -> Vec<(&str, &str, &str)> {
    fn text<'a>(e: &'a Value, k: &str) -> &'a str {
        e[k].as_str().unwrap_or_else(|| panic!("no {k} in {e}"))
    }
    entries.iter().map(|e| (text(e, "action"), text(e, "container"), text(e, "status"))).collect()
}

#[test]
fn a_chain_runs_its_steps_in_order_with_their_waits_and_stops_at_a_failed_step() {
    common::require_docker();
    let tag = unique_name("chain");
    let label = format!("ct-stack={tag}");
    let db = TestContainer::run(
        "chain-db",
        &["--label", &label, "--health-cmd", "true", "--health-interval", "1s"],
    );
    let web = TestContainer::run("chain-web", &["--label", &label]);
    healthy(&db);
    let app = App::start();
    let body = json!({
        "steps": [
            {"container": web.name, "action": "stop"},
            {"container": db.name, "action": "restart", "wait": "healthy", "timeout_s": 30},
            {"container": web.name, "action": "start", "wait": "running"},
        ],
        "cron": "0 3 1 1 *",
    });
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    assert_eq!(
        schedule["steps"][1],
        json!({"host": "local", "container": db.name, "service": null, "stack": null, "action": "restart",
               "wait": "healthy", "timeout_s": 30})
    );
    assert_eq!(
        (schedule["container"].as_str(), schedule["action"].as_str()),
        (Some(web.name.as_str()), Some("stop"))
    );
    let id = schedule["id"].as_i64().unwrap();

    let since = now();
    let (status, ran) = app.post(&format!("/api/schedules/{id}/run"), json!({}));
    assert_eq!(status, 200, "{ran}");
    assert_eq!(ran["log"]["container"], web.name.as_str(), "the answer is the last step: {ran}");
    let run_id = ran["log"]["run_id"].as_str().unwrap().to_string();
    let entries = run_entries(&app, &run_id);
    let seen = actions_of(&entries);
    assert_eq!(
        seen,
        [
            ("stop", web.name.as_str(), "success"),
            ("restart", db.name.as_str(), "success"),
            ("start", web.name.as_str(), "success")
        ]
    );
    assert!(entries.iter().all(|e| e["trigger"] == "run_now" && e["schedule_id"] == id), "{entries:?}");
    // the Engine's order: web stopped, db restarted and healthy again, only then web started
    let out = Command::new("docker")
        .args(["events", "--since", &since, "--until", &now(), "--format", "{{json .}}"])
        .args(["--filter", "type=container", "--filter", &format!("label={label}")])
        .args(["--filter", "event=start", "--filter", "event=stop", "--filter", "event=health_status"])
        .output()
        .unwrap();
    let order: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            (
                e["Action"].as_str().unwrap().to_string(),
                e["Actor"]["Attributes"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |action: &str, who: &TestContainer| {
        order
            .iter()
            .position(|(a, n)| a.starts_with(action) && *n == who.name)
            .unwrap_or_else(|| panic!("no {action} of {} in {order:?}", who.name))
    };
    let healthy_again = order
        .iter()
        .position(|(a, n)| a == "health_status: healthy" && *n == db.name)
        .unwrap_or_else(|| panic!("db never healthy again: {order:?}"));
    assert!(at("stop", &web) < at("start", &db), "{order:?}");
    assert!(at("start", &db) < healthy_again && healthy_again < at("start", &web), "{order:?}");

    // a chain whose wait fails stops there, and says so
    let sick = TestContainer::run(
        "chain-sick",
        &["--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1"],
    );
    let after = TestContainer::run("chain-after", &[]);
    let before = after.started_at();
    let body = json!({
        "steps": [
            {"container": sick.name, "action": "restart", "wait": "healthy", "timeout_s": 2},
            {"container": after.name, "action": "restart"},
        ],
        "cron": "0 3 1 1 *",
    });
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    let (status, ran) = app.post(&format!("/api/schedules/{}/run", schedule["id"]), json!({}));
    assert_eq!(status, 200, "{ran}");
    let entries = run_entries(&app, ran["log"]["run_id"].as_str().unwrap());
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["status"], "error");
    let message = entries[0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{} was not healthy after 2 s", sick.name)), "{message}");
    assert!(message.contains(&format!("not run: restart {}", after.name)), "{message}");
    assert_eq!(after.started_at(), before, "the step after the failed one did not run");
    let (_, again) = app.get(&format!("/api/schedules/{}", schedule["id"]));
    assert_eq!(again["last_status"], "error");

    // what a chain refuses
    for (body, code) in [
        (json!({"steps": [], "cron": "0 3 * * *"}), "invalid_steps"),
        (
            json!({"steps": [{"container": web.name, "action": "stop"}], "action": "stop", "cron": "0 3 * * *"}),
            "conflicting_fields",
        ),
        (
            json!({"steps": [{"container": web.name, "stack": "x", "action": "stop"}], "cron": "0 3 * * *"}),
            "invalid_steps",
        ),
        (
            json!({"steps": [{"container": web.name, "action": "stop", "wait": "forever"}], "cron": "0 3 * * *"}),
            "invalid_steps",
        ),
        (
            json!({"steps": [{"container": web.name, "action": "stop", "timeout_s": 0}], "cron": "0 3 * * *"}),
            "invalid_steps",
        ),
        (
            json!({"container": web.name, "steps": [{"container": web.name, "action": "stop"}], "cron": "0 3 * * *"}),
            "conflicting_fields",
        ),
    ] {
        let (status, answer) = app.post("/api/schedules", body.clone());
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some(code)), "{body} → {answer}");
    }
    let (status, answer) = app.post(
        "/api/schedules",
        json!({"stack": "no-such-stack-here", "action": "restart", "cron": "0 3 * * *"}),
    );
    assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("stack_not_found")), "{answer}");
}

#[test]
fn a_failed_chain_is_restored_and_each_step_acts_on_its_own_host() {
    common::require_docker();
    // a second host on the same Engine: a step names it, and its entries carry it
    let other: String = unique_name("alias").chars().take(40).collect();
    let url = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let a = TestContainer::run("restore-a", &[]);
    let b = TestContainer::run("restore-b", &[]);
    let app = App::start();
    let (status, host) = app.post("/api/hosts", json!({"name": other, "url": url}));
    assert_eq!(status, 201, "{host}");
    let body = json!({
        "steps": [
            {"host": other, "container": a.name, "action": "stop"},
            // b has no health check: the wait fails at once, after the restart
            {"container": b.name, "action": "restart", "wait": "healthy", "timeout_s": 5},
            {"container": a.name, "action": "start"},
        ],
        "cron": "0 3 1 1 *",
    });
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    let hosts: Vec<&str> =
        schedule["steps"].as_array().unwrap().iter().map(|s| s["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, [other.as_str(), "local", "local"]);
    let (status, ran) = app.post(&format!("/api/schedules/{}/run", schedule["id"]), json!({}));
    assert_eq!(status, 200, "{ran}");
    let run_id = ran["log"]["run_id"].as_str().unwrap().to_string();
    let entries = run_entries(&app, &run_id);
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e["host"].as_str().unwrap(), e["action"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(other.as_str(), "stop", "success"), ("local", "restart", "error")], "{entries:?}");
    assert_eq!(a.state(), "exited");

    // restore starts what the run stopped (a), not what is running anyway (b, restarted)
    let (status, restored) = app.post(&format!("/api/runs/{run_id}/restore"), json!({}));
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["status"], "success", "{restored}");
    assert_eq!(steps(&app, &restored), [step("start", &a, "success")]);
    assert_eq!(restored["log"][0]["host"], other.as_str(), "{restored}");
    assert_ne!(restored["run_id"].as_str(), Some(run_id.as_str()));
    assert_eq!(a.state(), "running", "the Engine says a runs again");
    let (status, again) = app.post(&format!("/api/runs/{run_id}/restore"), json!({}));
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("nothing_to_restore")), "{again}");
    let (status, none) = app.post("/api/runs/0123456789abcdef/restore", json!({}));
    assert_eq!((status, none["error"]["code"].as_str()), (404, Some("run_not_found")), "{none}");
    let body = json!({"steps": [{"host": "no-such-host", "container": a.name, "action": "stop"}], "cron": "0 3 * * *"});
    let (status, e) = app.post("/api/schedules", body);
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("host_not_found")), "{e}");
}

/// The app's view of a container's state.
fn seen_state(app: &App, c: &TestContainer) -> String {
    let (_, v) = app.get(&format!("/api/containers/{}", c.name));
    v["state"].as_str().unwrap_or("").to_string()
}

#[test]
fn a_chains_guard_is_judged_per_step_and_a_step_it_leaves_alone_is_skipped_not_failed() {
    common::require_docker();
    // never started, so never stopped by hand: only `only_if` judges it
    let stopped = TestContainer::create("guard-created", &[]);
    let running = TestContainer::run("guard-running", &[]);
    let by_hand = TestContainer::run("guard-by-hand", &[]);
    let app = App::start();
    wait_for("the app to see it running", Duration::from_secs(10), || {
        (seen_state(&app, &by_hand) == "running").then_some(())
    });
    by_hand.docker("stop");
    wait_for("the app to see it stopped", Duration::from_secs(10), || {
        (seen_state(&app, &by_hand) == "exited").then_some(())
    });
    let before = running.started_at();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let body = json!({
        "steps": [
            // left alone by only_if, it has nothing to wait for: a wait here would fail the run
            {"container": stopped.name, "action": "restart", "wait": "running", "timeout_s": 5},
            {"container": running.name, "action": "stop"},
            // judged when the run first met it (running), not on what its own stop made of it
            {"container": running.name, "action": "start", "wait": "running"},
            {"container": by_hand.name, "action": "start"},
        ],
        "only_if": "running",
        "run_at": at,
    });
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    assert_eq!((&schedule["only_if"], &schedule["respect_manual"]), (&json!("running"), &json!(true)));
    let id = schedule["id"].as_i64().unwrap();
    let entries = wait_for("the timer's run of four steps", Duration::from_secs(30), || {
        let (_, page) = app.get(&format!("/api/logs?schedule_id={id}"));
        let items = page["items"].as_array().unwrap().clone();
        (items.len() == 4).then_some(items)
    });
    let run_id = entries[0]["run_id"].as_str().unwrap();
    let entries = run_entries(&app, run_id);
    let seen = actions_of(&entries);
    assert_eq!(
        seen,
        [
            ("restart", stopped.name.as_str(), "skipped"),
            ("stop", running.name.as_str(), "success"),
            ("start", running.name.as_str(), "success"),
            ("start", by_hand.name.as_str(), "skipped"),
        ],
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e["trigger"] == "schedule"), "{entries:?}");
    assert_eq!(entries[0]["message"], "only if running: it is created", "{entries:?}");
    let manual = entries[3]["message"].as_str().unwrap();
    assert!(manual.starts_with("stopped by hand"), "{manual}");
    assert!(entries.iter().all(|e| !e["message"].as_str().unwrap().contains("not run")), "{entries:?}");
    assert_eq!((stopped.state(), by_hand.state()), ("created".into(), "exited".into()), "left alone");
    assert_eq!(running.state(), "running");
    assert_ne!(running.started_at(), before, "the guarded steps ran");

    // run now is a person asking: no guard, as for a single target
    let (status, ran) = app.post(&format!("/api/schedules/{id}/run"), json!({}));
    assert_eq!(status, 200, "{ran}");
    let entries = run_entries(&app, ran["log"]["run_id"].as_str().unwrap());
    let statuses: Vec<&str> = entries.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["success"; 4], "{entries:?}");
    assert_eq!((stopped.state(), by_hand.state()), ("running".into(), "running".into()));
}
