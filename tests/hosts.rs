//! Many Docker hosts from one Chrontainer (issue 13), against real Engines: the machine's own as
//! `local`, and private dockerds (their own sockets, data and containerd) as the other hosts. Each
//! test starts the Engines it needs, so the three run side by side.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::time::Duration;

use common::dockerd::{make_certs, PrivateDockerd};
use common::{unique_name, wait_for, App, TestContainer};
use serde_json::{json, Value};

/// A host name from a unique test name (lower-case, at most 63 bytes).
fn host_name(prefix: &str) -> String {
    unique_name(prefix).chars().take(40).collect()
}

fn add_host(app: &App, name: &str, url: &str) -> Value {
    let (status, host) = app.post("/api/hosts", json!({"name": name, "url": url}));
    assert_eq!(status, 201, "{host}");
    host
}

fn host_status(app: &App, name: &str) -> Value {
    let (status, host) = app.get(&format!("/api/hosts/{name}"));
    assert_eq!(status, 200, "{host}");
    host
}

/// The log entries a schedule wrote, newest first.
fn fired(app: &App, id: &Value) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/logs?schedule_id={id}&trigger=schedule&limit=500"));
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn schedule(app: &App, body: Value) -> Value {
    let (status, s) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{s}");
    s
}

#[test]
fn two_hosts_with_a_namesake_act_apart_and_a_host_that_goes_away_comes_back_alone() {
    let mut b = PrivateDockerd::unix();
    b.load_test_image();
    // the same name on both hosts; B's comes back by itself after its Engine restarts
    let on_local = TestContainer::run("twin", &[]);
    let b_id = b.run_sleeper(&on_local.name, &["--restart", "always"]);
    let ticker = TestContainer::run("ticker", &[]);
    let app = App::start();
    let name = host_name("b");

    // what is wrong with a host is said at once, and nothing is added
    let (status, e) =
        app.post("/api/hosts", json!({"name": "nowhere", "url": "unix:///nonexistent/docker.sock"}));
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("host_check_failed")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("refused"), "{e}");
    let (status, e) = app.post("/api/hosts", json!({"name": "pi", "url": "ssh://pi@raspberry"}));
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_host_url")), "{e}");
    assert_eq!(app.get("/api/hosts/nowhere").0, 404);

    let added = add_host(&app, &name, &b.socket());
    assert_eq!((added["status"].as_str(), added["tls"].as_bool()), (Some("ok"), Some(false)), "{added}");
    assert!(added["engine_version"].is_string() && added["swarm"].is_null(), "{added}");
    let (status, e) = app.post("/api/hosts", json!({"name": name, "url": b.socket()}));
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("host_exists")), "{e}");
    let (_, hosts) = app.get("/api/hosts");
    let names: Vec<&str> = hosts.as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "local", "{hosts}");
    assert!(names.contains(&name.as_str()), "{hosts}");

    // both namesakes are listed, each with its host
    let twins = wait_for("both namesakes in /api/containers", Duration::from_secs(20), || {
        let (_, list) = app.get("/api/containers");
        let twins: Vec<Value> =
            list.as_array()?.iter().filter(|c| c["name"] == on_local.name.as_str()).cloned().collect();
        (twins.len() == 2).then_some(twins)
    });
    let mut hosts_of: Vec<&str> = twins.iter().map(|c| c["host"].as_str().unwrap()).collect();
    hosts_of.sort();
    let mut expected = vec!["local", name.as_str()];
    expected.sort();
    assert_eq!(hosts_of, expected);
    let (status, one) = app.get(&format!("/api/containers/{}?host={name}", on_local.name));
    assert_eq!((status, one["id"].as_str()), (200, Some(b_id.as_str())), "{one}");
    assert_eq!(app.get("/api/containers?host=nosuchhost").0, 404);

    // a schedule on B restarts B's namesake and never local's
    let local_started = on_local.started_at();
    let b_started = || b.ok(&["inspect", "--format", "{{.State.StartedAt}}", &b_id]);
    let before = b_started();
    let on_b = schedule(
        &app,
        json!({"host": name, "container": on_local.name, "action": "restart", "cron": "*/2 * * * * *"}),
    );
    assert_eq!(on_b["host"], name.as_str(), "{on_b}");
    let on_a =
        schedule(&app, json!({"container": ticker.name, "action": "restart", "cron": "*/2 * * * * *"}));
    wait_for("B's namesake restarted by its schedule", Duration::from_secs(20), || {
        (b_started() != before).then_some(())
    });
    assert_eq!(on_local.started_at(), local_started, "local's namesake was not touched");
    let entry = &fired(&app, &on_b["id"])[0];
    assert_eq!((entry["host"].as_str(), entry["status"].as_str()), (Some(name.as_str()), Some("success")));

    // B goes away: its schedule logs errors, local's keeps firing, B alone is unreachable
    let (status, e) = app.delete(&format!("/api/hosts/{name}"));
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("host_in_use")), "{e}");
    b.stop();
    wait_for("B reported unreachable", Duration::from_secs(20), || {
        (host_status(&app, &name)["status"] == "unreachable").then_some(())
    });
    assert_eq!(host_status(&app, "local")["status"], "ok");
    let a_before = fired(&app, &on_a["id"]).len();
    let failed = wait_for("B's schedule to log an error", Duration::from_secs(20), || {
        fired(&app, &on_b["id"]).into_iter().find(|e| e["status"] == "error")
    });
    // the first may be the action's own failure, before the link is marked down; later ones name the Engine
    assert!(!failed["message"].as_str().unwrap().is_empty(), "{failed}");
    wait_for("local's schedule to keep firing", Duration::from_secs(20), || {
        (fired(&app, &on_a["id"]).len() >= a_before + 2).then_some(())
    });
    let (status, list) = app.get("/api/containers");
    assert_eq!(status, 200, "local's containers are still listed: {list}");
    assert!(list.as_array().unwrap().iter().all(|c| c["host"] == "local"), "{list}");
    let (_, health) = app.get("/healthz");
    assert_eq!(health["docker"]["status"], "ok", "{health}");
    assert!(health["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["name"] == name.as_str() && h["status"] == "unreachable"));

    // B comes back without a restart of Chrontainer, and its schedule succeeds again
    b.resume();
    wait_for("B to reconnect by itself", Duration::from_secs(60), || {
        (host_status(&app, &name)["status"] == "ok").then_some(())
    });
    wait_for("B's schedule to succeed again", Duration::from_secs(30), || {
        (fired(&app, &on_b["id"])[0]["status"] == "success").then_some(())
    });

    // a schedule moved to another host aims at the namesake there
    let (status, moved) =
        app.patch(&format!("/api/schedules/{}", on_b["id"]), json!({"host": "local", "enabled": false}));
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["host"].as_str(), moved["container_id"].as_str()),
        (Some("local"), Some(on_local.id.as_str()))
    );

    // a host no schedule names can be removed; its actor and its containers are gone
    for s in [&on_a, &on_b] {
        assert_eq!(app.delete(&format!("/api/schedules/{}", s["id"])).0, 204);
    }
    assert_eq!(app.delete(&format!("/api/hosts/{name}")).0, 204);
    assert_eq!(app.get(&format!("/api/hosts/{name}")).0, 404);
    assert_eq!(app.get(&format!("/api/containers?host={name}")).0, 404);
    let (_, list) = app.get("/api/containers");
    assert!(list.as_array().unwrap().iter().all(|c| c["host"] == "local"), "{list}");
    let (status, e) = app.delete("/api/hosts/local");
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("local_host")), "{e}");
}

