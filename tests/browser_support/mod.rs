//! What the browser tests share (tests/browser.rs, tests/browser_login.rs): a chromedriver on a free
//! port in its own process group, a WebDriver session on a fresh headless Chromium, and the waits,
//! clicks and screenshots the tests are written in (TESTING.md).
//!
//! One chromedriver (and so one Chromium) per test, killed when the test ends, pass or fail. The
//! tests of one file take turns (a static mutex), so a test binary never runs more than one browser
//! at a time. Screenshots go to `test-artifacts/screenshots/`; a failed wait leaves one in
//! `test-artifacts/browser-failures/`.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::{self, wait_for, App};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page condition may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// One browser at a time in this process: Chromium is heavy on a 2-core machine.
pub static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Runs an async test body on its own runtime, with this process's browser slot held.
pub fn browser_test<F: Future<Output = ()>>(body: impl FnOnce() -> F) {
    let _turn = ONE_BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(body());
}

pub fn artifacts(folder: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts").join(folder);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A chromedriver process (leader of its own process group, so the Chromium it starts goes with it)
/// and the fresh profile directory its browser uses.
pub struct Driver {
    child: Child,
    pub port: u16,
    log: PathBuf,
    pub profile: tempfile::TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")] {
            assert!(
                Path::new(path).exists(),
                "the browser tests need {what} at {path}: install it with \
                 `apt-get install chromium chromium-driver` (see TESTING.md; .ci/run does it)"
            );
        }
        use std::os::unix::process::CommandExt;
        let profile = tempfile::tempdir().unwrap();
        let log = profile.path().join("chromedriver.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {CHROMEDRIVER} ({e}): `apt-get install chromium-driver`")
            });
        let mut driver = Driver { child, port, log, profile };
        wait_for("chromedriver to listen", Duration::from_secs(20), || {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited at once ({status}): {}", driver.log_tail());
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        driver
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // the whole group: chromedriver and the browser processes it started
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session on a fresh headless Chromium, pointed at one running Chrontainer.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Driver,
}

impl Browser {
    pub async fn start(app: &App) -> Browser {
        Self::start_with(app, false).await
    }

    /// `bfcache`: keep Chromium's back/forward cache on. The other tests turn it off: app.js leaves
    /// a page's EventSource open while the page sits in that cache, so after six page loads Chromium's
    /// six connections per host are all taken and the next load stalls for about a minute (see
    /// `switching_pages_again_and_again_never_stalls`).
    pub async fn start_with(app: &App, bfcache: bool) -> Browser {
        let driver = Driver::start();
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--no-first-run".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1440,900".into(),
            format!("--user-data-dir={}", driver.profile.path().join("profile").display()),
        ];
        if !bfcache {
            args.push("--disable-features=BackForwardCache".into());
        }
        let capabilities = json!({
            "browserName": "chrome",
            // an alert stays open, so the XSS test can see it
            "unhandledPromptBehavior": "ignore",
            // a page that does not load fails the test instead of waiting five minutes
            "timeouts": {"pageLoad": WAIT.as_millis() as u64, "script": WAIT.as_millis() as u64},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!("no WebDriver session ({e}); chromedriver said:\n{}", driver.log_tail())
            });
        let browser = Browser { client, base: app.base_url.clone(), driver };
        browser.resize(1440, 900).await;
        browser
    }

    /// Ends the session (Chromium quits); the driver is killed on drop either way.
    pub async fn quit(self) {
        let Browser { client, driver, .. } = self;
        let _ = client.close().await;
        drop(driver);
    }

    /// Loads a page and waits until its scripts run and its live updates are connected.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        if let Err(e) = self.client.goto(&url).await {
            self.fail(&format!("cannot open {url}: {e}")).await;
        }
        self.live().await;
    }

    /// Waits until the current page's scripts run and its live updates are connected.
    pub async fn live(&self) {
        self.wait(
            "the page's scripts and live updates (#live-status says Live)",
            "const live = document.getElementById('live-status');
             return !!window.Chrontainer && !!live && !live.hidden && live.textContent === 'Live';",
        )
        .await;
    }

    /// Loads a page that has no live updates (the login page) or that redirects, and waits until it
    /// has loaded; returns the path (and query) the browser ended up at.
    pub async fn goto(&self, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        if let Err(e) = self.client.goto(&url).await {
            self.fail(&format!("cannot open {url}: {e}")).await;
        }
        self.loaded().await
    }

    /// Waits until the current document has loaded and its deferred scripts ran; returns its path
    /// and query.
    pub async fn loaded(&self) -> String {
        let at = self
            .wait(
                "the page to load",
                "return document.readyState === 'complete' && location.pathname + location.search;",
            )
            .await;
        at.as_str().unwrap_or_default().to_string()
    }

    /// Runs `script` (a function body) in the page; it ends by calling `arguments[arguments.length
    /// - 1]` with its answer (fantoccini's `execute_async`), within the session's script timeout.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute_async(script, args).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("async script failed ({e}): {script}")).await,
        }
    }

    /// The value of the browser's cookie `name` for this site, `None` when it has none.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        match self.client.get_all_cookies().await {
            Ok(cookies) => cookies.iter().find(|c| c.name() == name).map(|c| c.value().to_string()),
            Err(e) => self.fail(&format!("cannot read the cookies: {e}")).await,
        }
    }

    /// Sets the viewport (not the window) to `width`×`height` CSS pixels. Headless Chromium draws no
    /// browser bars but still counts them in the window's size: measure that difference, then aim.
    pub async fn resize(&self, width: u32, height: u32) {
        let inner = || async {
            let v = self.js("return [window.innerWidth, window.innerHeight];").await;
            (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0))
        };
        let (ow, oh) = self.client.get_window_size().await.expect("get the window size");
        let (iw, ih) = inner().await;
        let (dw, dh) = (ow as i64 - iw, oh as i64 - ih);
        let (w, h) = ((width as i64 + dw).max(1) as u32, (height as i64 + dh).max(1) as u32);
        self.client.set_window_size(w, h).await.expect("set the window size");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = inner().await;
            if now == (width as i64, height as i64) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("the viewport is {now:?}, not {width}×{height} (window {w}×{h})")).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn js(&self, script: &str) -> Value {
        self.js_with(script, vec![]).await
    }

    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute(script, args).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("script failed ({e}): {script}")).await,
        }
    }

    /// Polls `script` (a function body; `arguments[i]` are `args`) until it returns a truthy value.
    pub async fn wait_with(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self.client.execute(script, args.clone()).await {
                Ok(v) if truthy(&v) => return v,
                Ok(v) => v.to_string(),
                Err(e) => format!("script error: {e}"),
            };
            if Instant::now() > deadline {
                self.fail(&format!("timed out after {WAIT:?} waiting for {what} (last answer: {last})"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait(&self, what: &str, script: &str) -> Value {
        self.wait_with(what, script, vec![]).await
    }

    /// Clicks the element `css` selects, as a user does (scrolled into view, must be clickable);
    /// retried while it is missing, replaced by a live refresh, or covered.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let result = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => self.fail(&format!("cannot click {css}: {e}")).await,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Replaces the text of the input `css` with `text`, typed key by key.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => self.fail(&format!("no {css} to type into: {e}")).await,
        };
        element.clear().await.expect("clear the field");
        element.send_keys(text).await.expect("type into the field");
    }

    /// Waits for the confirmation dialog, checks its question names `subject`, and confirms.
    pub async fn confirm(&self, subject: &str) -> String {
        let question = self
            .wait(
                "the confirmation dialog",
                "const d = document.getElementById('confirm-dialog');
                 return d.open && document.getElementById('confirm-title').textContent;",
            )
            .await;
        let question = question.as_str().unwrap_or_default().to_string();
        assert!(question.contains(subject), "the question {question:?} should name {subject:?}");
        self.click("#confirm-ok").await;
        self.wait(
            "the confirmation dialog to close",
            "return !document.getElementById('confirm-dialog').open",
        )
        .await;
        question
    }

    /// Waits for a message (toast) that contains `text`, and returns it.
    pub async fn toast(&self, text: &str) -> String {
        let found = self
            .wait_with(
                &format!("a message containing {text:?}"),
                "return Array.from(document.querySelectorAll('#toasts .toast'), t => t.textContent)
                     .find(t => t.includes(arguments[0])) || null;",
                vec![json!(text)],
            )
            .await;
        found.as_str().unwrap_or_default().to_string()
    }

    /// Marks the current document; [`Browser::assert_not_reloaded`] checks the mark is still there.
    pub async fn mark_document(&self) {
        self.js("window.__notReloaded = true;").await;
    }

    pub async fn assert_not_reloaded(&self) {
        assert_eq!(
            self.js("return window.__notReloaded === true;").await,
            json!(true),
            "the page was reloaded; it should have changed in place"
        );
    }

    pub async fn screenshot(&self, path: &Path) {
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => self.fail(&format!("no screenshot: {e}")).await,
        };
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Fails the test with what the page showed, leaving a screenshot behind.
    pub async fn fail(&self, message: &str) -> ! {
        let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let text = self
            .client
            .execute("return document.body ? document.body.innerText : '';", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let shot = artifacts("browser-failures").join(format!("{}.png", common::unique_name("failure")));
        let saved = match self.client.screenshot().await {
            Ok(png) => std::fs::write(&shot, png).map(|_| shot.display().to_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let excerpt: String = text.chars().take(3000).collect();
        panic!("{message}\n  page: {url}\n  screenshot: {saved}\n  page text:\n{excerpt}");
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The state badge's text of the dashboard row of container `arguments[0]`, or null.
pub const BADGE: &str = "const row = document.getElementById('c-' + arguments[0]);
    const badge = row && row.querySelector('.ctr-state .badge');
    return badge ? badge.textContent.trim() : null;";

/// True when the state badge of container `arguments[0]` says `arguments[1]`.
pub const BADGE_SAYS: &str = "const row = document.getElementById('c-' + arguments[0]);
    const badge = row && row.querySelector('.ctr-state .badge');
    return !!badge && badge.textContent.trim() === arguments[1];";
