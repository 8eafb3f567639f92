//! `DOCKER_HOST=tcp://…`, as with a socket proxy: a second, private Docker Engine listening on a
//! loopback TCP port (beside the main one, sharing nothing with it), and Chrontainer pointed at it.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::App;
use serde_json::json;

/// A dockerd of its own: its own data root, exec root (and so its own containerd), pid file, unix
/// socket and containerd namespace; no bridge and no iptables, so it touches nothing of the main
/// Engine's. Stopped, and its files removed, when dropped.
struct PrivateDockerd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateDockerd {
    fn start() -> PrivateDockerd {
        common::require_docker();
        let version = Command::new("dockerd").arg("--version").output();
        assert!(
            version.is_ok_and(|v| v.status.success()),
            "dockerd is missing: install it with `apt-get install docker.io` (see TESTING.md)"
        );
        // A short path: a unix socket's path must stay under 108 bytes.
        let dir = tempfile::Builder::new().prefix("ct-dd").tempdir_in("/tmp").unwrap();
        let port = common::free_port();
        let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
        let log = std::fs::File::create(dir.path().join("dockerd.log")).unwrap();
        let child = Command::new("dockerd")
            .args(["--host", &format!("tcp://127.0.0.1:{port}")])
            .args(["--host", &format!("unix://{}", path("docker.sock"))])
            .args([
                "--data-root",
                &path("root"),
                "--exec-root",
                &path("exec"),
                "--pidfile",
                &path("dockerd.pid"),
            ])
            .args(["--storage-driver", "vfs", "--bridge", "none", "--iptables=false", "--ip6tables=false"])
            .args(["--ip-masq=false", "--tls=false"])
            .args([
                "--containerd-namespace",
                "chrontainer-test",
                "--containerd-plugins-namespace",
                "chrontainer-test-p",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start dockerd");
        let mut dockerd = PrivateDockerd { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !dockerd.cli(&["version"]).status.success() {
            if Instant::now() > deadline || matches!(dockerd.child.try_wait(), Ok(Some(_))) {
                panic!("the private dockerd did not start; its log:\n{}", dockerd.log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        dockerd
    }

    fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The docker CLI, talking to this Engine over TCP.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("--host")
            .arg(self.host())
            .args(args)
            .output()
            .expect("cannot run the docker CLI")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    /// Copies the test image from the main Engine (nothing is pulled).
    fn load_test_image(&self) {
        let mut save = Command::new("docker")
            .args(["save", common::test_image()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run docker save");
        let out = Command::new("docker")
            .arg("--host")
            .arg(self.host())
            .arg("load")
            .stdin(save.stdout.take().unwrap())
            .output()
            .expect("cannot run docker load");
        assert!(save.wait().is_ok_and(|s| s.success()), "docker save failed");
        assert!(out.status.success(), "docker load failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // vfs leaves plain directories; anything still mounted under the exec root is unmounted.
        let _ = Command::new("umount").args(["-R", "-l"]).arg(self.dir.path().join("exec")).output();
    }
}

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
