//! Security from outside: every documented route needs credentials, viewers change nothing, CSRF
//! and Origin checks, security headers, a corpus of malformed requests, and hostile container
//! labels shown as text.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{wait_for, App, Reply, Session, TestContainer, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// Every (METHOD, path) of the OpenAPI document, path parameters filled with `1`.
fn documented_routes(app: &App, admin: &Session) -> Vec<(String, String)> {
    let doc = app.as_browser(admin, "GET", "/api/openapi.json", None).json();
    let mut routes = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let mut filled = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    filled.push('1');
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => filled.push(c),
            }
        }
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), filled.clone()));
        }
    }
    assert!(routes.len() >= 20, "too few documented routes: {routes:?}");
    routes
}

#[test]
fn every_documented_route_needs_credentials() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    for (method, path) in documented_routes(&app, &admin) {
        for headers in [
            vec![],
            vec![("Cookie", "chrontainer_session=forged-forged-forged-forged-forged-forged-for")],
            vec![("Authorization", "Bearer ctk_forged")],
        ] {
            let reply = app.request(&method, &path, &headers, Some(b"{}"));
            assert_eq!(reply.status, 401, "{method} {path} with {headers:?} answered: {}", reply.text);
            assert_eq!(reply.code(), "unauthorized", "{method} {path}");
        }
    }
    assert_eq!(app.request("GET", "/metrics", &[], None).status, 401);
    assert_eq!(app.request("GET", "/healthz", &[], None).status, 200);
    for page in ["/", "/logs", "/settings", "/no-such-page"] {
        let reply = app.request("GET", page, &[], None);
        assert_eq!(reply.status, 303, "{page}");
        assert!(reply.header("location").unwrap().starts_with("/login?next="), "{page}");
    }
    for form in ["/logout", "/settings/tokens", "/settings/users/1/delete"] {
        let reply =
            app.request("POST", form, &[("Content-Type", "application/x-www-form-urlencoded")], Some(b"x=1"));
        assert_eq!((reply.status, reply.header("location")), (303, Some("/login")), "{form}");
    }
}

#[test]
fn viewers_and_read_tokens_are_refused_every_change() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let new = json!({"username": "vic", "password": "viewer password", "role": "viewer"}).to_string();
    assert_eq!(app.as_browser(&admin, "POST", "/api/users", Some(new.as_bytes())).status, 201);
    let viewer = app.login("vic", "viewer password");
    let read = app.token(&admin, "reader", "read");
    let before = snapshot(&app, &admin);

    let mut checked = 0;
    for (method, path) in documented_routes(&app, &admin) {
        if method == "GET" || path == "/api/users/me/password" {
            continue;
        }
        for (who, reply) in [
            ("viewer", app.as_browser(&viewer, &method, &path, Some(b"{}"))),
            ("read token", app.as_token(&read, &method, &path, Some(b"{}"))),
        ] {
            assert_eq!(reply.status, 403, "{who}: {method} {path} answered {}", reply.text);
            assert_eq!(reply.code(), "forbidden", "{who}: {method} {path}");
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} state-changing routes");
    // the pages' forms too
    for form in ["/settings/users", "/settings/tokens", "/settings/users/1/role", "/settings/tokens/1/revoke"]
    {
        let body = format!("csrf_token={}&role=admin&name=x&username=x&password=12345678", viewer.csrf);
        let reply = app.request(
            "POST",
            form,
            &[
                ("Cookie", &viewer.cookie),
                ("Origin", &app.base_url),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        );
        assert_eq!(reply.status, 403, "{form}: {}", reply.text);
    }
    assert_eq!(snapshot(&app, &admin), before);
}

/// Schedules, users and tokens as the API lists them (without tokens' `last_used`, which moves
/// with every use).
fn snapshot(app: &App, admin: &Session) -> (Value, Value, Value) {
    let schedules = app.as_browser(admin, "GET", "/api/schedules", None);
    assert_eq!(schedules.status, 200, "{}", schedules.text);
    let users = app.as_browser(admin, "GET", "/api/users", None).json();
    let mut tokens = app.as_browser(admin, "GET", "/api/tokens", None).json();
    for t in tokens.as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("last_used");
    }
    (schedules.json(), users, tokens)
}