#[test]
fn a_tls_host_is_checked_at_once_and_its_key_is_never_shown() {
    let engine = PrivateDockerd::start_with(true);
    let certs = engine.dir.path().join("certs");
    let pem = |dir: &std::path::Path, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let other_ca = make_certs(&engine.dir.path().join("other"));
    let app = App::start();
    let name = host_name("tls");
    let body = |ca: String| json!({"name": name, "url": engine.host(), "tls": {"ca": ca, "cert": pem(&certs, "cert.pem"), "key": pem(&certs, "key.pem")}});

    // a CA that did not sign the Engine's certificate: refused, naming TLS, nothing added
    let (status, e) = app.post("/api/hosts", body(pem(&other_ca, "ca.pem")));
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("host_check_failed")), "{e}");
    assert_eq!(e["error"]["field"], "tls", "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("TLS failure"), "{e}");
    assert_eq!(app.get(&format!("/api/hosts/{name}")).0, 404);
    // plain HTTP to a TLS port
    let (status, e) = app.post("/api/hosts", json!({"name": name, "url": engine.host()}));
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("TLS"), "{e}");

    // the right CA: added, connected, and the PEM texts are nowhere in its answers
    let (status, host) = app.post("/api/hosts", body(pem(&certs, "ca.pem")));
    assert_eq!(status, 201, "{host}");
    assert_eq!((host["tls"].as_bool(), host["status"].as_str()), (Some(true), Some("ok")), "{host}");
    let (_, all) = app.get("/api/hosts");
    assert!(!all.to_string().contains("BEGIN"), "{all}");
    let key = app.data_dir.path().join("hosts").join(&name).join("key.pem");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!app.output().contains("BEGIN"), "no PEM text in the log");
}

