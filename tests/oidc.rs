//! Single sign-on (issue 21): the real binary against a real OpenID provider on loopback (npm's
//! `oidc-provider`, tests/oidc/provider.mjs), driven with a plain HTTP client through the whole
//! code flow; forward auth behind a trusted proxy; the password form turned off and the
//! break-glass `reset-password`. Every test has its own provider and Chrontainer, so they run in
//! parallel.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod browser_support;
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use browser_support::{browser_test, Browser};
use common::{free_port, App, Reply, Session, ADMIN_PASSWORD};
use serde_json::{json, Value};

const CLIENT_SECRET: &str = "the test client's secret";
/// tests/oidc/provider.mjs's accounts: alice is in the admin group, victor in the viewer group,
/// nobody in neither.
const GROUP_ENV: [(&str, &str); 2] = [
    ("CHRONTAINER_OIDC_ADMIN_GROUP", "chrontainer-admins"),
    ("CHRONTAINER_OIDC_VIEWER_GROUP", "chrontainer-viewers"),
];

/// Where scripts/lib/prerequisites.sh installs the pinned provider (the same rule as there).
fn provider_dir() -> PathBuf {
    let dir = std::env::var_os("OIDC_PROVIDER_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"));
        cache.join("chrontainer").join("oidc-provider-9.13.3")
    });
    assert!(
        dir.join("node_modules/oidc-provider/package.json").exists(),
        "the OpenID provider of these tests is missing from {}: run scripts/test once (it installs it), or \
         `npm install --prefix {} oidc-provider@9.13.3` (node 20 or later and npm: apt-get install nodejs npm)",
        dir.display(),
        dir.display()
    );
    dir
}

/// The test provider, stopped when dropped.
struct Idp {
    child: Child,
    issuer: String,
}