#[test]
fn a_revoked_token_is_refused_at_once() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let full = app.token(&admin, "script", "full");
    assert_eq!(app.as_token(&full, "GET", "/api/schedules", None).status, 200);
    let id = app.as_browser(&admin, "GET", "/api/tokens", None).json()[0]["id"].as_i64().unwrap();
    assert_eq!(app.as_browser(&admin, "DELETE", &format!("/api/tokens/{id}"), None).status, 204);
    for _ in 0..3 {
        assert_eq!(app.as_token(&full, "GET", "/api/schedules", None).status, 401);
    }
}

#[test]
fn cookie_writes_need_the_csrf_token_and_the_same_origin() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let origin = app.base_url.clone();
    let referer = format!("{origin}/settings");
    let json_type = ("Content-Type", "application/json");
    let cookie = ("Cookie", admin.cookie.as_str());
    let token = ("X-CSRF-Token", admin.csrf.as_str());
    let body = |name: &str| json!({"name": name}).to_string();

    let refused: [(&str, Vec<(&str, &str)>); 5] = [
        ("no token", vec![cookie, json_type, ("Origin", &origin)]),
        ("wrong token", vec![cookie, json_type, ("Origin", &origin), ("X-CSRF-Token", "AAAA")]),
        ("other site", vec![cookie, json_type, token, ("Origin", "http://evil.example")]),
        ("other site by referer", vec![cookie, json_type, token, ("Referer", "http://evil.example/x")]),
        ("no origin at all", vec![cookie, json_type, token]),
    ];
    for (what, headers) in refused {
        let reply = app.request("POST", "/api/tokens", &headers, Some(body("refused").as_bytes()));
        assert_eq!((reply.status, reply.code()), (403, "forbidden".into()), "{what}: {}", reply.text);
    }
    let ok = app.request(
        "POST",
        "/api/tokens",
        &[cookie, json_type, token, ("Referer", &referer)],
        Some(body("a").as_bytes()),
    );
    assert_eq!(ok.status, 201, "same-origin Referer: {}", ok.text);
    let ok = app.request(
        "POST",
        "/api/tokens",
        &[cookie, json_type, token, ("Origin", &origin)],
        Some(body("b").as_bytes()),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);

    // an HTML form sends the token as a field
    let form_type = ("Content-Type", "application/x-www-form-urlencoded");
    let without = app.request(
        "POST",
        "/settings/tokens",
        &[cookie, form_type, ("Origin", &origin)],
        Some(b"name=c&role=read"),
    );
    assert_eq!(without.status, 403, "{}", without.text);
    let form = format!("csrf_token={}&name=c&role=read", admin.csrf);
    let with = app.request(
        "POST",
        "/settings/tokens",
        &[cookie, form_type, ("Origin", &origin)],
        Some(form.as_bytes()),
    );
    assert_eq!(with.status, 200, "{}", with.text);
    assert!(with.text.contains("ctk_"), "the new token is shown once on the page");
    assert_eq!(with.header("cache-control"), Some("no-store"));

    // bearer requests carry no ambient credential: no CSRF token, no Origin needed
    let full = app.token(&admin, "script", "full");
    let reply = app.as_token(&full, "POST", "/api/tokens", Some(body("d").as_bytes()));
    assert_eq!(reply.status, 201, "{}", reply.text);

    // nor can another site sign a browser in (login CSRF)
    let login = format!("username=admin&password={}", common::form_encode(ADMIN_PASSWORD));
    let reply = app.request(
        "POST",
        "/login",
        &[form_type, ("Origin", "http://evil.example")],
        Some(login.as_bytes()),
    );
    assert_eq!(reply.status, 403);

    let names: BTreeSet<String> = app
        .as_browser(&admin, "GET", "/api/tokens", None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "b", "c", "d", "script"].into_iter().map(String::from).collect());
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn directives(csp: &str) -> BTreeSet<String> {
    csp.split(';')
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty())
        .collect()
}