#[test]
fn swarm_services_are_restarted_stopped_and_started_through_the_orchestrator() {
    let swarm = PrivateDockerd::unix();
    swarm.load_test_image();
    swarm.swarm_init();
    let service = unique_name("svc");
    let mut create =
        vec!["service", "create", "--detach", "--no-resolve-image", "--name", &service, "--replicas", "2"];
    create.extend(["--stop-grace-period", "1s", common::TEST_IMAGE]);
    create.extend(common::SLEEPER);
    swarm.ok(&create);
    let inspect = |template: &str| swarm.ok(&["service", "inspect", "--format", template, &service]);
    let tasks =
        || swarm.ok(&["ps", "-q", "--filter", &format!("label=com.docker.swarm.service.name={service}")]);
    wait_for("two running tasks", Duration::from_secs(60), || (tasks().lines().count() == 2).then_some(()));
    let app = App::start();
    let name = host_name("swarm");
    let added = add_host(&app, &name, &swarm.socket());
    assert_eq!(added["swarm"], "manager", "{added}");

    let (status, list) = app.get(&format!("/api/services?host={name}"));
    assert_eq!(status, 200, "{list}");
    let listed = list.as_array().unwrap().iter().find(|s| s["name"] == service.as_str()).cloned().unwrap();
    assert_eq!(
        (listed["mode"].as_str(), listed["replicas"].as_u64(), listed["host"].as_str()),
        (Some("replicated"), Some(2), Some(name.as_str())),
        "{listed}"
    );
    let (status, e) = app.get("/api/services");
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("not_a_swarm_manager")), "{e}");

    // a task container is the orchestrator's: its action is refused, naming the service
    let task = tasks().lines().next().unwrap().to_string();
    let (status, e) = app.post(&format!("/api/containers/{task}/restart?host={name}"), json!({}));
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("swarm_task")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&service), "{e}");

    // restart is a forced update of the whole spec: ForceUpdate goes up, the tasks are replaced
    let act = |action: &str| app.post(&format!("/api/services/{service}/{action}?host={name}"), json!({}));
    let (status, done) = act("restart");
    assert_eq!((status, done["log"]["status"].as_str()), (200, Some("success")), "{done}");
    assert_eq!(inspect("{{.Spec.TaskTemplate.ForceUpdate}}"), "1");
    assert_eq!(inspect("{{.Spec.Mode.Replicated.Replicas}}"), "2", "the rest of the spec is kept");
    wait_for("new tasks", Duration::from_secs(60), || {
        let now = tasks();
        (!now.contains(&task) && now.lines().count() == 2).then_some(())
    });
    let (status, e) = act("pause");
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_action")), "{e}");

    // stop scales to 0 and remembers 2; start brings 2 back
    let (status, done) = act("stop");
    assert_eq!((status, done["log"]["status"].as_str()), (200, Some("success")), "{done}");
    assert_eq!(inspect("{{.Spec.Mode.Replicated.Replicas}}"), "0");
    assert_eq!(act("stop").1["log"]["status"], "skipped");
    let (status, done) = act("start");
    assert_eq!((status, done["log"]["status"].as_str()), (200, Some("success")), "{done}");
    assert_eq!(inspect("{{.Spec.Mode.Replicated.Replicas}}"), "2");

    // a schedule may aim at a service
    let (status, e) = app.post(
        "/api/schedules",
        json!({"host": name, "service": service, "action": "pause", "cron": "0 3 * * *"}),
    );
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_action")), "{e}");
    let s = schedule(
        &app,
        json!({"host": name, "service": service, "action": "restart", "cron": "*/2 * * * * *"}),
    );
    assert_eq!(
        (s["service"].as_str(), s["container"].as_str()),
        (Some(service.as_str()), Some(service.as_str()))
    );
    wait_for("the schedule's forced update", Duration::from_secs(20), || {
        (inspect("{{.Spec.TaskTemplate.ForceUpdate}}") != "1").then_some(())
    });
    assert_eq!(fired(&app, &s["id"])[0]["status"], "success");
    assert_eq!(app.delete(&format!("/api/schedules/{}", s["id"])).0, 204);
}

