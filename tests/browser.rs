//! Browser tests: headless Chromium driven through WebDriver (chromedriver), clicking through the
//! real dashboard served by the real binary, acting on real containers (TESTING.md, issue 6).
//!
//! One chromedriver (and so one Chromium) per test, on a free port, in its own process group that is
//! killed when the test ends, pass or fail. The tests take turns (a static mutex), so this file never
//! runs more than one browser at a time. Screenshots go to `test-artifacts/screenshots/`; a failed wait
//! leaves one in `test-artifacts/browser-failures/`.

mod common;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{wait_for, App, TestContainer};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

/// One browser at a time in this process: Chromium is heavy on a 2-core machine.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Runs an async test body on its own runtime, with this process's browser slot held.
fn browser_test<F: Future<Output = ()>>(body: impl FnOnce() -> F) {
    let _turn = ONE_BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(body());
}

fn artifacts(folder: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts").join(folder);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A chromedriver process (leader of its own process group, so the Chromium it starts goes with it)
/// and the fresh profile directory its browser uses.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
    profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
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

    fn log_tail(&self) -> String {
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
struct Browser {
    client: Client,
    base: String,
    driver: Driver,
}

impl Browser {
    async fn start(app: &App) -> Browser {
        Self::start_with(app, false).await
    }

    /// `bfcache`: keep Chromium's back/forward cache on. The other tests turn it off: app.js leaves
    /// a page's EventSource open while the page sits in that cache, so after six page loads Chromium's
    /// six connections per host are all taken and the next load stalls for about a minute (see
    /// `switching_pages_again_and_again_never_stalls`).
    async fn start_with(app: &App, bfcache: bool) -> Browser {
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
    async fn quit(self) {
        let Browser { client, driver, .. } = self;
        let _ = client.close().await;
        drop(driver);
    }

    /// Loads a page and waits until its scripts run and its live updates are connected.
    async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        if let Err(e) = self.client.goto(&url).await {
            self.fail(&format!("cannot open {url}: {e}")).await;
        }
        self.wait(
            "the page's scripts and live updates (#live-status says Live)",
            "const live = document.getElementById('live-status');
             return !!window.Chrontainer && !!live && !live.hidden && live.textContent === 'Live';",
        )
        .await;
    }

    /// Sets the viewport (not the window) to `width`×`height` CSS pixels. Headless Chromium draws no
    /// browser bars but still counts them in the window's size: measure that difference, then aim.
    async fn resize(&self, width: u32, height: u32) {
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

    async fn js(&self, script: &str) -> Value {
        self.js_with(script, vec![]).await
    }

    async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client.execute(script, args).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("script failed ({e}): {script}")).await,
        }
    }

    /// Polls `script` (a function body; `arguments[i]` are `args`) until it returns a truthy value.
    async fn wait_with(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
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

    async fn wait(&self, what: &str, script: &str) -> Value {
        self.wait_with(what, script, vec![]).await
    }

    /// Clicks the element `css` selects, as a user does (scrolled into view, must be clickable);
    /// retried while it is missing, replaced by a live refresh, or covered.
    async fn click(&self, css: &str) {
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
    async fn type_into(&self, css: &str, text: &str) {
        let element = match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => self.fail(&format!("no {css} to type into: {e}")).await,
        };
        element.clear().await.expect("clear the field");
        element.send_keys(text).await.expect("type into the field");
    }

    /// Waits for the confirmation dialog, checks its question names `subject`, and confirms.
    async fn confirm(&self, subject: &str) -> String {
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
    async fn toast(&self, text: &str) -> String {
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
    async fn mark_document(&self) {
        self.js("window.__notReloaded = true;").await;
    }

    async fn assert_not_reloaded(&self) {
        assert_eq!(
            self.js("return window.__notReloaded === true;").await,
            json!(true),
            "the page was reloaded; it should have changed in place"
        );
    }

    async fn screenshot(&self, path: &Path) {
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => self.fail(&format!("no screenshot: {e}")).await,
        };
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Fails the test with what the page showed, leaving a screenshot behind.
    async fn fail(&self, message: &str) -> ! {
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

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Creates a schedule over the API and returns its id.
fn create_schedule(app: &App, body: Value) -> i64 {
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    schedule["id"].as_i64().expect("a schedule id")
}

fn schedule_enabled(app: &App, id: i64) -> Option<bool> {
    let (status, schedule) = app.get(&format!("/api/schedules/{id}"));
    assert_eq!(status, 200, "{schedule}");
    schedule["enabled"].as_bool()
}

/// The state badge's text of the dashboard row of container `arguments[0]`, or null.
const BADGE: &str = "const row = document.getElementById('c-' + arguments[0]);
    const badge = row && row.querySelector('.ctr-state .badge');
    return badge ? badge.textContent.trim() : null;";

/// True when the state badge of container `arguments[0]` says `arguments[1]`.
const BADGE_SAYS: &str = "const row = document.getElementById('c-' + arguments[0]);
    const badge = row && row.querySelector('.ctr-state .badge');
    return !!badge && badge.textContent.trim() === arguments[1];";

#[test]
fn a_schedule_is_created_through_the_form_with_a_live_preview() {
    browser_test(|| async {
        let c = TestContainer::run("br-form", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the container on the dashboard",
            "return !!document.getElementById('c-' + arguments[0]);",
            vec![json!(c.id)],
        )
        .await;

        b.click("#new-schedule").await;
        b.wait("the schedule dialog to open", "return document.getElementById('schedule-dialog').open;")
            .await;
        b.wait_with(
            "the container among the form's suggestions",
            "return Array.from(document.querySelectorAll('#container-names option')).some(o => o.value === arguments[0]);",
            vec![json!(c.name)],
        )
        .await;
        b.type_into("#sf-container", &c.name).await;

        // an invalid expression: the cron field's error, no preview
        b.type_into("#sf-cron", "61 * * * *").await;
        let error = b
            .wait(
                "the cron field's error",
                "const e = document.getElementById('sf-cron-error');
                 return !e.hidden && e.textContent.trim();",
            )
            .await;
        assert!(!error.as_str().unwrap().is_empty());
        let state = b
            .js("return {invalid: document.getElementById('sf-cron').hasAttribute('aria-invalid'),
                         preview: document.getElementById('sf-preview').textContent.trim(),
                         timezoneError: !document.getElementById('sf-timezone-error').hidden};")
            .await;
        assert_eq!(state, json!({"invalid": true, "preview": "", "timezoneError": false}), "error: {error}");

        // a valid one: the error goes, the description and the next five runs appear
        b.type_into("#sf-cron", "*/5 * * * *").await;
        let preview = b
            .wait(
                "the preview of */5 * * * *",
                "const e = document.getElementById('sf-cron-error');
                 const p = document.getElementById('sf-preview');
                 const d = p.querySelector('.preview-description');
                 const runs = Array.from(p.querySelectorAll('ol li time'), t => t.getAttribute('datetime'));
                 return e.hidden && d && runs.length === 5 && {description: d.textContent, runs};",
            )
            .await;
        let description = preview["description"].as_str().unwrap();
        assert!(!description.is_empty() && description != "*/5 * * * *", "description: {description:?}");
        let runs: Vec<&str> =
            preview["runs"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert!(runs.windows(2).all(|w| w[0] < w[1]), "the next runs should be in order: {runs:?}");
        assert!(
            runs.iter().all(|r| r.ends_with('Z') && r[14..16].parse::<u32>().unwrap() % 5 == 0),
            "{runs:?}"
        );
        assert_eq!(
            b.js("return document.getElementById('sf-cron').hasAttribute('aria-invalid');").await,
            json!(false)
        );

        b.click("#sf-submit").await;
        b.toast(&format!("Created: Restart {}", c.name)).await;
        let row = b
            .wait_with(
                "the new schedule in the list",
                "const row = document.querySelector('#schedules-list .sch[data-container=\"' + arguments[0] + '\"]');
                 return !document.getElementById('schedule-dialog').open && row &&
                     {id: row.dataset.id, cron: row.dataset.cron, action: row.dataset.action,
                      enabled: row.dataset.enabled, text: row.querySelector('.sch-sentence').textContent};",
                vec![json!(c.name)],
            )
            .await;
        assert_eq!(row["cron"], "*/5 * * * *");
        assert_eq!(row["action"], "restart");
        assert_eq!(row["enabled"], "true");
        assert!(row["text"].as_str().unwrap().contains(&c.name), "{row}");

        let (status, schedules) = app.get("/api/schedules");
        assert_eq!(status, 200);
        let ours: Vec<&Value> =
            schedules.as_array().unwrap().iter().filter(|s| s["container"] == c.name.as_str()).collect();
        assert_eq!(ours.len(), 1, "exactly the one schedule created: {schedules}");
        assert_eq!(ours[0]["id"].to_string(), row["id"].as_str().unwrap());
        assert_eq!(ours[0]["cron"], "*/5 * * * *");
        assert_eq!(ours[0]["action"], "restart");
        assert_eq!(ours[0]["enabled"], true);
        assert!(ours[0]["next_run"].is_string(), "{}", ours[0]);
        b.quit().await;
    });
}

#[test]
fn a_schedule_is_toggled_run_now_seen_live_in_the_log_and_deleted() {
    browser_test(|| async {
        let c = TestContainer::run("br-sched", &[]);
        let app = App::start();
        let id = create_schedule(
            &app,
            json!({"container": c.name, "action": "restart", "cron": "0 3 * * *", "timezone": "UTC"}),
        );
        let row = format!("s-{id}");
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the schedule listed",
            "return !!document.getElementById(arguments[0]);",
            vec![json!(row)],
        )
        .await;
        b.mark_document().await;

        // disable, then enable again
        for enabled in [false, true] {
            b.click(&format!("#sch-{id}-enabled")).await;
            wait_for(&format!("the API to say enabled={enabled}"), WAIT, || {
                (schedule_enabled(&app, id) == Some(enabled)).then_some(())
            });
            b.wait_with(
                &format!("the row to show enabled={enabled}"),
                "const row = document.getElementById(arguments[0]);
                 const box = document.getElementById('sch-' + arguments[2] + '-enabled');
                 const badge = Array.from(row.querySelectorAll('.badge'), b => b.textContent).includes('Disabled');
                 return row.dataset.enabled === String(arguments[1]) && box.checked === arguments[1]
                     && row.classList.contains('sch-off') === !arguments[1] && badge === !arguments[1];",
                vec![json!(row), json!(enabled), json!(id)],
            )
            .await;
        }
        b.assert_not_reloaded().await;

        // the activity log, open in a second window
        let dashboard = b.client.window().await.expect("the dashboard's window");
        let logs = b.client.new_window(false).await.expect("a second window").handle;
        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        b.open("/logs").await;
        assert_eq!(b.js("return document.querySelectorAll('tr[id^=\"log-\"]').length;").await, json!(0));
        b.mark_document().await;

        // run it now (a restart: confirmed first)
        b.client.switch_to_window(dashboard.clone()).await.expect("switch to the dashboard");
        b.click(&format!("#sch-{id}-run")).await;
        b.confirm(&c.name).await;
        b.toast(&format!("Restart {}: success", c.name)).await;

        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        let entry = b
            .wait_with(
                "the run-now entry to appear in the log",
                "const row = Array.from(document.querySelectorAll('#log-live tr[id^=\"log-\"]'))
                     .find(r => r.querySelector('[data-label=Container]').textContent.trim() === arguments[0]);
                 return row && {action: row.querySelector('[data-label=Action]').textContent.trim(),
                               trigger: row.querySelector('[data-label=Trigger]').textContent.trim(),
                               result: row.querySelector('[data-label=Result] .badge').textContent.trim()};",
                vec![json!(c.name)],
            )
            .await;
        assert_eq!(entry["action"], "Restart", "{entry}");
        assert_eq!(entry["trigger"], format!("Run now, schedule #{id}"), "{entry}");
        assert_eq!(entry["result"], "Success", "{entry}");
        b.assert_not_reloaded().await;
        let (_, log) = app.get(&format!("/api/logs?schedule_id={id}"));
        assert_eq!(log["items"][0]["trigger"], "run_now", "{log}");

        // delete it, confirmed
        b.client.switch_to_window(dashboard).await.expect("switch to the dashboard");
        b.click(&format!("#sch-{id}-delete")).await;
        b.confirm("Delete this schedule").await;
        b.wait_with(
            "the schedule to leave the page",
            "return !document.getElementById(arguments[0]);",
            vec![json!(row)],
        )
        .await;
        b.assert_not_reloaded().await;
        assert_eq!(app.get(&format!("/api/schedules/{id}")).0, 404);
        let (_, schedules) = app.get("/api/schedules");
        assert_eq!(schedules, json!([]));
        b.quit().await;
    });
}

#[test]
fn a_manual_restart_asks_first_shows_its_result_and_restarts_the_container() {
    browser_test(|| async {
        let c = TestContainer::run("br-restart", &[]);
        let started = c.started_at();
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the container running on the dashboard",
            BADGE_SAYS,
            vec![json!(c.id), json!("Running")],
        )
        .await;

        // cancelling changes nothing
        b.click(&format!("#act-{}-restart", c.id)).await;
        b.wait("the confirmation dialog", "return document.getElementById('confirm-dialog').open;").await;
        b.click("#confirm-dialog button[value=cancel]").await;
        b.wait("the dialog to close", "return !document.getElementById('confirm-dialog').open;").await;
        assert_eq!(c.started_at(), started, "a cancelled restart must not restart");

        b.click(&format!("#act-{}-restart", c.id)).await;
        let question = b.confirm(&c.name).await;
        assert!(question.starts_with("Restart"), "{question}");
        let message = b.toast(&format!("Restart {}: success", c.name)).await;
        assert!(message.contains("success"), "{message}");
        wait_for("a new StartedAt", WAIT, || (c.started_at() != started).then_some(()));
        assert_eq!(c.state(), "running");
        let (_, log) = app.get(&format!("/api/logs?container={}", c.name));
        assert_eq!(log["items"][0]["action"], "restart", "{log}");
        assert_eq!(log["items"][0]["trigger"], "manual", "{log}");
        assert_eq!(log["items"][0]["status"], "success", "{log}");
        b.wait_with("the badge to say Running", BADGE_SAYS, vec![json!(c.id), json!("Running")]).await;
        b.quit().await;
    });
}

#[test]
fn a_state_change_made_with_the_docker_cli_shows_without_a_reload() {
    browser_test(|| async {
        let c = TestContainer::run("br-live", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        let badge = b.wait_with("the container's badge", BADGE, vec![json!(c.id)]).await;
        assert_eq!(badge, "Running");
        b.mark_document().await;

        c.docker("pause");
        b.wait_with("the badge to say Paused", BADGE_SAYS, vec![json!(c.id), json!("Paused")]).await;
        b.wait_with(
            "the row's buttons to offer Unpause",
            "return !!document.getElementById('act-' + arguments[0] + '-unpause');",
            vec![json!(c.id)],
        )
        .await;
        c.docker("unpause");
        b.wait_with("the badge to say Running again", BADGE_SAYS, vec![json!(c.id), json!("Running")]).await;
        c.docker("stop");
        b.wait_with("the badge to say Exited", BADGE_SAYS, vec![json!(c.id), json!("Exited")]).await;
        b.assert_not_reloaded().await;
        b.quit().await;
    });
}

#[test]
fn markup_in_a_compose_label_is_shown_as_text() {
    browser_test(|| async {
        let payload = "<img src=x onerror=alert(1)>";
        let label = format!("com.docker.compose.project={payload}");
        let c = TestContainer::run("xss", &["--label", &label]);
        let app = App::start();
        // a schedule and a log entry for it too, so its name and project show in more places
        let id = create_schedule(&app, json!({"container": c.name, "action": "start", "cron": "0 3 * * *"}));
        assert_eq!(app.post(&format!("/api/schedules/{id}/run"), json!({})).0, 200);
        let b = Browser::start(&app).await;

        let check = |place: &'static str| {
            let b = &b;
            async move {
                // an alert would be left open (unhandledPromptBehavior: ignore)
                match b.client.get_alert_text().await {
                    Err(e) if e.is_no_such_alert() => {}
                    other => panic!("an alert is open on {place}: {other:?}"),
                }
                let found = b
                    .js_with(
                        "return {
                            text: document.body.innerText.includes(arguments[0]),
                            imgs: Array.from(document.images).filter(i => i.getAttribute('src') === 'x').length,
                            onerror: document.querySelectorAll('[onerror]').length,
                            flagged: window.__xss === true,
                         };",
                        vec![json!(payload)],
                    )
                    .await;
                assert_eq!(
                    found,
                    json!({"text": true, "imgs": 0, "onerror": 0, "flagged": false}),
                    "on {place}: the label must show as text and never become markup"
                );
            }
        };

        b.open("/").await;
        b.wait_with("the container on the dashboard", BADGE, vec![json!(c.id)]).await;
        let title = b
            .js_with(
                "return document.getElementById('c-' + arguments[0]).closest('[data-group]')
                     .querySelector('.group-title').textContent;",
                vec![json!(c.id)],
            )
            .await;
        assert!(title.as_str().unwrap().contains(payload), "the group title: {title}");
        // from now on an alert sets a flag instead of opening
        b.js("window.alert = () => { window.__xss = true; };").await;
        check("the dashboard").await;

        // a live refresh puts server HTML into the page through DOMParser: still text
        c.docker("pause");
        b.wait_with("the badge to say Paused", BADGE_SAYS, vec![json!(c.id), json!("Paused")]).await;
        check("the dashboard after a live refresh").await;

        b.click("#new-schedule").await;
        b.wait("the schedule dialog", "return document.getElementById('schedule-dialog').open;").await;
        check("the dashboard with the form open").await;
        b.quit().await;
    });
}

#[test]
fn screenshots_at_phone_and_desktop_sizes_in_light_and_dark() {
    browser_test(|| async {
        let web = TestContainer::run(
            "shot-web",
            &["--label", "com.docker.compose.project=shots", "--label", "com.docker.compose.service=web"],
        );
        let db = TestContainer::run(
            "shot-db",
            &["--label", "com.docker.compose.project=shots", "--label", "com.docker.compose.service=db"],
        );
        let solo = TestContainer::run("shot-solo", &[]);
        db.docker("pause");
        let app = App::start();
        create_schedule(
            &app,
            json!({"container": web.name, "action": "restart", "cron": "0 3 * * *", "description": "nightly"}),
        );
        let weekly = create_schedule(
            &app,
            json!({"container": solo.name, "action": "stop", "cron": "30 4 * * 1", "enabled": false}),
        );
        assert_eq!(app.post(&format!("/api/schedules/{weekly}/run"), json!({})).0, 200);
        assert_eq!(app.post(&format!("/api/containers/{}/start", solo.name), json!({})).0, 200);
        assert_eq!(app.post(&format!("/api/containers/{}/restart", web.name), json!({})).0, 200);

        let dir = artifacts("screenshots");
        let b = Browser::start(&app).await;
        let mut written = vec![];
        for theme in ["light", "dark"] {
            b.open("/").await;
            // the page's own toggle: auto → light → dark → auto, remembered in localStorage
            for _ in 0..3 {
                if b.js("return document.documentElement.getAttribute('data-theme');").await == theme {
                    break;
                }
                b.click("#theme-toggle").await;
            }
            let stored = b.js("return localStorage.getItem('chrontainer-theme');").await;
            assert_eq!(stored, theme, "the theme toggle should store the choice");
            for (width, height) in [(390, 844), (1440, 900)] {
                b.resize(width, height).await;
                let name = |page: &str| dir.join(format!("{page}-{width}x{height}-{theme}.png"));

                b.open("/").await;
                b.wait_with("the containers", BADGE, vec![json!(web.id)]).await;
                assert_eq!(b.js("return document.documentElement.getAttribute('data-theme');").await, theme);
                b.screenshot(&name("dashboard")).await;

                b.click("#new-schedule").await;
                b.type_into("#sf-container", &web.name).await;
                b.click("[data-preset='0 3 * * 1']").await;
                b.wait(
                    "the form's preview",
                    "return document.querySelectorAll('#sf-preview ol li').length === 5
                        && document.getElementById('sf-cron').value === '0 3 * * 1';",
                )
                .await;
                // blur the field so the datalist's popup does not cover the form
                b.js("document.activeElement.blur();").await;
                b.screenshot(&name("schedule-form")).await;

                b.open("/logs").await;
                b.wait("the log rows", "return document.querySelectorAll('tr[id^=\"log-\"]').length >= 3;")
                    .await;
                b.screenshot(&name("logs")).await;
                written.extend(["dashboard", "schedule-form", "logs"].map(name));
            }
        }
        b.quit().await;
        for file in &written {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            assert!(size > 5_000, "{} looks empty ({size} bytes)", file.display());
        }
        assert_eq!(written.len(), 12);
    });
}

/// Dashboard → activity log → dashboard … as a user clicks between them: every load is prompt.
/// A page left behind in Chromium's back/forward cache must not keep its EventSource
/// (`/api/events`) open: once six of them held all six connections Chromium allows per host, the
/// next page load waited about a minute. app.js closes the stream on `pagehide`.
#[test]
fn switching_pages_again_and_again_never_stalls() {
    browser_test(|| async {
        let app = App::start();
        let b = Browser::start_with(&app, true).await;
        for round in 0..5 {
            for page in ["/", "/logs"] {
                let started = Instant::now();
                b.open(page).await; // fails after WAIT when the load stalls
                let took = started.elapsed();
                assert!(took < Duration::from_secs(10), "round {round}: loading {page} took {took:?}");
            }
        }
        b.quit().await;
    });
}

/// A newcomer's first sign-in: the login page says where the generated password is, the password
/// from there signs in, and once someone has signed in the page no longer says so (nor after a restart).
#[test]
fn the_login_page_says_where_the_first_password_is_until_someone_signs_in() {
    browser_test(|| async {
        let app = App::start_with(&[("CHRONTAINER_AUTH", "password")]);
        let file = app.data_dir.path().join("initial-admin-password");
        let password = std::fs::read_to_string(&file).expect("the generated password's file");
        let b = Browser::start(&app).await;
        let hint_text = "const h = document.getElementById('first-sign-in'); return h ? h.innerText : '';";

        b.client.goto(&format!("{}/login", app.base_url)).await.expect("open /login");
        let hint = b.wait("the first sign-in hint", hint_text).await;
        let hint = hint.as_str().unwrap_or_default();
        for words in [
            file.display().to_string().as_str(),
            "./data/initial-admin-password",
            "docker compose logs chrontainer",
            "admin",
        ] {
            assert!(hint.contains(words), "the hint should name {words:?}: {hint}");
        }
        assert!(!hint.contains(password.trim()), "the page shows the password itself: {hint}");
        b.screenshot(&artifacts("screenshots").join("login-first-sign-in.png")).await;

        b.type_into("#login-username", "admin").await;
        b.type_into("#login-password", password.trim()).await;
        b.click("form[action='/login'] button[type=submit]").await;
        b.wait(
            "the dashboard after signing in",
            "return location.pathname === '/' && !!document.querySelector('form.signout');",
        )
        .await;
        b.click("form.signout button").await;
        b.wait(
            "the login page after signing out",
            "return location.pathname === '/login' && !!document.getElementById('login-username');",
        )
        .await;
        assert_eq!(b.js(hint_text).await, json!(""), "the hint is still there after a sign-in");

        // the database remembers: a restart does not bring the hint back
        let dir = app.data_dir.clone();
        assert_eq!(app.terminate(), Some(0));
        let again = App::start_in(dir, &[("CHRONTAINER_AUTH", "password")]);
        b.client.goto(&format!("{}/login", again.base_url)).await.expect("open /login");
        b.wait("the login form", "return !!document.getElementById('login-username');").await;
        assert_eq!(b.js(hint_text).await, json!(""), "the hint came back after a restart");
        b.quit().await;
    });
}
