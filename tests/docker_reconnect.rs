//! The Engine going away and coming back, without restarting Chrontainer.
//!
//! Two tests run a private dockerd (its own socket, data and containerd), so they disturb nobody
//! and run with the rest: one stops it cleanly, one SIGKILLs it in the middle of a restart. The
//! last stops and starts the machine's own dockerd, which stops every container here, so it is
//! ignored unless asked for:
//! `cargo test --test docker_reconnect -- --ignored --test-threads 1`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{wait_for, App, TestContainer};
use serde_json::json;

fn answers(host: Option<&str>) -> bool {
    let mut cmd = Command::new("docker");
    if let Some(host) = host {
        cmd.args(["-H", host]);
    }
    cmd.arg("info").output().is_ok_and(|o| o.status.success())
}

/// Checks that the app reports the Engine gone: health, list, action, metrics.
fn assert_unreachable(app: &App, container: &str) {
    let health = wait_for("/healthz to say unreachable", Duration::from_secs(15), || {
        let (status, body) = app.get("/healthz");
        assert_eq!(status, 200, "Docker being down is reported, not fatal: {body}");
        (body["docker"]["status"] == "unreachable").then_some(body)
    });
    assert!(health["docker"]["error"].is_string(), "{health}");
    let (status, body) = app.get("/api/containers");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "docker_unreachable");
    let (status, body) = app.post(&format!("/api/containers/{container}/start"), json!({}));
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "docker_unreachable");
    assert!(app.get_text("/metrics").2.contains("chrontainer_docker_up 0"));
}

/// Waits for the app to reconnect on its own, then checks that actions work again.
fn assert_back(app: &App, container: &str, state: impl Fn() -> String) {
    wait_for("Chrontainer to reconnect by itself", Duration::from_secs(60), || {
        (app.get("/healthz").1["docker"]["status"] == "ok").then_some(())
    });
    let (status, one) = app.get(&format!("/api/containers/{container}"));
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["state"], state(), "the cache was resynchronised: {one}");
    let (status, body) = app.post(&format!("/api/containers/{container}/restart"), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success", "{body}");
    assert_eq!(state(), "running");
    assert!(app.get_text("/metrics").2.contains("chrontainer_docker_up 1"));
    assert!(app.output().contains("Docker is unreachable"), "the outage is in the log");
}

/// A dockerd of our own under a temporary directory, stopped and removed on drop.
struct PrivateDockerd {
    dir: PathBuf,
    child: Option<Child>,
    /// Data and exec roots of the current daemon: a fresh pair after a hard kill, whose leftovers
    /// (mounts held by orphaned shims) keep a daemon on the old pair from starting here.
    generation: u32,
}