fn assert_security_headers(what: &str, reply: &Reply) {
    let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert_eq!(directives(csp), directives(CSP), "{what}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(reply.header("referrer-policy"), Some("same-origin"), "{what}");
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
}

#[test]
fn every_answer_carries_the_security_headers() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let anonymous = [
        ("login page", "GET", "/login"),
        ("redirect", "GET", "/"),
        ("401", "GET", "/api/schedules"),
        ("health", "GET", "/healthz"),
        ("static file", "GET", "/static/app.css"),
        ("refused write", "POST", "/api/schedules"),
    ];
    for (what, method, path) in anonymous {
        assert_security_headers(what, &app.request(method, path, &[], None));
    }
    for (what, method, path) in [
        ("dashboard", "GET", "/"),
        ("settings", "GET", "/settings"),
        ("API", "GET", "/api/schedules"),
        ("API 404", "GET", "/api/nothing"),
        ("page 404", "GET", "/nothing"),
        ("bad JSON", "POST", "/api/schedules"),
    ] {
        assert_security_headers(what, &app.as_browser(&admin, method, path, Some(b"{")));
    }
    let meta = format!("<meta name=\"csrf-token\" content=\"{}\">", admin.csrf);
    for page in ["/settings", "/", "/logs"] {
        let html = app.as_browser(&admin, "GET", page, None).text;
        assert!(html.contains(&meta), "{page} has no CSRF meta tag:\n{html}");
    }
}

