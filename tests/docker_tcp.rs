//! `DOCKER_HOST=tcp://…`, as with a socket proxy: a second, private Docker Engine listening on a
//! loopback TCP port (beside the main one, sharing nothing with it), and Chrontainer pointed at it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

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
        Self::start_with(false)
    }

    /// With `tls`, the Engine requires TLS with client certificates, made by [`make_certs`] in
    /// `dir/certs` (ca.pem, cert.pem and key.pem there are the client's, as DOCKER_CERT_PATH wants).
    fn start_with(tls: bool) -> PrivateDockerd {
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
        let tls_args: Vec<String> = if tls {
            let certs = make_certs(&dir.path().join("certs"));
            let c = |f: &str| certs.join(f).to_str().unwrap().to_string();
            vec![
                "--tlsverify".into(),
                format!("--tlscacert={}", c("ca.pem")),
                format!("--tlscert={}", c("server-cert.pem")),
                format!("--tlskey={}", c("server-key.pem")),
            ]
        } else {
            vec!["--tls=false".into()]
        };
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
            .args(["--ip-masq=false"])
            .args(&tls_args)
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

    /// The docker CLI, talking to this Engine over its private unix socket.
    fn cli(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("--host")
            .arg(format!("unix://{}", self.dir.path().join("docker.sock").display()))
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
            .arg(format!("unix://{}", self.dir.path().join("docker.sock").display()))
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

/// A CA, a server certificate for 127.0.0.1 and a client certificate, with openssl (EC keys: fast).
fn make_certs(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl is missing: install it with `apt-get install openssl`");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let key = |name: &str| openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name]);
    key("ca-key.pem");
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca-key.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-out",
        "ca.pem",
    ]);
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (who, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        key(&format!("{who}-key.pem"));
        openssl(&[
            "req",
            "-new",
            "-key",
            &format!("{who}-key.pem"),
            "-subj",
            &format!("/CN={who}"),
            "-out",
            &format!("{who}.csr"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{who}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext,
            "-out",
            &format!("{who}-cert.pem"),
        ]);
    }
    std::fs::copy(dir.join("client-cert.pem"), dir.join("cert.pem")).unwrap();
    std::fs::copy(dir.join("client-key.pem"), dir.join("key.pem")).unwrap();
    dir.to_path_buf()
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
