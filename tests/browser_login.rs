//! Browser tests in the default login mode (issue 22): the real binary with authentication on,
//! driven in headless Chromium through the login form, an action whose CSRF token the page's script
//! takes from `<meta name="csrf-token">`, a forged request without it, and sign-out.
//! tests/browser.rs covers the pages themselves, with authentication off.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod browser_support;
mod common;

use browser_support::{artifacts, browser_test, Browser, BADGE_SAYS, WAIT};
use common::{wait_for, App, Session, TestContainer, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// The session cookie's name over plain HTTP (src/web/cookies.rs).
const SESSION_COOKIE: &str = "chrontainer_session";
const SUBMIT: &str = "form[action='/login'] button[type=submit]";

/// What the login page shows: its fields, its error and what only a signed-in page has.
const LOGIN_FORM: &str = "const error = document.querySelector('.form-error[role=alert]');
    return {
        username: document.getElementById('login-username').value,
        password: document.getElementById('login-password').value,
        next: document.querySelector('form[action=\"/login\"] input[name=next]').value,
        error: error ? error.textContent.trim() : null,
        csrfMeta: !!document.querySelector('meta[name=csrf-token]'),
        signOut: !!document.querySelector('form.signout'),
    };";

/// Sends `POST /api/containers/{arguments[0]}/restart` from the page with the browser's cookie:
/// `arguments[1]` is the `X-CSRF-Token` to send (`"meta"`: the page's own token, null: none).
/// Answers `{status, body}`.
const FETCH_RESTART: &str = "const done = arguments[arguments.length - 1];
    const headers = {'Content-Type': 'application/json', Accept: 'application/json'};
    if (arguments[1] === 'meta') {
        headers['X-CSRF-Token'] = document.querySelector('meta[name=csrf-token]').content;
    } else if (arguments[1] !== null) {
        headers['X-CSRF-Token'] = arguments[1];
    }
    fetch('/api/containers/' + encodeURIComponent(arguments[0]) + '/restart',
          {method: 'POST', credentials: 'same-origin', headers, body: '{}'})
        .then(r => r.text().then(body => done({status: r.status, body})))
        .catch(e => done({status: 0, body: String(e)}));";

/// The activity log's rows for container `name`, as the API has them, newest first.
fn log_of(app: &App, admin: &Session, name: &str) -> Vec<Value> {
    let reply = app.as_browser(admin, "GET", &format!("/api/logs?container={name}"), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until the login page is the current document; returns its path and query.
async fn at_login_page(b: &Browser, what: &str) -> String {
    let at = b
        .wait(
            what,
            "return document.readyState === 'complete' && location.pathname === '/login'
                 && !!document.getElementById('login-password') && location.pathname + location.search;",
        )
        .await;
    at.as_str().unwrap_or_default().to_string()
}

#[test]
fn signing_in_acting_and_signing_out_in_the_default_login_mode() {
    browser_test(|| async {
        let c = TestContainer::run("bl-act", &[]);
        let started = c.started_at();
        let app = App::start_secured(&[]);
        let b = Browser::start(&app).await;

        // signed out, the dashboard sends the browser to the login form, remembering where it went
        assert_eq!(b.goto("/").await, "/login?next=/");
        let form = b.js(LOGIN_FORM).await;
        assert_eq!(
            form,
            json!({"username": "", "password": "", "next": "/", "error": null, "csrfMeta": false, "signOut": false})
        );
        assert_eq!(b.cookie(SESSION_COOKIE).await, None);

        // a wrong password: the form again, with the error and the name kept, and no session
        b.type_into("#login-username", "admin").await;
        b.type_into("#login-password", "not the admin password").await;
        b.click(SUBMIT).await;
        b.wait(
            "the sign-in error",
            "const e = document.querySelector('.form-error[role=alert]');
             return document.readyState === 'complete' && !!e;",
        )
        .await;
        assert_eq!(at_login_page(&b, "the login page again").await, "/login");
        let form = b.js(LOGIN_FORM).await;
        assert_eq!(
            form,
            json!({"username": "admin", "password": "", "next": "/", "error": "Wrong user name or password.",
                   "csrfMeta": false, "signOut": false})
        );
        assert_eq!(b.cookie(SESSION_COOKIE).await, None, "a failed sign-in must not set a session");

        // the right one: the dashboard, live, with a CSRF token in its meta tag and a sign-out button
        b.type_into("#login-password", ADMIN_PASSWORD).await;
        b.click(SUBMIT).await;
        b.wait(
            "the dashboard after signing in",
            "return location.pathname === '/' && document.body.dataset.page === 'dashboard';",
        )
        .await;
        b.live().await;
        let cookie = b.cookie(SESSION_COOKIE).await.expect("a session cookie after signing in");
        let page = b
            .js("const meta = document.querySelector('meta[name=csrf-token]');
                 return {csrf: meta ? meta.content : '', signOut: !!document.querySelector('form.signout button'),
                         authOffBanner: document.body.innerText.includes('Authentication is off')};")
            .await;
        let csrf = page["csrf"].as_str().unwrap_or_default().to_string();
        assert!(csrf.len() >= 16, "the page's CSRF token: {page}");
        assert_eq!(page["signOut"], true, "{page}");
        assert_eq!(page["authOffBanner"], false, "{page}");
        // the harness's own session, for reading the log and the audit trail over the API
        let admin = app.login("admin", ADMIN_PASSWORD);
        assert_ne!(admin.cookie, format!("{SESSION_COOKIE}={cookie}"));
        assert!(log_of(&app, &admin, &c.name).is_empty());

        // the activity log, open in a second window, receives the entry live
        let dashboard = b.client.window().await.expect("the dashboard's window");
        let logs = b.client.new_window(false).await.expect("a second window").handle;
        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        b.open("/logs").await;
        assert_eq!(b.js("return document.querySelectorAll('tr[id^=\"log-\"]').length;").await, json!(0));
        b.mark_document().await;

        // restart from the container's row: confirmed, done, shown; the page's script sent the token
        b.client.switch_to_window(dashboard.clone()).await.expect("switch to the dashboard");
        b.wait_with(
            "the container running on the dashboard",
            BADGE_SAYS,
            vec![json!(c.id), json!("Running")],
        )
        .await;
        b.click(&format!("#act-{}-restart", c.id)).await;
        let question = b.confirm(&c.name).await;
        assert!(question.starts_with("Restart"), "{question}");
        b.toast(&format!("Restart {}: success", c.name)).await;
        wait_for("a new StartedAt", WAIT, || (c.started_at() != started).then_some(()));
        let restarted = c.started_at();
        assert_eq!(c.state(), "running");
        b.wait_with("the badge to say Running", BADGE_SAYS, vec![json!(c.id), json!("Running")]).await;

        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        let entry = b
            .wait_with(
                "the restart to appear in the open log",
                "const row = Array.from(document.querySelectorAll('#log-live tr[id^=\"log-\"]'))
                     .find(r => (r.querySelector('[data-label=Container] a') || r.querySelector('[data-label=Container]')).textContent.trim() === arguments[0]);
                 return row && {action: row.querySelector('[data-label=Action]').textContent.trim(),
                               trigger: row.querySelector('[data-label=Trigger]').textContent.trim(),
                               result: row.querySelector('[data-label=Result] .badge').textContent.trim()};",
                vec![json!(c.name)],
            )
            .await;
        assert_eq!(entry, json!({"action": "Restart", "trigger": "Manual (admin)", "result": "Success"}));
        b.assert_not_reloaded().await;
        let log = log_of(&app, &admin, &c.name);
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(
            (&log[0]["action"], &log[0]["trigger"], &log[0]["status"], &log[0]["requested_by"]),
            (&json!("restart"), &json!("manual"), &json!("success"), &json!("admin")),
            "{}",
            log[0]
        );

        // from the page's own context, with its cookie: no token or a wrong one is refused and does
        // nothing; the same request with the meta tag's token is done (so the token is the difference)
        b.client.switch_to_window(dashboard.clone()).await.expect("switch to the dashboard");
        for token in [Value::Null, json!("not-the-token"), json!(format!("{csrf}x"))] {
            let answer = b.js_async(FETCH_RESTART, vec![json!(c.name), token.clone()]).await;
            assert_eq!(answer["status"], 403, "token {token}: {answer}");
            let body: Value =
                serde_json::from_str(answer["body"].as_str().unwrap_or_default()).unwrap_or_default();
            assert_eq!(body["error"]["code"], "forbidden", "token {token}: {answer}");
            assert!(body["error"]["message"].as_str().unwrap_or_default().contains("CSRF"), "{answer}");
        }
        assert_eq!(c.started_at(), restarted, "a refused request must not restart the container");
        assert_eq!(log_of(&app, &admin, &c.name).len(), 1, "a refused request must not be logged");
        let answer = b.js_async(FETCH_RESTART, vec![json!(c.name), json!("meta")]).await;
        assert_eq!(answer["status"], 200, "with the page's token: {answer}");
        wait_for("another new StartedAt", WAIT, || (c.started_at() != restarted).then_some(()));
        let log = log_of(&app, &admin, &c.name);
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0]["requested_by"], "admin", "{}", log[0]);

        // sign out: the login page, no cookie, the dashboard closed again
        b.click("form.signout button[type=submit]").await;
        assert_eq!(at_login_page(&b, "the login page after signing out").await, "/login");
        assert_eq!(b.cookie(SESSION_COOKIE).await, None, "signing out must clear the cookie");
        assert_eq!(b.goto("/").await, "/login?next=/");
        assert_eq!(b.goto("/logs").await, "/login?next=/logs");

        // the old cookie is dead on the server too, not only forgotten by the browser
        let old = Session { cookie: format!("{SESSION_COOKIE}={cookie}"), csrf };
        let me = app.as_browser(&old, "GET", "/api/users/me", None);
        assert_eq!(me.status, 401, "{}", me.text);
        let home = app.as_browser(&old, "GET", "/", None);
        assert_eq!((home.status, home.header("location")), (303, Some("/login?next=/")), "{}", home.text);
        let act = app.as_browser(&old, "POST", &format!("/api/containers/{}/restart", c.name), Some(b"{}"));
        assert_eq!(act.status, 401, "{}", act.text);
        assert_eq!(log_of(&app, &admin, &c.name).len(), 2, "the dead session must not act");

        // the audit trail saw all of it, as admin
        let audit = app.as_browser(&admin, "GET", "/api/audit", None);
        assert_eq!(audit.status, 200, "{}", audit.text);
        let events: Vec<(String, String)> = audit.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .rev()
            .map(|e| {
                (e["event"].as_str().unwrap_or_default().into(), e["actor"].as_str().unwrap_or("-").into())
            })
            .collect();
        let pairs: Vec<(&str, &str)> = events.iter().map(|(e, a)| (e.as_str(), a.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("user_created", "-"),
                ("login_failed", "-"),
                ("login_succeeded", "admin"), // the browser
                ("login_succeeded", "admin"), // the harness
                ("logout", "admin"),
            ],
            "{}",
            audit.text
        );
        b.quit().await;
    });
}

#[test]
fn screenshots_of_the_login_page_at_phone_and_desktop_sizes() {
    browser_test(|| async {
        let app = App::start_secured(&[]);
        let dir = artifacts("screenshots");
        let b = Browser::start(&app).await;
        let mut written = vec![];
        for theme in ["light", "dark"] {
            b.goto("/login").await;
            // the page's own toggle: auto → light → dark → auto, remembered in localStorage
            for _ in 0..3 {
                if b.js("return document.documentElement.getAttribute('data-theme');").await == theme {
                    break;
                }
                b.click("#theme-toggle").await;
            }
            assert_eq!(b.js("return localStorage.getItem('chrontainer-theme');").await, theme);
            for (width, height) in [(390, 844), (1440, 900)] {
                b.resize(width, height).await;
                let name = |page: &str| dir.join(format!("{page}-{width}x{height}-{theme}.png"));

                assert_eq!(b.goto("/").await, "/login?next=/");
                assert_eq!(b.js("return document.documentElement.getAttribute('data-theme');").await, theme);
                let fits = b
                    .js("const form = document.querySelector('form[action=\"/login\"]').getBoundingClientRect();
                         return form.width > 0 && form.right <= window.innerWidth
                             && document.documentElement.scrollWidth <= window.innerWidth;")
                    .await;
                assert_eq!(fits, true, "the login form should fit {width} px without scrolling sideways");
                b.screenshot(&name("login")).await;

                b.type_into("#login-username", "admin").await;
                b.type_into("#login-password", "wrong").await;
                b.click(SUBMIT).await;
                b.wait(
                    "the sign-in error",
                    "return document.readyState === 'complete' && !!document.querySelector('.form-error');",
                )
                .await;
                b.js("document.activeElement && document.activeElement.blur();").await;
                b.screenshot(&name("login-error")).await;
                written.extend(["login", "login-error"].map(name));
            }
        }
        b.quit().await;
        for file in &written {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            assert!(size > 5_000, "{} looks empty ({size} bytes)", file.display());
        }
        assert_eq!(written.len(), 8);
    });
}