impl PrivateDockerd {
    fn new() -> PrivateDockerd {
        // short: the socket path must fit in a sockaddr_un
        let dir =
            PathBuf::from(format!("/tmp/ctdd-{}", common::unique_name("r").rsplit('-').next().unwrap()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut d = PrivateDockerd { dir, child: None, generation: 0 };
        d.start();
        d
    }

    fn host(&self) -> String {
        format!("unix://{}/docker.sock", self.dir.display())
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("log")).unwrap();
        let d = self.dir.display();
        let g = self.generation;
        let child = Command::new("dockerd")
            .args(["-H", &self.host()])
            .args(["--data-root", &format!("{d}/data{g}"), "--exec-root", &format!("{d}/exec{g}")])
            .args(["--pidfile", &format!("{d}/pid{g}"), "--storage-driver", "vfs", "--bridge", "none"])
            .args(["--iptables=false", "--ip6tables=false", "--ip-masq=false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot run dockerd (apt-get install docker.io, see TESTING.md)");
        self.child = Some(child);
        let host = self.host();
        wait_for(&format!("a private dockerd to answer (see {d}/log)"), Duration::from_secs(60), || {
            answers(Some(&host)).then_some(())
        });
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGKILL to the daemon, its containerd and the shims (every process naming this Engine's
    /// directory), as `systemctl kill docker` or a crash would: no clean shutdown of anything.
    fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let pattern = format!("{}/", self.dir.display());
        let _ = Command::new("pkill").args(["-KILL", "-f", &pattern]).status();
        std::thread::sleep(Duration::from_millis(300));
        self.generation += 1;
    }

    fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker").args(["-H", &self.host()]).args(args).output().unwrap();
        assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The harness's test image, copied over from the machine's Engine.
    fn load_test_image(&self) {
        let mut save = Command::new("docker")
            .args(["save", common::test_image()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Command::new("docker")
            .args(["-H", &self.host(), "load"])
            .stdin(save.stdout.take().unwrap())
            .output()
            .unwrap();
        assert!(save.wait().unwrap().success(), "docker save failed");
        assert!(out.status.success(), "docker load: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_private_engine_going_away_is_reported_and_its_return_brings_actions_back() {
    let mut engine = PrivateDockerd::new();
    engine.load_test_image();
    let name = common::unique_name("reconnect");
    let mut run = vec!["run", "-d", "--network", "none", "--label", "chrontainer-test=1", "--name", &name];
    run.push(common::TEST_IMAGE);
    run.extend(common::SLEEPER);
    let id = engine.docker(&run);
    let host = engine.host();
    let app = App::start_with(&[("DOCKER_HOST", &host)]);
    let (status, one) = app.get(&format!("/api/containers/{name}"));
    assert_eq!(status, 200, "{one}");
    assert_eq!((one["id"].as_str(), one["state"].as_str()), (Some(id.as_str()), Some("running")));

    engine.stop();
    assert_unreachable(&app, &name);
    engine.start();
    assert_back(&app, &name, || engine.docker(&["inspect", "--format", "{{.State.Status}}", &id]));
}

#[test]
fn dockerd_killed_in_the_middle_of_a_restart_is_a_logged_error_and_actions_come_back() {
    let mut engine = PrivateDockerd::new();
    engine.load_test_image();
    let name = common::unique_name("killed");
    // PID 1 without a SIGTERM handler ignores it: the restart waits for the stop timeout, so the
    // kill below lands in the middle of it
    let run = ["run", "-d", "--network", "none", "--label", "chrontainer-test=1", "--name", &name];
    let id = engine.docker(&[&run[..], &[common::TEST_IMAGE, "sleep", "1000"]].concat());
    let host = engine.host();
    let app =
        std::sync::Arc::new(App::start_with(&[("DOCKER_HOST", &host), ("CHRONTAINER_STOP_TIMEOUT", "5")]));
    assert_eq!(app.get(&format!("/api/containers/{name}")).0, 200);

    let restart = {
        let (app, name) = (app.clone(), name.clone());
        std::thread::spawn(move || app.post(&format!("/api/containers/{name}/restart"), json!({})))
    };
    std::thread::sleep(Duration::from_millis(1500));
    engine.kill_hard();
    let (status, body) = restart.join().unwrap();
    assert!(status == 502 || status == 503, "the interrupted restart must fail and say so: {status} {body}");
    let (_, page) = app.get(&format!("/api/logs?container={name}&action=restart"));
    assert_eq!(page["items"][0]["status"], "error", "the interrupted restart is logged: {page}");

    assert_unreachable(&app, &name);
    // an Engine answers on the same socket again (a fresh one: see PrivateDockerd::generation)
    engine.start();
    engine.load_test_image();
    let again = common::unique_name("killed-again");
    let run = ["run", "-d", "--network", "none", "--label", "chrontainer-test=1", "--name", &again];
    let new_id = engine.docker(&[&run[..], &[common::TEST_IMAGE], &common::SLEEPER[..]].concat());
    assert_back(&app, &again, || engine.docker(&["inspect", "--format", "{{.State.Status}}", &new_id]));
    // the resync dropped what the crashed Engine had
    assert_eq!(app.get(&format!("/api/containers/{id}")).0, 404);
}

/// Whatever happens in the test, the machine's dockerd runs again afterwards.
struct RestartDockerdOnDrop;

fn start_system_dockerd() {
    let log = std::fs::OpenOptions::new().create(true).append(true).open("/tmp/dockerd.log").unwrap();
    // its own session (forked, so setsid returns at once): it outlives the test and ignores
    // the terminal's signals
    let started = Command::new("setsid")
        .args(["--fork", "dockerd"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .status()
        .expect("cannot start dockerd");
    assert!(started.success());
    wait_for("dockerd to answer again (see /tmp/dockerd.log)", Duration::from_secs(60), || {
        answers(None).then_some(())
    });
}

fn system_dockerd_pid() -> Option<String> {
    let out = Command::new("pgrep").args(["-x", "dockerd"]).output().ok()?;
    // the machine's dockerd is the one started without arguments (private ones have many)
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).filter(|a| !a.is_empty()).count() == 1)
        })
        .map(str::to_string)
}

impl Drop for RestartDockerdOnDrop {
    fn drop(&mut self) {
        if system_dockerd_pid().is_none() {
            start_system_dockerd();
        }
    }
}

#[test]
#[ignore = "stops the machine's own dockerd (and every container on it): run alone with --ignored"]
fn stopping_the_machines_dockerd_is_reported_and_starting_it_brings_actions_back() {
    common::require_docker();
    let c = TestContainer::run("reconnect-system", &[]);
    let app = App::start();
    assert_eq!(app.get("/healthz").1["docker"]["status"], "ok");

    let _restart = RestartDockerdOnDrop;
    let pid =
        system_dockerd_pid().expect("no dockerd started as `dockerd` (is it under systemd? see TESTING.md)");
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    wait_for("dockerd to exit", Duration::from_secs(60), || system_dockerd_pid().is_none().then_some(()));
    assert_unreachable(&app, &c.name);
    start_system_dockerd();
    assert_back(&app, &c.name, || c.state());
}