impl Idp {
    /// For a Chrontainer at `app_url`.
    fn start(app_url: &str) -> Idp {
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("PORT", port.to_string())
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URI", format!("{app_url}/login/oidc/callback"))
            .env("AFTER_LOGOUT_URI", format!("{app_url}/login"))
            .env("OIDC_PROVIDER_DIR", provider_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run node: apt-get install nodejs");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.starts_with("ready "), "the test provider did not start: {line:?}");
        // it prints notices later: its stdout is read to the end, or a write to it would kill it
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Idp { child, issuer: format!("http://127.0.0.1:{port}") }
    }

    fn knob(&self, path: &str, body: Value) {
        let reply = call("POST", &format!("{}{path}", self.issuer), &Jar::default(), Some(body.to_string()));
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The cookies one site set, sent back whole (the provider's paths do not matter here).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }
}

/// One request, redirects not followed.
fn call(method: &str, url: &str, jar: &Jar, form: Option<String>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if !jar.0.is_empty() {
        req = req.header("Cookie", jar.header());
    }
    let mut resp = match form {
        Some(body) => agent.run(
            req.header("Content-Type", "application/x-www-form-urlencoded").body(body.into_bytes()).unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    }
    .expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Reply { status, headers, text }
}

/// A Chrontainer with sign-in through `idp`, on a port chosen first (the provider must know the
/// redirect URL before Chrontainer starts).
struct Sso {
    app: App,
    idp: Idp,
}

impl Sso {
    fn start(env: &[(&str, &str)]) -> Sso {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let idp = Idp::start(&url);
        let app = start_app(&url, &idp.issuer, CLIENT_SECRET, env);
        Sso { app, idp }
    }

    /// Leaves for the provider from the login page's button, signs in there as `account`, and
    /// comes back: the callback's answer and the browser's cookies at Chrontainer.
    fn sign_in(&self, account: &str) -> (Reply, Jar) {
        let (callback, jar) = self.to_callback(account);
        let reply = call("GET", &callback, &jar, None);
        (reply, jar)
    }

    /// The flow up to the provider's redirect back: that URL, and Chrontainer's cookies then.
    fn to_callback(&self, account: &str) -> (String, Jar) {
        let mut ours = Jar::default();
        let start = call("GET", &format!("{}/login/oidc?next=%2Flogs", self.app.base_url), &ours, None);
        assert_eq!(start.status, 303, "{}", start.text);
        ours.keep(&start);
        assert!(ours.0.contains_key("chrontainer_oidc_state"), "no state cookie: {:?}", start.headers);
        let mut url = start.header("location").unwrap().to_string();
        assert!(url.starts_with(&format!("{}/auth?", self.idp.issuer)), "{url}");
        assert!(url.contains("code_challenge_method=S256") && url.contains("nonce="), "{url}");
        let mut theirs = Jar::default();
        for _ in 0..10 {
            if url.starts_with(&self.app.base_url) {
                return (url, ours);
            }
            let form = url.contains("/interaction/").then(|| format!("login={account}"));
            let reply = call(if form.is_some() { "POST" } else { "GET" }, &url, &theirs, form);
            theirs.keep(&reply);
            assert!(matches!(reply.status, 302 | 303), "{url}: {} {}", reply.status, reply.text);
            let next = reply.header("location").unwrap();
            url = if next.starts_with('/') { format!("{}{next}", self.idp.issuer) } else { next.to_string() };
        }
        panic!("the provider never sent the browser back: {url}");
    }

    /// Signs in as `account`, which must work: the session and its CSRF token.
    fn session(&self, account: &str) -> Session {
        let (reply, mut jar) = self.sign_in(account);
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(
            reply.text.contains("url=/logs"),
            "the page goes on to where they were going: {}",
            reply.text
        );
        jar.keep(&reply);
        let cookie =
            format!("chrontainer_session={}", jar.0.get("chrontainer_session").expect("no session cookie"));
        let me = self.app.request("GET", "/api/users/me", &[("Cookie", &cookie)], None);
        assert_eq!(me.status, 200, "{}", me.text);
        Session { cookie, csrf: me.json()["csrf_token"].as_str().unwrap().to_string() }
    }
}

fn start_app(url: &str, issuer: &str, secret: &str, env: &[(&str, &str)]) -> App {
    let listen = url.trim_start_matches("http://");
    let mut all = vec![
        ("CHRONTAINER_AUTH", "password"),
        ("CHRONTAINER_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("CHRONTAINER_LISTEN", listen),
        ("CHRONTAINER_PUBLIC_URL", url),
        ("CHRONTAINER_OIDC_ISSUER", issuer),
        ("CHRONTAINER_OIDC_CLIENT_ID", "chrontainer"),
        ("CHRONTAINER_OIDC_CLIENT_SECRET", secret),
        ("CHRONTAINER_OIDC_NAME", "Test IdP"),
    ];
    all.extend_from_slice(&GROUP_ENV);
    all.extend_from_slice(env);
    App::start_with(&all)
}

fn me(app: &App, s: &Session) -> Value {
    app.as_browser(s, "GET", "/api/users/me", None).json()
}

fn make_token(app: &App, s: &Session, name: &str) -> u16 {
    let body = json!({"name": name, "role": "read"}).to_string();
    app.as_browser(s, "POST", "/api/tokens", Some(body.as_bytes())).status
}

#[test]
fn groups_give_roles_at_every_sign_in_and_no_group_is_refused() {
    let sso = Sso::start(&[]);
    let app = &sso.app;

    let alice = sso.session("alice");
    assert_eq!(
        me(app, &alice),
        json!({"name": "alice", "role": "admin", "via": "session", "csrf_token": alice.csrf})
    );
    assert_eq!(make_token(app, &alice, "alices-token"), 201, "an admin acts, with the session's CSRF token");
    let users = app.as_browser(&alice, "GET", "/api/users", None).json();
    let row = users.as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap().clone();
    assert_eq!((row["role"].clone(), row["origin"].clone()), (json!("admin"), json!("oidc")), "{users}");

    let victor = sso.session("victor");
    assert_eq!(me(app, &victor)["role"], "viewer");
    assert_eq!(make_token(app, &victor, "victors-token"), 403, "a viewer changes nothing");

    let (refused, _) = sso.sign_in("nobody");
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused.text.contains("neither the group") && refused.text.contains("chrontainer-admins"),
        "{}",
        refused.text
    );
    assert!(refused.header("set-cookie").is_none_or(|c| !c.contains("chrontainer_session=")), "no session");

    // the groups of this sign-in decide: alice, in the viewer group now, is a viewer, and still one user
    sso.idp.knob("/__test/tamper", json!({"groups": ["chrontainer-viewers"]}));
    let demoted = sso.session("alice");
    assert_eq!(me(app, &demoted)["role"], "viewer");
    assert_eq!(me(app, &alice)["role"], "viewer", "her older session has her role of now");
    let admin = app.login("admin", ADMIN_PASSWORD);
    let users = app.as_browser(&admin, "GET", "/api/users", None).json();
    assert_eq!(users.as_array().unwrap().iter().filter(|u| u["username"] == "alice").count(), 1, "{users}");

    let audit = app.as_browser(&admin, "GET", "/api/audit?limit=100", None).json();
    let events: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap().into(), e["actor"].as_str().unwrap_or("").into()))
        .collect();
    assert!(events.contains(&("login_succeeded".into(), "alice".into())), "{events:?}");
    assert!(events.contains(&("login_succeeded".into(), "victor".into())), "{events:?}");
    assert!(events.iter().any(|(e, _)| e == "login_failed"), "{events:?}");

    // signing out ends the session here and goes on to the provider's end_session_endpoint
    let out = app.as_browser(&victor, "POST", "/logout", None);
    assert_eq!(out.status, 303, "{}", out.text);
    let to = out.header("location").unwrap();
    assert!(
        to.starts_with(&format!("{}/session/end?", sso.idp.issuer)) && to.contains("client_id=chrontainer"),
        "{to}"
    );
    assert_eq!(app.as_browser(&victor, "GET", "/api/users/me", None).status, 401);
    // a password user signs out to the login page, as before
    let out = app.as_browser(&admin, "POST", "/logout", None);
    assert_eq!(out.header("location"), Some("/login"));
}

#[test]
fn a_tampered_state_another_audience_and_clock_skew_are_refused_by_name() {
    let sso = Sso::start(&[]);
    // the state coming back must be the one this browser left with
    let (callback, jar) = sso.to_callback("alice");
    let tampered = callback.replace("state=", "state=x");
    let reply = call("GET", &tampered, &jar, None);
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.text.contains("state does not match"), "{}", reply.text);
    let (callback, _) = sso.to_callback("alice");
    let reply = call("GET", &callback, &Jar::default(), None);
    assert_eq!(reply.status, 400, "another browser's state: {}", reply.text);
    assert!(reply.text.contains("state does not match"), "{}", reply.text);

    // a token the provider signed for another client
    sso.idp.knob("/__test/tamper", json!({"aud": "someone-else"}));
    let (reply, _) = sso.sign_in("alice");
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.text.contains("issued for another client"), "{}", reply.text);