/// A request of the corpus: method, path, body, and what it tries.
type Case = (&'static str, String, Vec<u8>, String);

fn corpus(container: &str, schedule: i64, admin_id: i64) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let bad_bodies: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty body"),
        (b"{".to_vec(), "cut JSON"),
        (b"{\"container\":}".to_vec(), "no value"),
        (b"\xff\xfe\x00\x01".to_vec(), "not UTF-8"),
        (b"null".to_vec(), "null"),
        (b"[]".to_vec(), "array"),
        (b"\"text\"".to_vec(), "string"),
        (b"42".to_vec(), "number"),
        (b"{\"container\": 5, \"action\": [], \"name\": {}}".to_vec(), "wrong types"),
        (b"{\"enabled\": \"yes\", \"role\": 1}".to_vec(), "wrong types again"),
        (b"{\"enabled\": 1e999}".to_vec(), "a huge number"),
        (b"{\"container\": 123456789012345678901234567890123456789}".to_vec(), "a long number"),
        (format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(), "deep nesting"),
        (b"{\"surprise\": 1}".to_vec(), "unknown field"),
        (b"{\"container\": \"a\", \"container\": \"b\"}".to_vec(), "duplicate key"),
        (
            json!({"container": "a\u{0}b", "action": "restart", "cron": "* * * * *"})
                .to_string()
                .into_bytes(),
            "NUL",
        ),
        (
            json!({"name": "a\u{1b}[31mred", "username": "a\nb", "password": "12345678"})
                .to_string()
                .into_bytes(),
            "escapes",
        ),
        (json!({"description": "x".repeat(70 * 1024)}).to_string().into_bytes(), "over 64 KiB"),
    ];
    let json_routes = [
        ("POST", "/api/schedules".to_string()),
        ("PATCH", format!("/api/schedules/{schedule}")),
        ("POST", "/api/users".to_string()),
        ("PATCH", format!("/api/users/{admin_id}")),
        ("POST", "/api/users/me/password".to_string()),
        ("POST", "/api/tokens".to_string()),
    ];
    for (method, path) in &json_routes {
        for (body, what) in &bad_bodies {
            cases.push((method, path.clone(), body.clone(), what.to_string()));
        }
    }
    let schedule_bodies = [
        json!({"container": container, "action": "restart", "cron": "*".repeat(10_000)}),
        json!({"container": container, "action": "restart", "cron": "*/0 * * * *"}),
        json!({"container": container, "action": "restart", "cron": "1-2-3 * * * *"}),
        json!({"container": container, "action": "restart", "cron": "99 99 99 99 99"}),
        json!({"container": container, "action": "restart", "cron": "* * * * * * * *"}),
        json!({"container": container, "action": "restart", "cron": "0 3 * * *", "run_at": "2030-01-01T00:00:00Z"}),
        json!({"container": container, "action": "restart", "run_at": "2000-01-01T00:00:00Z"}),
        json!({"container": container, "action": "restart", "run_at": "tomorrow"}),
        json!({"container": container, "action": "explode", "cron": "0 3 * * *"}),
        json!({"container": container, "action": "restart\u{0}", "cron": "0 3 * * *"}),
        json!({"container": container, "action": "restart", "cron": "0 3 * * *", "timezone": "Mars/Olympus"}),
        json!({"container": container, "action": "restart", "cron": "0 3 * * *", "timezone": "../../etc/passwd"}),
        json!({"container": "x".repeat(10_000), "action": "restart", "cron": "0 3 * * *"}),
        json!({"container": "no-such-container-anywhere", "action": "restart", "cron": "0 3 * * *"}),
        json!({"container": container, "action": "restart", "cron": "0 3 * * *", "description": "d".repeat(600)}),
        json!({"container": container, "action": "restart", "cron": "0 3 * * *", "description": "a\u{7}bell"}),
    ];
    for body in &schedule_bodies {
        cases.push((
            "POST",
            "/api/schedules".into(),
            body.to_string().into_bytes(),
            format!("schedule {body:.80}"),
        ));
        cases.push((
            "PATCH",
            format!("/api/schedules/{schedule}"),
            body.to_string().into_bytes(),
            "patch".into(),
        ));
    }
    for body in [
        json!({"username": "u".repeat(10_000), "password": "12345678"}),
        json!({"username": "okname", "password": "short"}),
        json!({"username": "okname", "password": "p".repeat(5000)}),
        json!({"username": "okname", "password": "12345678", "role": "root"}),
        json!({"username": "<img src=x>", "password": "12345678"}),
        json!({"username": "admin", "password": "12345678"}),
        json!({"username": "ADMIN", "password": "12345678"}),
    ] {
        cases.push(("POST", "/api/users".into(), body.to_string().into_bytes(), format!("user {body:.80}")));
    }
    for body in [json!({"role": "viewer"}), json!({"role": "god"}), json!({"password": "short"}), json!({})] {
        cases.push((
            "PATCH",
            format!("/api/users/{admin_id}"),
            body.to_string().into_bytes(),
            format!("{body}"),
        ));
    }
    for body in [
        json!({"name": ""}),
        json!({"name": "a b"}),
        json!({"name": "ok", "role": "god"}),
        json!({"name": "n".repeat(100)}),
    ] {
        cases.push(("POST", "/api/tokens".into(), body.to_string().into_bytes(), format!("{body}")));
    }
    let tricks = [
        ("DELETE", "/api/schedules/..%2F.."),
        ("DELETE", "/api/schedules/%00"),
        ("DELETE", "/api/schedules/-1"),
        ("DELETE", "/api/schedules/0"),
        ("DELETE", "/api/schedules/99999999999999999999"),
        ("DELETE", "/api/schedules/1e3"),
        ("DELETE", "/api/schedules/%20"),
        ("DELETE", "/api/schedules/999999"),
        ("PATCH", "/api/schedules/abc"),
        ("POST", "/api/schedules/..%2F../run"),
        ("POST", "/api/schedules/%00/run"),
        ("POST", "/api/schedules/999999/run"),
        ("POST", "/api/containers/%00/restart"),
        ("POST", "/api/containers/..%2F..%2Fetc/restart"),
        ("POST", "/api/containers/%2e%2e/restart"),
        ("POST", "/api/containers/no-such-container-anywhere/restart"),
        ("DELETE", "/api/users/abc"),
        ("DELETE", "/api/users/999999"),
        ("PATCH", "/api/users/..%2F.."),
        ("DELETE", "/api/tokens/%00"),
        ("DELETE", "/api/tokens/999999"),
        ("POST", "/api/schedules/../schedules"),
    ];
    for (method, path) in tricks {
        cases.push((method, path.into(), b"{}".to_vec(), "path trick".into()));
    }
    let long_ref = format!("/api/containers/{}/restart", "c".repeat(300));
    cases.push(("POST", long_ref, Vec::new(), "a long reference".into()));
    cases.push((
        "POST",
        format!("/api/containers/{container}/explode"),
        Vec::new(),
        "an unknown action".into(),
    ));
    cases.push((
        "POST",
        format!("/api/containers/{container}/RESTART%00"),
        Vec::new(),
        "NUL in the action".into(),
    ));
    cases
}