#[test]
fn the_output_of_a_namesake_on_another_host_is_that_hosts_own() {
    let b = PrivateDockerd::unix();
    b.load_test_image();
    let printer = |who: &str| format!("echo output-of-{who}; trap 'exit 0' TERM; while :; do sleep 1; done");
    let on_local = TestContainer::run_cmd("said", &[], &["sh", "-c", &printer("local")]);
    let mut run = vec!["run", "-d", "--network", "none", "--label", "chrontainer-test=1"];
    let b_printer = printer("b");
    run.extend(["--name", &on_local.name, common::TEST_IMAGE, "sh", "-c", &b_printer]);
    b.ok(&run);
    let app = App::start();
    let name = host_name("out");
    add_host(&app, &name, &b.socket());

    let texts = |lines: &Value| -> Vec<String> {
        lines["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()).collect()
    };
    let local = wait_for("local's line", Duration::from_secs(20), || {
        let (status, lines) = app.get(&format!("/api/containers/{}/logs", on_local.name));
        (status == 200 && !texts(&lines).is_empty()).then_some(lines)
    });
    assert_eq!(texts(&local), ["output-of-local"], "{local}");
    let on_b = wait_for("B's namesake to be read", Duration::from_secs(20), || {
        let (status, lines) = app.get(&format!("/api/containers/{}/logs?host={name}", on_local.name));
        (status == 200 && !texts(&lines).is_empty()).then_some(lines)
    });
    assert_eq!(texts(&on_b), ["output-of-b"], "{on_b}");

    // the page, its download and the script's stream all stay on B
    let (status, _, page) = app.get_text(&format!("/containers/{}/logs?host={name}", on_local.name));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("output-of-b") && !page.contains("output-of-local"), "{page}");
    assert!(page.contains(&format!(r#"data-host="{name}""#)), "{page}");
    assert!(page.contains(&format!(r#"<input type="hidden" name="host" value="{name}">"#)), "{page}");
    let download = format!("/api/containers/{}/logs?host={name}&format=text", on_local.name);
    assert!(page.contains(&download.replace('&', "&amp;").replace('=', "&#x3D;")), "{page}");
    let (status, _, text) = app.get_text(&download);
    assert_eq!(status, 200);
    assert!(text.contains("output-of-b") && !text.contains("output-of-local"), "{text}");

    // a host nobody added is named as such, by the API and the page
    let (status, e) = app.get(&format!("/api/containers/{}/logs?host=nosuchhost", on_local.name));
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("host_not_found")), "{e}");
    assert_eq!(app.get_text(&format!("/containers/{}/logs?host=nosuchhost", on_local.name)).0, 404);
}