    // a token that expired long ago: this machine's clock and the provider's disagree
    sso.idp.knob("/__test/tamper", json!({"exp": 1_000_000_000, "iat": 999_999_000}));
    let (reply, _) = sso.sign_in("alice");
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.text.contains("clock skew") && reply.text.contains("expired"), "{}", reply.text);
    assert!(!reply.text.contains("panicked") && !reply.text.contains("src/"), "no trace: {}", reply.text);

    // and after all that, a good sign-in still works
    sso.session("alice");
}

#[test]
fn a_rotated_signing_key_is_fetched_and_used() {
    let sso = Sso::start(&[]);
    sso.session("alice");
    sso.idp.knob("/__test/rotate", json!({}));
    let keys = call("GET", &format!("{}/jwks", sso.idp.issuer), &Jar::default(), None).json();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(keys["keys"][0]["kid"], "key-2", "only the new key is published: {keys}");
    let again = sso.session("alice");
    assert_eq!(me(&sso.app, &again)["role"], "admin");
}

#[test]
fn a_provider_that_is_down_and_a_wrong_client_secret_are_named() {
    // nothing listens at this issuer
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let dead = format!("http://127.0.0.1:{}", free_port());
    let app = start_app(&url, &dead, CLIENT_SECRET, &[]);
    let login = app.request("GET", "/login", &[], None);
    assert!(
        login.text.contains("Sign in with Test IdP") && login.text.contains("login-password"),
        "{}",
        login.text
    );
    let reply = app.request("GET", "/login/oidc", &[], None);
    assert_eq!(reply.status, 502, "{}", reply.text);
    assert!(reply.text.contains("identity provider cannot be used right now"), "{}", reply.text);
    common::wait_for("the failure in the log", Duration::from_secs(5), || {
        app.output().contains("(provider_down)").then_some(())
    });
    drop(app);

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let idp = Idp::start(&url);
    let sso = Sso { app: start_app(&url, &idp.issuer, "not the secret", &[]), idp };
    let (reply, _) = sso.sign_in("alice");
    assert_eq!(reply.status, 502, "{}", reply.text);
    assert!(reply.text.contains("client credentials (invalid_client"), "{}", reply.text);
    assert!(reply.text.contains("CHRONTAINER_OIDC_CLIENT_SECRET") && !reply.text.contains("not the secret"));
}

