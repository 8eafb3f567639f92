//! The harness of the integration tests: a real Docker Engine, locally built test images, and the
//! real binary started on port 0 with a temporary data directory.
#![allow(dead_code)]

pub mod dockerd;
pub mod sink;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The image every test container runs: a static busybox, built here, never pulled.
pub const TEST_IMAGE: &str = "chrontainer-test-busybox:latest";
/// A command that exits at once on SIGTERM, so stops and restarts take no stop timeout.
pub const SLEEPER: [&str; 3] = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"];

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run the docker CLI ({e}): install it with `apt-get install docker.io` (see TESTING.md)"
        )
    })
}

/// Panics with what is missing and how to get it when no Docker Engine answers.
pub fn require_docker() {
    let out = docker(&["info", "--format", "{{.ServerVersion}}"]);
    assert!(
        out.status.success(),
        "no Docker Engine answers: start one with `dockerd > /tmp/dockerd.log 2>&1 &` (see TESTING.md); docker said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the test image once (from the static busybox of Debian's busybox-static) if it is missing.
pub fn test_image() -> &'static str {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        require_docker();
        if docker(&["image", "inspect", TEST_IMAGE]).status.success() {
            return;
        }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("no static busybox: install it with `apt-get install busybox-static` (see TESTING.md)");
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("bin")).unwrap();
        std::fs::copy(busybox, root.path().join("bin/busybox")).unwrap();
        for applet in ["sh", "sleep", "true", "false", "echo", "cat", "ls"] {
            std::os::unix::fs::symlink("busybox", root.path().join("bin").join(applet)).unwrap();
        }
        let mut tar = Command::new("tar")
            .args(["-C", root.path().to_str().unwrap(), "-c", "."])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Command::new("docker")
            .args(["import", "-", TEST_IMAGE])
            .stdin(tar.stdout.take().unwrap())
            .output()
            .unwrap();
        tar.wait().unwrap();
        // another test process may have imported it at the same moment: only fail if it is still missing
        assert!(
            out.status.success() || docker(&["image", "inspect", TEST_IMAGE]).status.success(),
            "docker import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    TEST_IMAGE
}

/// A name no other test (or earlier run) uses.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("ct-{prefix}-{}-{}-{nanos:x}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A real container, removed (forcibly) when dropped, even when the test fails.
pub struct TestContainer {
    pub name: String,
    pub id: String,
}

impl TestContainer {
    /// `docker run -d --network none` the test image with the sleeper command and `extra` args
    /// (placed before the image, e.g. labels or `--health-cmd`).
    pub fn run(prefix: &str, extra: &[&str]) -> TestContainer {
        Self::with("run", &["-d"], prefix, extra, &SLEEPER)
    }

    /// `docker create` (state `created`, never started).
    pub fn create(prefix: &str, extra: &[&str]) -> TestContainer {
        Self::with("create", &[], prefix, extra, &SLEEPER)
    }

    /// `docker create` with a custom command.
    pub fn create_cmd(prefix: &str, extra: &[&str], cmd: &[&str]) -> TestContainer {
        Self::with("create", &[], prefix, extra, cmd)
    }

    /// `docker run -d` with a custom command.
    pub fn run_cmd(prefix: &str, extra: &[&str], cmd: &[&str]) -> TestContainer {
        Self::with("run", &["-d"], prefix, extra, cmd)
    }

    fn with(verb: &str, flags: &[&str], prefix: &str, extra: &[&str], cmd: &[&str]) -> TestContainer {
        let image = test_image();
        let name = unique_name(prefix);
        let mut args = vec![verb];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--network", "none", "--label", "chrontainer-test=1", "--name", &name]);
        args.extend_from_slice(extra);
        args.push(image);
        args.extend_from_slice(cmd);
        let out = docker(&args);
        assert!(out.status.success(), "docker {verb} failed: {}", String::from_utf8_lossy(&out.stderr));
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        TestContainer { name, id }
    }

    /// `docker inspect --format TEMPLATE`, trimmed.
    pub fn inspect(&self, template: &str) -> String {
        let out = docker(&["inspect", "--format", template, &self.id]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn state(&self) -> String {
        self.inspect("{{.State.Status}}")
    }

    pub fn started_at(&self) -> String {
        self.inspect("{{.State.StartedAt}}")
    }

    /// Runs a docker CLI verb on this container (`stop`, `pause`, …).
    pub fn docker(&self, verb: &str) {
        let out = docker(&[verb, &self.id]);
        assert!(out.status.success(), "docker {verb} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", "-v", &self.id]);
    }
}

/// The real binary, running with a temporary data directory on 127.0.0.1 and a port the OS chose.
pub struct App {
    pub base_url: String,
    child: Child,
    pub data_dir: Arc<tempfile::TempDir>,
    /// Everything the process wrote to stderr so far.
    pub output: Arc<Mutex<String>>,
}

impl App {
    /// With authentication off.
    pub fn start() -> App {
        Self::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> App {
        Self::start_in(Arc::new(tempfile::tempdir().unwrap()), env)
    }

    /// Starts on an existing data directory (to test a restart).
    pub fn start_in(data_dir: Arc<tempfile::TempDir>, env: &[(&str, &str)]) -> App {
        Self::try_start_in(data_dir, env).unwrap_or_else(|out| panic!("chrontainer did not start:\n{out}"))
    }

    /// Starts, or returns what the process printed if it exited (or never said where it listens).
    pub fn try_start_in(data_dir: Arc<tempfile::TempDir>, env: &[(&str, &str)]) -> Result<App, String> {
        Self::try_start_with_args(data_dir, env, &[])
    }

    /// As [`App::try_start_in`], with command-line arguments.
    pub fn try_start_with_args(
        data_dir: Arc<tempfile::TempDir>,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Result<App, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chrontainer"));
        cmd.args(args)
            .env("CHRONTAINER_LISTEN", "127.0.0.1:0")
            .env("CHRONTAINER_DATA_DIR", data_dir.path())
            .env("CHRONTAINER_AUTH", "none")
            // the tests fire six-field schedules every few seconds; the default minimum is 10 s
            .env("CHRONTAINER_MIN_INTERVAL", "1")
            .env("RUST_LOG", "info")
            .env_remove("TZ")
            .env_remove("CHRONTAINER_TIMEZONE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("cannot start the chrontainer binary");
        let stderr = child.stderr.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_string());
                }
                out.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => Ok(App { base_url: format!("http://{addr}"), child, data_dir, output }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                Err(output.lock().unwrap().clone())
            }
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    }

    fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut resp = resp.expect("request failed");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::answer(Self::agent().get(format!("{}{path}", self.base_url)).call())
    }

    /// GET returning the status, the headers and the body as text (pages, metrics).
    pub fn get_text(&self, path: &str) -> (u16, ureq::http::HeaderMap, String) {
        let mut resp = Self::agent().get(format!("{}{path}", self.base_url)).call().expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.body_mut().read_to_string().unwrap_or_default())
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        Self::answer(Self::agent().post(format!("{}{path}", self.base_url)).send_json(body))
    }

    /// POST with a raw body (malformed JSON and the like).
    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        Self::answer(
            Self::agent()
                .post(format!("{}{path}", self.base_url))
                .header("Content-Type", "application/json")
                .send(body),
        )
    }

    pub fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        Self::answer(Self::agent().patch(format!("{}{path}", self.base_url)).send_json(body))
    }

    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        Self::answer(Self::agent().put(format!("{}{path}", self.base_url)).send_json(body))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        Self::answer(Self::agent().delete(format!("{}{path}", self.base_url)).call())
    }

    /// Sends SIGTERM and waits for the exit code.
    /// The process's resident memory now, in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/PID/status");
        line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS in kB")
    }

    pub fn terminate(mut self) -> Option<i32> {
        unsafe_kill(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

fn unsafe_kill(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---- authentication helpers (tests/auth.rs, tests/security.rs) ----

/// The admin password the secured test instances start with.
pub const ADMIN_PASSWORD: &str = "test admin password 1";

/// An answer with everything a security test looks at; redirects are not followed.
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `code` of an API error body, or "" when there is none.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or("").to_string()
    }
}

/// A signed-in browser: its cookie (`name=value`) and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl App {
    /// With authentication on and `admin` / [`ADMIN_PASSWORD`].
    pub fn start_secured(env: &[(&str, &str)]) -> App {
        let mut all = vec![("CHRONTAINER_AUTH", "password"), ("CHRONTAINER_ADMIN_PASSWORD", ADMIN_PASSWORD)];
        all.extend_from_slice(env);
        Self::start_with(&all)
    }

    /// Any method, extra headers, an optional body; redirects are returned, not followed.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut builder =
            ureq::http::Request::builder().method(method).uri(format!("{}{path}", self.base_url));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut resp = match body {
            Some(body) => agent.run(builder.body(body.to_vec()).expect("a valid request")),
            None => agent.run(builder.body(()).expect("a valid request")),
        }
        .expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Reply { status, headers, text }
    }

    /// A request as the signed-in browser makes it: cookie, CSRF token, same Origin, and a JSON
    /// content type when there is a body.
    pub fn as_browser(&self, session: &Session, method: &str, path: &str, body: Option<&[u8]>) -> Reply {
        let mut headers = vec![("Cookie", session.cookie.as_str()), ("Origin", self.base_url.as_str())];
        if !matches!(method, "GET" | "HEAD") {
            headers.push(("X-CSRF-Token", session.csrf.as_str()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.request(method, path, &headers, body)
    }

    /// A request with `Authorization: Bearer token` (and a JSON content type when there is a body).
    pub fn as_token(&self, token: &str, method: &str, path: &str, body: Option<&[u8]>) -> Reply {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.request(method, path, &headers, body)
    }

    /// Posts the login form; the raw answer (303 with a cookie on success).
    pub fn try_login(&self, username: &str, password: &str) -> Reply {
        let form = format!("username={}&password={}&next=%2F", form_encode(username), form_encode(password));
        self.request(
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", &self.base_url)],
            Some(form.as_bytes()),
        )
    }

    /// Signs in through the login form and reads the session's CSRF token from `/api/users/me`.
    pub fn login(&self, username: &str, password: &str) -> Session {
        let reply = self.try_login(username, password);
        assert_eq!(reply.status, 303, "sign-in as {username} failed: {}", reply.text);
        let set_cookie = reply.header("set-cookie").expect("no Set-Cookie after sign-in");
        let cookie = set_cookie.split(';').next().unwrap().trim().to_string();
        let me = self.request("GET", "/api/users/me", &[("Cookie", &cookie)], None);
        assert_eq!(me.status, 200, "{}", me.text);
        let csrf = me.json()["csrf_token"].as_str().expect("no csrf_token for a session").to_string();
        Session { cookie, csrf }
    }

    /// Signs in as admin and creates an API token with `role` (`read` or `full`); returns its secret.
    pub fn token(&self, admin: &Session, name: &str, role: &str) -> String {
        let body = serde_json::json!({ "name": name, "role": role }).to_string();
        let reply = self.as_browser(admin, "POST", "/api/tokens", Some(body.as_bytes()));
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()["token"].as_str().unwrap().to_string()
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Chrontainer the harness did not start itself (in a container, on another host address),
/// driven by its base URL.
pub struct Remote {
    pub base_url: String,
}

impl Remote {
    pub fn new(base_url: impl Into<String>) -> Remote {
        Remote { base_url: base_url.into() }
    }

    /// GET, or `None` while nothing answers (still starting).
    pub fn try_get(&self, path: &str) -> Option<(u16, Value)> {
        let resp = App::agent().get(format!("{}{path}", self.base_url)).call().ok()?;
        Some(App::answer(Ok(resp)))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        App::answer(App::agent().get(format!("{}{path}", self.base_url)).call())
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        App::answer(App::agent().post(format!("{}{path}", self.base_url)).send_json(body))
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot be told port 0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
