//! A private Docker Engine for tests that need a second host: its own data root, exec root (and
//! so its own containerd), pid file, unix socket and containerd namespace; no bridge and no
//! iptables, so it touches nothing of the machine's Engine. Optionally also on a loopback TCP
//! port, with TLS client certificates made by `openssl`. Stopped, and its files removed, when
//! dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test helper says what failed by panicking

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateDockerd {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    tls_args: Vec<String>,
    tcp: bool,
}

impl PrivateDockerd {
    /// On a unix socket and a loopback TCP port, plain HTTP.
    pub fn start() -> PrivateDockerd {
        Self::start_with(false)
    }

    /// On a unix socket only.
    pub fn unix() -> PrivateDockerd {
        Self::launch(false, false)
    }

    /// With `tls`, the TCP port requires TLS with client certificates, made by [`make_certs`] in
    /// `dir/certs` (ca.pem, cert.pem and key.pem there are the client's, as DOCKER_CERT_PATH wants).
    pub fn start_with(tls: bool) -> PrivateDockerd {
        Self::launch(true, tls)
    }

    fn launch(tcp: bool, tls: bool) -> PrivateDockerd {
        super::require_docker();
        let version = Command::new("dockerd").arg("--version").output();
        assert!(
            version.is_ok_and(|v| v.status.success()),
            "dockerd is missing: install it with `apt-get install docker.io` (see TESTING.md)"
        );
        // A short path: a unix socket's path must stay under 108 bytes.
        let dir = tempfile::Builder::new().prefix("ct-dd").tempdir_in("/tmp").unwrap();
        let port = super::free_port();
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
        let mut dockerd = PrivateDockerd { child: None, dir, port, tls_args, tcp };
        dockerd.resume();
        dockerd
    }

    /// Starts the daemon (again) on the same data: its containers with a restart policy come back.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the private dockerd is already running");
        let path = |p: &str| self.dir.path().join(p).to_str().unwrap().to_string();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(path("dockerd.log")).unwrap();
        let mut cmd = Command::new("dockerd");
        if self.tcp {
            cmd.args(["--host", &format!("tcp://127.0.0.1:{}", self.port)]);
        }
        let child = cmd
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
            .args(&self.tls_args)
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
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.cli(&["version"]).status.success() {
            let exited = self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            if Instant::now() > deadline || exited {
                panic!("the private dockerd did not start; its log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGTERM, and waits for the daemon to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// `unix:///tmp/…/docker.sock`.
    pub fn socket(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    /// The docker CLI, talking to this Engine over its private unix socket.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("--host")
            .arg(self.socket())
            .args(args)
            .output()
            .expect("cannot run the docker CLI")
    }

    /// The docker CLI's output, which must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    /// Copies the test image from the main Engine (nothing is pulled).
    pub fn load_test_image(&self) {
        let mut save = Command::new("docker")
            .args(["save", super::test_image()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run docker save");
        let out = Command::new("docker")
            .arg("--host")
            .arg(self.socket())
            .arg("load")
            .stdin(save.stdout.take().unwrap())
            .output()
            .expect("cannot run docker load");
        assert!(save.wait().is_ok_and(|s| s.success()), "docker save failed");
        assert!(out.status.success(), "docker load failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `docker run -d` of the test image's sleeper here, named `name`, with `extra` args.
    pub fn run_sleeper(&self, name: &str, extra: &[&str]) -> String {
        let mut run = vec!["run", "-d", "--network", "none", "--label", "chrontainer-test=1", "--name", name];
        run.extend_from_slice(extra);
        run.push(super::TEST_IMAGE);
        run.extend(super::SLEEPER);
        self.ok(&run)
    }

    /// Makes this Engine a one-node Swarm manager, on loopback ports of its own.
    pub fn swarm_init(&self) {
        let listen = format!("127.0.0.1:{}", super::free_port());
        let data_port = super::free_port().to_string();
        self.ok(&[
            "swarm",
            "init",
            "--advertise-addr",
            &listen,
            "--listen-addr",
            &listen,
            "--data-path-port",
            &data_port,
        ]);
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        self.stop();
        // vfs leaves plain directories; anything still mounted under the exec root is unmounted.
        let _ = Command::new("umount").args(["-R", "-l"]).arg(self.dir.path().join("exec")).output();
    }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, with openssl (EC keys: fast).
pub fn make_certs(dir: &Path) -> PathBuf {
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