#[test]
fn with_auth_oidc_the_password_form_is_off_and_reset_password_is_the_way_back() {
    let sso = Sso::start(&[("CHRONTAINER_AUTH", "oidc")]);
    let app = &sso.app;
    let login = app.request("GET", "/login", &[], None);
    assert!(login.text.contains("Sign in with Test IdP"), "{}", login.text);
    assert!(
        !login.text.contains("login-password") && !login.text.contains("First sign-in"),
        "{}",
        login.text
    );
    let refused = app.try_login("admin", ADMIN_PASSWORD);
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("Signing in with a password is off here"), "{}", refused.text);
    sso.session("alice");

    // break-glass, with the service stopped: a new password for admin, printed once
    let data_dir = Arc::clone(&sso.app.data_dir);
    let Sso { app, idp } = sso;
    assert_eq!(app.terminate(), Some(0));
    drop(idp);
    let bin = env!("CARGO_BIN_EXE_chrontainer");
    let out = Command::new(bin).args(["reset-password"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(bin)
        .args(["reset-password", "nosuchuser", "--data-dir", data_dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("alice"), "it names the users");
    let out = Command::new(bin)
        .args(["reset-password", "admin", "--data-dir", data_dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let secret = text.lines().map(str::trim).find(|l| l.len() == 24).expect("the new password").to_string();
    let app = App::start_in(data_dir, &[("CHRONTAINER_AUTH", "password")]);
    let admin = app.login("admin", &secret);
    assert_eq!(app.as_browser(&admin, "GET", "/api/users/me", None).json()["role"], "admin");
    assert_eq!(app.try_login("admin", ADMIN_PASSWORD).status, 401, "the old password is gone");
}

#[test]
fn forward_auth_headers_count_only_from_a_trusted_proxy() {
    let headers =
        |user: &'static str, groups: &'static str| vec![("Remote-User", user), ("Remote-Groups", groups)];
    let trusted = App::start_with(&[
        ("CHRONTAINER_AUTH", "proxy"),
        ("CHRONTAINER_TRUSTED_PROXIES", "127.0.0.0/8"),
        ("CHRONTAINER_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ]);
    let me =
        trusted.request("GET", "/api/users/me", &headers("fwd-admin", "staff, chrontainer-admins"), None);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        (me.json()["name"].clone(), me.json()["role"].clone(), me.json()["via"].clone()),
        (json!("fwd-admin"), json!("admin"), json!("proxy"))
    );
    let csrf = me.json()["csrf_token"].as_str().unwrap().to_string();
    let body = json!({"name": "fwd-token", "role": "read"}).to_string();
    let mut write = headers("fwd-admin", "chrontainer-admins");
    write.extend([("Origin", trusted.base_url.as_str()), ("Content-Type", "application/json")]);
    let forged = trusted.request("POST", "/api/tokens", &write, Some(body.as_bytes()));
    assert_eq!(
        forged.status, 403,
        "the proxy's cookie is ambient: a write needs the CSRF token: {}",
        forged.text
    );
    write.push(("X-CSRF-Token", &csrf));
    assert_eq!(trusted.request("POST", "/api/tokens", &write, Some(body.as_bytes())).status, 201);
    let viewer = trusted.request("GET", "/api/users/me", &headers("fwd-viewer", "chrontainer-viewers"), None);
    assert_eq!(viewer.json()["role"], "viewer");
    let none = trusted.request("GET", "/api/users/me", &headers("fwd-nobody", "staff"), None);
    assert_eq!(none.status, 403, "{}", none.text);
    let page = trusted.request("GET", "/", &headers("fwd-admin", "chrontainer-admins"), None);
    assert_eq!(page.status, 200, "the dashboard, signed in: {}", page.text);
    // a local user's name is not the proxy's to claim
    let local = trusted.request("GET", "/api/users/me", &headers("admin", "chrontainer-admins"), None);
    assert_eq!(local.status, 403, "{}", local.text);
    // without the headers, the proxy said nothing: the login page, as usual
    assert_eq!(trusted.request("GET", "/", &[], None).status, 303);

    let elsewhere = App::start_with(&[
        ("CHRONTAINER_AUTH", "proxy"),
        ("CHRONTAINER_TRUSTED_PROXIES", "10.9.9.9"),
        ("CHRONTAINER_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ]);
    let refused =
        elsewhere.request("GET", "/api/users/me", &headers("fwd-admin", "chrontainer-admins"), None);
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("CHRONTAINER_TRUSTED_PROXIES"), "{}", refused.text);
    common::wait_for("the refusal in the log", Duration::from_secs(5), || {
        elsewhere
            .output()
            .contains("refused a request from 127.0.0.1 with forward-auth headers")
            .then_some(())
    });
    let admin = elsewhere.login("admin", ADMIN_PASSWORD);
    let users = elsewhere.as_browser(&admin, "GET", "/api/users", None).json();
    assert_eq!(users.as_array().unwrap().len(), 1, "nobody was made from the headers: {users}");
}

#[test]
fn a_browser_signs_in_through_the_providers_page_and_lands_on_the_dashboard_as_admin() {
    let sso = Sso::start(&[]);
    browser_test(|| async {
        let b = Browser::start(&sso.app).await;
        assert_eq!(b.goto("/").await, "/login?next=/");
        b.click("#login-sso").await;
        b.wait(
            "the provider's sign-in page",
            "return location.pathname.startsWith('/interaction/') && !!document.getElementById('login');",
        )
        .await;
        b.type_into("#login", "alice").await;
        b.click("#sign-in").await;
        b.live().await;
        assert_eq!(b.js("return location.pathname;").await, "/");
        let me = b
            .js_async(
                "fetch('/api/users/me').then(r => r.json()).then(arguments[arguments.length - 1]);",
                vec![],
            )
            .await;
        assert_eq!((me["name"].clone(), me["role"].clone()), (json!("alice"), json!("admin")), "{me}");
        b.quit().await;
    });
}