#[test]
fn malformed_requests_get_4xx_json_and_change_nothing() {
    let container = TestContainer::run("corpus", &[]);
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let full = app.token(&admin, "corpus", "full");
    wait_for("the container in Chrontainer's list", Duration::from_secs(60), || {
        let reply = app.as_token(&full, "GET", &format!("/api/containers/{}", container.name), None);
        (reply.status == 200).then_some(())
    });
    let new =
        json!({"container": container.name, "action": "restart", "cron": "0 3 1 1 *", "enabled": false});
    let created = app.as_token(&full, "POST", "/api/schedules", Some(new.to_string().as_bytes()));
    assert_eq!(created.status, 201, "{}", created.text);
    let schedule = created.json()["id"].as_i64().unwrap();
    let users = app.as_token(&full, "GET", "/api/users", None).json();
    let admin_id = users[0]["id"].as_i64().unwrap();
    let before = snapshot(&app, &admin);

    let mut failures = Vec::new();
    for (method, path, body, what) in corpus(&container.name, schedule, admin_id) {
        for (who, reply) in [
            ("token", app.as_token(&full, method, &path, Some(&body))),
            ("session", app.as_browser(&admin, method, &path, Some(&body))),
        ] {
            let is_json = reply.header("content-type").is_some_and(|t| t.starts_with("application/json"));
            if !(400..500).contains(&reply.status) || !is_json || reply.code().is_empty() {
                failures.push(format!(
                    "{who} {method} {path} ({what}): {} {}",
                    reply.status,
                    crate_clip(&reply.text)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "not a 4xx JSON error:\n{}", failures.join("\n"));
    assert_eq!(snapshot(&app, &admin), before, "the corpus changed something");
    let big = json!({"description": "x".repeat(70 * 1024)}).to_string();
    assert_eq!(app.as_token(&full, "POST", "/api/schedules", Some(big.as_bytes())).status, 413);
}

fn crate_clip(s: &str) -> String {
    s.chars().take(200).collect()
}

#[test]
fn a_hostile_compose_label_is_shown_as_text() {
    let label = "<img src=x onerror=alert(1)>";
    let container = TestContainer::run("xss", &["--label", &format!("com.docker.compose.project={label}")]);
    let app = App::start();
    // Docker integration may still be starting: wait for the list rather than fail on a 503
    wait_for("the container in /api/containers", Duration::from_secs(60), || {
        let reply = app.request("GET", "/api/containers", &[], None);
        (reply.status == 200 && reply.text.contains(&container.name)).then_some(())
    });
    let page = app.request("GET", "/", &[], None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains(&container.name), "the container is not on the dashboard");
    assert!(!page.text.contains("<img src=x"), "the label came through as markup");
    // handlebars also escapes `=` (as &#x3D;): read that back to compare with the plain escape
    let text = page.text.replace("&#x3D;", "=");
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"), "the label is not shown as text");
}
