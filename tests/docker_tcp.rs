//! `DOCKER_HOST=tcp://…`, as with a socket proxy: a second, private Docker Engine listening on a
//! loopback TCP port (beside the main one, sharing nothing with it), and Chrontainer pointed at it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::time::Duration;

use common::dockerd::PrivateDockerd;
use common::App;
use serde_json::json;

#[test]
fn chrontainer_drives_an_engine_over_tcp() {
    let dockerd = PrivateDockerd::start();
    dockerd.load_test_image();
    let target = common::unique_name("tcp");
    let mut run = vec!["run", "-d", "--network", "none", "--label", "chrontainer-test=1", "--name", &target];
    run.push(common::TEST_IMAGE);
    run.extend(common::SLEEPER);
    dockerd.ok(&run);
    // A container on the main Engine, which must not show up: Chrontainer talks to the TCP one.
    let elsewhere = common::TestContainer::run("tcp-elsewhere", &[]);
    let engine_version = dockerd.ok(&["version", "--format", "{{.Server.Version}}"]);

    let app = App::start_with(&[("DOCKER_HOST", &dockerd.host())]);
    let health = common::wait_for("/healthz to report Docker ok over TCP", Duration::from_secs(30), || {
        let (status, health) = app.get("/healthz");
        (status == 200 && health["docker"]["status"] == "ok").then_some(health)
    });
    assert_eq!(health["docker"]["engine_version"], engine_version.as_str(), "{health}");
    assert!(health["docker"]["api_version"].as_str().is_some_and(|v| v.starts_with("1.")), "{health}");

    let list = common::wait_for(
        "the private Engine's container in /api/containers",
        Duration::from_secs(30),
        || {
            let (status, list) = app.get("/api/containers");
            assert_eq!(status, 200, "{list}");
            list.as_array()?.iter().any(|c| c["name"] == target.as_str()).then_some(list)
        },
    );
    let names: Vec<&str> = list.as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(!names.contains(&elsewhere.name.as_str()), "a container of the main Engine is listed: {names:?}");

    let started = || dockerd.ok(&["inspect", "--format", "{{.State.StartedAt}}", &target]);
    let before = started();
    let (status, body) = app.post(&format!("/api/containers/{target}/restart"), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success", "{body}");
    assert_ne!(started(), before, "restarted over TCP");
}

#[test]
fn chrontainer_speaks_tls_to_an_engine_that_requires_it() {
    let dockerd = PrivateDockerd::start_with(true);
    let certs = dockerd.dir.path().join("certs");
    let engine_version = dockerd.ok(&["version", "--format", "{{.Server.Version}}"]);
    let app = App::start_with(&[
        ("DOCKER_HOST", &dockerd.host()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs.to_str().unwrap()),
    ]);
    let (status, health) = app.get("/healthz");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["docker"]["status"], "ok", "{health}");
    assert_eq!(health["docker"]["engine_version"], engine_version.as_str(), "{health}");
    assert_eq!(app.get("/api/containers").0, 200);

    // without the client certificate the Engine refuses, and Chrontainer says so
    let plain = App::start_with(&[("DOCKER_HOST", &dockerd.host())]);
    let (_, health) = plain.get("/healthz");
    assert_eq!(health["docker"]["status"], "unreachable", "{health}");
    let missing = App::start_with(&[
        ("DOCKER_HOST", &dockerd.host()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/nonexistent-certs"),
    ]);
    let (_, health) = missing.get("/healthz");
    assert!(health["docker"]["error"].as_str().unwrap_or("").contains("key.pem is missing"), "{health}");
}
