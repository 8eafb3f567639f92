//! The real image, as users run it: built by scripts/build-image.sh (a static musl binary in an
//! image FROM scratch), started with the Docker socket mounted, checked over HTTP: /healthz, the
//! container list and a restart; that it will not stop itself; its HEALTHCHECK and its graceful
//! stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::{Remote, TestContainer};
use serde_json::{json, Value};

const IMAGE: &str = "chrontainer-image-test:latest";
/// DEPLOYMENT.md promises a small image; a regression (a debug build, a dynamic binary) shows here.
const MAX_IMAGE_BYTES: u64 = 15 * 1024 * 1024;

/// Builds the image once per test process; panics, naming what is missing, when it cannot.
fn image() -> &'static str {
    static BUILT: OnceLock<Result<String, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        common::require_docker();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/build-image.sh");
        let out = Command::new("bash")
            .arg(script)
            .env("CHRONTAINER_IMAGE", IMAGE)
            .output()
            .map_err(|e| format!("cannot run {script}: {e}"))?;
        let said =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            Ok(said)
        } else {
            Err(said)
        }
    });
    match built {
        Ok(_) => IMAGE,
        Err(said) => panic!(
            "the image could not be built, so it cannot be tested. scripts/build-image.sh said:\n{said}\n\
             It needs the musl toolchain: `rustup target add x86_64-unknown-linux-musl` and \
             `pip install ziglang cargo-zigbuild` (.ci/run installs both)"
        ),
    }
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().expect("cannot run the docker CLI")
}

/// The host's Docker socket, to mount into the container.
fn host_socket() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => h.trim_start_matches("unix://").to_string(),
        _ => "/var/run/docker.sock".to_string(),
    }
}

/// A container of the image, removed when dropped; its log is printed if the test fails.
struct Running {
    name: String,
}

impl Running {
    fn start(image: &str, port: u16) -> Running {
        let name = common::unique_name("image");
        let socket = format!("{}:/var/run/docker.sock", host_socket());
        let listen = format!("CHRONTAINER_LISTEN=127.0.0.1:{port}");
        let out = docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            "chrontainer-test=1",
            "--network",
            "host",
            "-v",
            &socket,
            "-e",
            &listen,
            "-e",
            "CHRONTAINER_AUTH=none",
            // the image's own HEALTHCHECK command, checked every second instead of every 30 s
            "--health-interval",
            "1s",
            "--health-start-period",
            "1s",
            image,
        ]);
        assert!(out.status.success(), "docker run failed: {}", String::from_utf8_lossy(&out.stderr));
        Running { name }
    }

    fn inspect(&self, template: &str) -> String {
        String::from_utf8_lossy(&docker(&["inspect", "--format", template, &self.name]).stdout)
            .trim()
            .to_string()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = docker(&["logs", &self.name]);
            eprintln!(
                "--- log of {}:\n{}{}",
                self.name,
                String::from_utf8_lossy(&logs.stdout),
                String::from_utf8_lossy(&logs.stderr)
            );
        }
        let _ = docker(&["rm", "-f", "-v", &self.name]);
    }
}

#[test]
fn the_image_is_small_static_and_configured_for_the_pi() {
    let image = image();
    let out = docker(&["image", "inspect", "--format", "{{.Size}} {{json .Config}}", image]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (size, config) = text.trim().split_once(' ').unwrap();
    let size: u64 = size.parse().unwrap();
    let config: Value = serde_json::from_str(config).unwrap();
    println!("image {image}: {size} bytes ({:.2} MiB)", size as f64 / 1048576.0);
    assert!(size < MAX_IMAGE_BYTES, "the image is {size} bytes, more than {MAX_IMAGE_BYTES}");

    assert_eq!(config["Healthcheck"]["Test"], json!(["CMD", "/chrontainer", "healthcheck"]));
    assert_eq!(config["Entrypoint"], json!(["/chrontainer"]));
    assert_eq!(config["StopSignal"], "SIGTERM");
    assert!(config["ExposedPorts"].get("5000/tcp").is_some(), "{config}");
    assert!(config["Volumes"].get("/data").is_some(), "{config}");
    let env: Vec<&str> = config["Env"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(env.contains(&"CHRONTAINER_DATA_DIR=/data"), "{env:?}");
}

#[test]
fn the_image_serves_health_containers_and_a_restart_through_the_socket() {
    let image = image();
    let target = TestContainer::run("image-target", &[]);
    let port = common::free_port();
    let running = Running::start(image, port);
    let app = Remote::new(format!("http://127.0.0.1:{port}"));

    let health =
        common::wait_for("the image's /healthz with Docker reachable", Duration::from_secs(60), || {
            app.try_get("/healthz")
                .filter(|(s, h)| *s == 200 && h["docker"]["status"] == "ok")
                .map(|(_, h)| h)
        });
    assert_eq!(health["database"], "ok", "{health}");
    assert!(health["docker"]["engine_version"].as_str().is_some_and(|v| !v.is_empty()), "{health}");

    common::wait_for(
        "Docker to call the container healthy (its HEALTHCHECK)",
        Duration::from_secs(60),
        || (running.inspect("{{.State.Health.Status}}") == "healthy").then_some(()),
    );

    let listed = common::wait_for("the test container in /api/containers", Duration::from_secs(30), || {
        let (status, list) = app.get("/api/containers");
        assert_eq!(status, 200, "{list}");
        list.as_array()?.iter().find(|c| c["name"] == target.name.as_str()).cloned()
    });
    assert_eq!(listed["state"], "running");

    let before = target.started_at();
    let (status, body) = app.post(&format!("/api/containers/{}/restart", target.name), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success", "{body}");
    assert_ne!(target.started_at(), before, "the container was really restarted");
    assert_eq!(target.state(), "running");

    // it finds its own container from the kernel (no setting) and will not stop or pause it
    for action in ["stop", "pause"] {
        let (status, body) = app.post(&format!("/api/containers/{}/{action}", running.name), json!({}));
        assert_eq!(status, 409, "{action} of itself: {body}");
        assert_eq!(body["error"]["code"], "self", "{body}");
    }
    assert_eq!(running.inspect("{{.State.Status}}"), "running");

    // STOPSIGNAL SIGTERM reaches Chrontainer as PID 1, and it exits cleanly.
    let out = docker(&["stop", "-t", "30", &running.name]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(running.inspect("{{.State.ExitCode}}"), "0");
}
