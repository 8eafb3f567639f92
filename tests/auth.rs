//! Authentication from outside: the first admin, sign-in and sign-out, sessions, passwords, roles,
//! API tokens, throttling and the audit trail, against the real binary and a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{wait_for, App, TestContainer, ADMIN_PASSWORD};
use serde_json::{json, Value};

fn body(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// The generated first password, from the file it is written to; its mode bits.
fn generated_password(data_dir: &std::path::Path) -> (String, u32) {
    use std::os::unix::fs::PermissionsExt;
    let file = data_dir.join("initial-admin-password");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    (text.trim_end().to_string(), mode)
}

#[test]
fn the_first_start_writes_a_generated_password_to_an_owners_only_file_never_to_the_log() {
    let app = App::start_with(&[("CHRONTAINER_AUTH", "password")]);
    let (password, mode) = generated_password(app.data_dir.path());
    assert!(password.len() >= 20, "{password}");
    assert_eq!(mode, 0o600, "readable by its owner only");
    let output = app.output();
    assert!(!output.contains(&password), "the password is in the log:\n{output}");
    let file = app.data_dir.path().join("initial-admin-password");
    assert!(output.contains(&file.display().to_string()), "the log says where it is:\n{output}");
    assert!(output.contains("/settings"), "the log says where to change it:\n{output}");
    app.login("admin", &password);

    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    let again = App::start_in(dir.clone(), &[("CHRONTAINER_AUTH", "password")]);
    let output = again.output();
    assert!(!output.contains(&password), "the password came into the log:\n{output}");
    assert!(!output.contains("generated password"), "{output}");
    assert_eq!(generated_password(dir.path()).0, password, "a later start leaves it alone");
    again.login("admin", &password);
}

#[test]
fn the_password_file_goes_when_the_first_admin_changes_the_password() {
    let app = App::start_with(&[("CHRONTAINER_AUTH", "password")]);
    let (password, _) = generated_password(app.data_dir.path());
    let file = app.data_dir.path().join("initial-admin-password");
    let admin = app.login("admin", &password);

    // another user's password is not the first admin's: the file stays
    let bob = json!({"username": "bob", "password": "bob's password 1", "role": "viewer"});
    assert_eq!(app.as_browser(&admin, "POST", "/api/users", Some(&body(bob))).status, 201);
    let bob = app.login("bob", "bob's password 1");
    let change = json!({"current_password": "bob's password 1", "new_password": "bob's password 2"});
    assert_eq!(app.as_browser(&bob, "POST", "/api/users/me/password", Some(&body(change))).status, 204);
    assert!(file.exists(), "bob's change took the admin's file");

    let wrong = json!({"current_password": "not it", "new_password": "a new password 2"});
    assert_eq!(app.as_browser(&admin, "POST", "/api/users/me/password", Some(&body(wrong))).status, 400);
    assert!(file.exists(), "a refused change took the file");
    let change = json!({"current_password": password, "new_password": "a new password 2"});
    let reply = app.as_browser(&admin, "POST", "/api/users/me/password", Some(&body(change)));
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(!file.exists(), "the file outlived the password it holds");
    assert!(!app.output().contains(&password), "{}", app.output());
}

#[test]
fn the_admin_password_can_come_from_the_environment_and_is_never_logged() {
    let app = App::start_secured(&[]);
    app.login("admin", ADMIN_PASSWORD);
    assert_eq!(app.try_login("admin", "wrong password").status, 401);
    let output = app.output();
    assert!(!output.contains(ADMIN_PASSWORD), "{output}");
    assert!(!output.contains("wrong password"), "{output}");
    assert!(!output.contains("generated password"), "{output}");
}

#[test]
fn without_credentials_the_api_says_401_and_pages_send_to_the_login() {
    let app = App::start_secured(&[]);
    let api = app.request("GET", "/api/schedules", &[], None);
    assert_eq!(api.status, 401, "{}", api.text);
    assert_eq!(api.code(), "unauthorized");
    assert_eq!(api.header("www-authenticate"), Some("Bearer"));

    let page = app.request("GET", "/logs?status=error", &[], None);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=/logs%3Fstatus%3Derror"));
    assert_eq!(app.request("GET", "/", &[], None).header("location"), Some("/login?next=/"));

    assert_eq!(app.request("GET", "/healthz", &[], None).status, 200);
    let login = app.request("GET", "/login?next=/logs", &[], None);
    assert_eq!(login.status, 200);
    assert!(
        login.text.contains("action=\"/login\"") && login.text.contains("name=\"password\""),
        "{}",
        login.text
    );
    assert!(login.text.contains("value=\"/logs\""), "the form keeps where to go next");

    let metrics = app.request("GET", "/metrics", &[], None);
    assert_eq!(metrics.status, 401, "metrics need a token too");
}

#[test]
fn signing_in_sends_to_a_local_next_only() {
    let app = App::start_secured(&[]);
    for (next, expected) in [
        ("%2Flogs%3Fstatus%3Derror", "/logs?status=error"),
        ("%2F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
    ] {
        let form = format!("username=admin&password={}&next={next}", common::form_encode(ADMIN_PASSWORD));
        let reply = app.request(
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(form.as_bytes()),
        );
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(reply.header("location"), Some(expected), "next={next}");
    }
    // signed in, the login page sends on
    let session = app.login("admin", ADMIN_PASSWORD);
    let again = app.request("GET", "/login", &[("Cookie", &session.cookie)], None);
    assert_eq!((again.status, again.header("location")), (303, Some("/")));
}

#[test]
fn the_session_cookie_is_httponly_strict_and_secure_when_asked() {
    let app = App::start_secured(&[]);
    let reply = app.try_login("admin", ADMIN_PASSWORD);
    let cookie = reply.header("set-cookie").unwrap().to_string();
    for part in ["chrontainer_session=", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(part), "{part} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    // X-Forwarded-Proto is believed only with CHRONTAINER_TRUST_PROXY
    let form = format!("username=admin&password={}", common::form_encode(ADMIN_PASSWORD));
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-Proto", "https")];
    let forged = app.request("POST", "/login", &headers, Some(form.as_bytes()));
    assert!(!forged.header("set-cookie").unwrap().contains("Secure"));

    let secure =
        App::start_secured(&[("CHRONTAINER_SECURE_COOKIES", "true"), ("CHRONTAINER_SESSION_HOURS", "2")]);
    let cookie = secure.try_login("admin", ADMIN_PASSWORD).header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("; Secure") && cookie.contains("Max-Age=7200"), "{cookie}");

    let proxied = App::start_secured(&[("CHRONTAINER_TRUST_PROXY", "true")]);
    let reply = proxied.request("POST", "/login", &headers, Some(form.as_bytes()));
    assert!(reply.header("set-cookie").unwrap().contains("; Secure"));
}

#[test]
fn signing_out_ends_the_session() {
    let app = App::start_secured(&[]);
    let session = app.login("admin", ADMIN_PASSWORD);
    let form = format!("csrf_token={}", session.csrf);
    let out = app.request(
        "POST",
        "/logout",
        &[
            ("Cookie", &session.cookie),
            ("Origin", &app.base_url),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    );
    assert_eq!((out.status, out.header("location")), (303, Some("/login")), "{}", out.text);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(app.as_browser(&session, "GET", "/api/users/me", None).status, 401);
}

#[test]
fn an_expired_session_no_longer_signs_in() {
    use diesel::RunQueryDsl;
    let app = App::start_secured(&[]);
    let session = app.login("admin", ADMIN_PASSWORD);
    // The session is made to end five seconds from now, behind the process's back, so the
    // process starts again to forget what its cache of live sessions holds. Its first use after
    // that is cached, and the cached session must still end on time.
    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    let mut conn = chrontainer::store::db::open(&dir.path().join("chrontainer.db")).unwrap();
    diesel::sql_query("UPDATE sessions SET expires_at = datetime('now', '+5 seconds')")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let ends = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let app = App::start_in(dir, &[("CHRONTAINER_AUTH", "password")]);
    assert_eq!(app.as_browser(&session, "GET", "/api/schedules", None).status, 200);
    std::thread::sleep(
        ends.saturating_duration_since(std::time::Instant::now()) + std::time::Duration::from_millis(1100),
    );
    assert_eq!(app.as_browser(&session, "GET", "/api/schedules", None).status, 401);
    let page = app.as_browser(&session, "GET", "/", None);
    assert_eq!(page.status, 303);
    assert!(page.header("set-cookie").unwrap().contains("Max-Age=0"), "the stale cookie is cleared");
}

#[test]
fn sessions_survive_a_restart() {
    let app = App::start_secured(&[]);
    let session = app.login("admin", ADMIN_PASSWORD);
    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    let again = App::start_in(dir, &[("CHRONTAINER_AUTH", "password")]);
    assert_eq!(again.as_browser(&session, "GET", "/api/users/me", None).json()["name"], "admin");
}

#[test]
fn changing_a_password_ends_the_other_sessions() {
    let app = App::start_secured(&[]);
    let here = app.login("admin", ADMIN_PASSWORD);
    let elsewhere = app.login("admin", ADMIN_PASSWORD);

    let wrong = json!({"current_password": "not it at all", "new_password": "a new password 2"});
    let reply = app.as_browser(&here, "POST", "/api/users/me/password", Some(&body(wrong)));
    assert_eq!((reply.status, reply.code()), (400, "wrong_password".into()), "{}", reply.text);
    let short = json!({"current_password": ADMIN_PASSWORD, "new_password": "short"});
    assert_eq!(
        app.as_browser(&here, "POST", "/api/users/me/password", Some(&body(short))).code(),
        "weak_password"
    );
    assert_eq!(app.as_browser(&elsewhere, "GET", "/api/users/me", None).status, 200, "nothing changed yet");

    let change = json!({"current_password": ADMIN_PASSWORD, "new_password": "a new password 2"});
    let reply = app.as_browser(&here, "POST", "/api/users/me/password", Some(&body(change)));
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(app.as_browser(&here, "GET", "/api/users/me", None).status, 200, "the asking session stays");
    assert_eq!(app.as_browser(&elsewhere, "GET", "/api/users/me", None).status, 401, "the other one ended");
    assert_eq!(app.try_login("admin", ADMIN_PASSWORD).status, 401);

    // and the same through the settings page's form, without JavaScript
    let third = app.login("admin", "a new password 2");
    let form = format!(
        "csrf_token={}&current_password=a+new+password+2&new_password=password+three&new_password_again=password+three",
        here.csrf
    );
    let reply = app.request(
        "POST",
        "/settings/password",
        &[
            ("Cookie", &here.cookie),
            ("Origin", &app.base_url),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    );
    assert_eq!(
        (reply.status, reply.header("location")),
        (303, Some("/settings?done=password")),
        "{}",
        reply.text
    );
    assert_eq!(app.as_browser(&third, "GET", "/api/users/me", None).status, 401);
    app.login("admin", "password three");
}

#[test]
fn repeated_failures_from_one_address_get_429_with_retry_after() {
    let app = App::start_secured(&[]);
    for _ in 0..5 {
        assert_eq!(app.try_login("admin", "guess").status, 401);
    }
    let refused = app.try_login("admin", "guess");
    assert_eq!(refused.status, 429, "{}", refused.text);
    let wait: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    assert_eq!(app.try_login("admin", ADMIN_PASSWORD).status, 429, "even the right password waits");

    // failures are audited with the address, never with the password
    let rows = {
        let mut conn = chrontainer::store::db::open(&app.data_dir.path().join("chrontainer.db")).unwrap();
        audit_rows(&mut conn)
    };
    assert!(
        rows.iter().filter(|d| d.contains("login_failed as admin from 127.0.0.1")).count() >= 5,
        "{rows:?}"
    );
    assert!(rows.iter().all(|d| !d.contains("guess")), "{rows:?}");
    assert!(!app.output().contains("guess"));
}

#[test]
fn a_crowd_of_wrong_sign_ins_gets_five_password_checks_and_leaves_memory_as_it_was() {
    let app = App::start_secured(&[]);
    // warm up what any sign-in allocates, then take the idle figure
    app.login("admin", ADMIN_PASSWORD);
    std::thread::sleep(Duration::from_millis(500));
    let idle = app.rss_kib();
    let app = std::sync::Arc::new(app);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let health = {
        let (app, stop) = (app.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                answers.push(app.request("GET", "/healthz", &[], None).status);
                std::thread::sleep(Duration::from_millis(50));
            }
            answers
        })
    };
    let crowd: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            std::thread::spawn(move || app.try_login("admin", &format!("wrong guess {i}")).status)
        })
        .collect();
    let statuses: Vec<u16> = crowd.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let health = health.join().unwrap();

    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "{checked} wrong passwords were checked: {statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
    assert_eq!(
        app.try_login("admin", ADMIN_PASSWORD).status,
        429,
        "the right password after the crowd waits"
    );
    assert!(!health.is_empty() && health.iter().all(|s| *s == 200), "/healthz during the crowd: {health:?}");
    let rows = {
        let mut conn = chrontainer::store::db::open(&app.data_dir.path().join("chrontainer.db")).unwrap();
        audit_rows(&mut conn)
    };
    let failed = rows.iter().filter(|d| d.starts_with("login_failed")).count();
    assert!(failed <= 5, "{failed} password checks were audited: {rows:?}");
    std::thread::sleep(Duration::from_millis(500));
    let after = app.rss_kib();
    println!("RSS idle {idle} KiB, after 200 concurrent wrong sign-ins {after} KiB");
    assert!(after <= idle + 10 * 1024, "RSS grew from {idle} KiB to {after} KiB");
}

/// `event detail` of every audit row, read straight from the database.
fn audit_rows(conn: &mut diesel::SqliteConnection) -> Vec<String> {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        line: String,
    }
    diesel::sql_query("SELECT event || ' ' || detail AS line FROM audit ORDER BY id")
        .load::<Row>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect()
}

#[test]
fn admins_manage_users_and_viewers_only_look() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let new = json!({"username": "vera", "password": "viewer password", "role": "viewer"});
    let reply = app.as_browser(&admin, "POST", "/api/users", Some(&body(new.clone())));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let vera_id = reply.json()["id"].as_i64().unwrap();
    assert!(reply.json().get("password_hash").is_none());
    assert_eq!(app.as_browser(&admin, "POST", "/api/users", Some(&body(new))).code(), "username_taken");

    let vera = app.login("vera", "viewer password");
    assert_eq!(app.as_browser(&vera, "GET", "/api/schedules", None).status, 200);
    assert_eq!(app.as_browser(&vera, "GET", "/api/users", None).status, 200);
    let refused = app.as_browser(
        &vera,
        "POST",
        "/api/users",
        Some(&body(json!({"username": "x", "password": "12345678"}))),
    );
    assert_eq!((refused.status, refused.code()), (403, "forbidden".into()));
    assert!(refused.json()["error"]["message"].as_str().unwrap().contains("viewer"), "{}", refused.text);
    assert_eq!(app.as_browser(&vera, "GET", "/api/audit", None).status, 403, "the audit trail is for admins");
    let settings = app.as_browser(&vera, "GET", "/settings", None);
    assert_eq!(settings.status, 200);
    assert!(!settings.text.contains("action=\"/settings/users\""), "no admin forms for a viewer");
    // a viewer may still change their own password
    let change = json!({"current_password": "viewer password", "new_password": "viewer password 2"});
    assert_eq!(app.as_browser(&vera, "POST", "/api/users/me/password", Some(&body(change))).status, 204);

    // the last admin stays an admin
    let me = app.as_browser(&admin, "GET", "/api/users", None).json();
    let admin_id =
        me.as_array().unwrap().iter().find(|u| u["username"] == "admin").unwrap()["id"].as_i64().unwrap();
    let demote = app.as_browser(
        &admin,
        "PATCH",
        &format!("/api/users/{admin_id}"),
        Some(&body(json!({"role": "viewer"}))),
    );
    assert_eq!(demote.code(), "last_admin");
    assert_eq!(
        app.as_browser(&admin, "DELETE", &format!("/api/users/{admin_id}"), None).code(),
        "last_admin"
    );

    // promoted, vera may act at once (roles are read on every request); deleted, her session ends
    let promote = app.as_browser(
        &admin,
        "PATCH",
        &format!("/api/users/{vera_id}"),
        Some(&body(json!({"role": "admin"}))),
    );
    assert_eq!(promote.json()["role"], "admin", "{}", promote.text);
    assert_eq!(app.as_browser(&vera, "GET", "/api/audit", None).status, 200);
    assert_eq!(app.as_browser(&admin, "DELETE", &format!("/api/users/{vera_id}"), None).status, 204);
    assert_eq!(app.as_browser(&vera, "GET", "/api/schedules", None).status, 401);

    let audit = app.as_browser(&admin, "GET", "/api/audit?limit=100", None).json();
    let events: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    for event in ["user_created", "login_succeeded", "password_changed", "user_updated", "user_deleted"] {
        assert!(events.contains(&event), "{event} missing from {events:?}");
    }
}

#[test]
fn tokens_are_shown_once_stored_hashed_and_refused_once_revoked() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let reply =
        app.as_browser(&admin, "POST", "/api/tokens", Some(&body(json!({"name": "backup", "role": "read"}))));
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let secret = reply.json()["token"].as_str().unwrap().to_string();
    let id = reply.json()["id"].as_i64().unwrap();
    assert!(secret.starts_with("ctk_") && secret.len() == 47, "{secret}");

    let list = app.as_browser(&admin, "GET", "/api/tokens", None);
    assert!(!list.text.contains(&secret[4..]), "a listed token shows its secret");
    assert_eq!(list.json()[0]["role"], "read");
    for file in ["chrontainer.db", "chrontainer.db-wal"] {
        let bytes = std::fs::read(app.data_dir.path().join(file)).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret[4..]), "the secret is in {file}");
    }

    assert_eq!(app.as_token(&secret, "GET", "/api/schedules", None).status, 200);
    assert_eq!(app.as_token(&secret, "GET", "/metrics", None).status, 200, "a read token may scrape metrics");
    let me = app.as_token(&secret, "GET", "/api/users/me", None).json();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str(), me["via"].as_str()),
        (Some("token:backup"), Some("viewer"), Some("token"))
    );
    assert_eq!(app.as_token(&secret, "DELETE", &format!("/api/tokens/{id}"), None).status, 403);
    assert_eq!(app.as_token("ctk_not-a-real-token", "GET", "/api/schedules", None).status, 401);
    assert_eq!(
        app.request("GET", "/api/schedules", &[("Authorization", "Basic YWRtaW46YWRtaW4=")], None).status,
        401
    );

    assert_eq!(app.as_browser(&admin, "DELETE", &format!("/api/tokens/{id}"), None).status, 204);
    let refused = app.as_token(&secret, "GET", "/api/schedules", None);
    assert_eq!((refused.status, refused.code()), (401, "unauthorized".into()));
    let list = app.as_browser(&admin, "GET", "/api/tokens", None).json();
    assert!(list[0]["revoked_at"].is_string(), "{list}");
    // the name is free again
    assert_eq!(
        app.as_browser(&admin, "POST", "/api/tokens", Some(&body(json!({"name": "backup"})))).status,
        201
    );
}

#[test]
fn a_token_never_has_more_rights_than_its_user_has_now() {
    let container = TestContainer::run("owner", &[]);
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let new = json!({"username": "ada", "password": "ada password", "role": "admin"});
    let reply = app.as_browser(&admin, "POST", "/api/users", Some(&body(new)));
    assert_eq!(reply.status, 201, "{}", reply.text);
    let ada_id = reply.json()["id"].as_i64().unwrap();
    let ada = app.login("ada", "ada password");
    let script = app.token(&ada, "ada-script", "full");
    app.token(&admin, "admins-own", "read");
    let restart = format!("/api/containers/{}/restart", container.name);
    wait_for("the container in the cache", Duration::from_secs(30), || {
        (app.as_token(&script, "GET", &format!("/api/containers/{}", container.name), None).status == 200)
            .then_some(())
    });
    let tokens = app.as_browser(&admin, "GET", "/api/tokens", None).json();
    let mine = tokens.as_array().unwrap().iter().find(|t| t["name"] == "ada-script").unwrap().clone();
    assert_eq!(mine["user_id"], ada_id, "the token belongs to who made it: {tokens}");
    assert_eq!(app.as_token(&script, "POST", &restart, None).status, 200);

    // ada demoted: her full token now acts as a viewer, at once
    let demote = json!({"role": "viewer"});
    let reply = app.as_browser(&admin, "PATCH", &format!("/api/users/{ada_id}"), Some(&body(demote)));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let refused = app.as_token(&script, "POST", &restart, None);
    assert_eq!((refused.status, refused.code()), (403, "forbidden".into()), "{}", refused.text);
    assert_eq!(app.as_token(&script, "GET", "/api/users/me", None).json()["role"], "viewer");
    assert_eq!(app.as_token(&script, "GET", "/api/schedules", None).status, 200, "it may still look");

    // a viewer lists only itself and its own tokens (a filtered list, not a 403)
    for (who, users, tokens) in [
        (
            "ada's session",
            app.as_browser(&ada, "GET", "/api/users", None),
            app.as_browser(&ada, "GET", "/api/tokens", None),
        ),
        (
            "ada's token",
            app.as_token(&script, "GET", "/api/users", None),
            app.as_token(&script, "GET", "/api/tokens", None),
        ),
    ] {
        assert_eq!((users.status, tokens.status), (200, 200), "{who}");
        let listed = users.json();
        let names: Vec<&str> =
            listed.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["ada"], "{who}: {}", users.text);
        let tokens = tokens.json();
        let names: Vec<&str> =
            tokens.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ada-script"], "{who}");
    }
    let settings = app.as_browser(&ada, "GET", "/settings", None);
    assert_eq!(settings.status, 200);
    assert!(!settings.text.contains("admins-own"), "a viewer's settings page shows only its own tokens");
    assert_eq!(
        app.as_browser(&admin, "GET", "/api/tokens", None).json().as_array().unwrap().len(),
        2,
        "admins see all"
    );

    // promoted again it may act again; deleted, its tokens are revoked
    let promote = json!({"role": "admin"});
    app.as_browser(&admin, "PATCH", &format!("/api/users/{ada_id}"), Some(&body(promote)));
    assert_eq!(app.as_token(&script, "POST", &restart, None).status, 200);
    assert_eq!(app.as_browser(&admin, "DELETE", &format!("/api/users/{ada_id}"), None).status, 204);
    let gone = app.as_token(&script, "GET", "/api/schedules", None);
    assert_eq!((gone.status, gone.code()), (401, "unauthorized".into()));
    let tokens = app.as_browser(&admin, "GET", "/api/tokens", None).json();
    let theirs = tokens.as_array().unwrap().iter().find(|t| t["name"] == "ada-script").unwrap().clone();
    assert!(theirs["revoked_at"].is_string(), "deleting the user revokes its token: {tokens}");
}

#[test]
fn manual_actions_and_schedule_changes_name_who_did_them() {
    let container = TestContainer::run("who", &[]);
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let ops = app.token(&admin, "ops", "full");
    wait_for("the container in the cache", Duration::from_secs(30), || {
        (app.as_token(&ops, "GET", &format!("/api/containers/{}", container.name), None).status == 200)
            .then_some(())
    });

    let act = app.as_token(&ops, "POST", &format!("/api/containers/{}/restart", container.name), None);
    assert_eq!(act.status, 200, "{}", act.text);
    assert_eq!(act.json()["log"]["requested_by"], "token:ops");

    let new = json!({"container": container.name, "action": "restart", "cron": "0 3 * * *"});
    let created = app.as_browser(&admin, "POST", "/api/schedules", Some(&body(new)));
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_i64().unwrap();
    let run = app.as_browser(&admin, "POST", &format!("/api/schedules/{id}/run"), None);
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(run.json()["log"]["requested_by"], "admin");
    let patch = app.as_browser(
        &admin,
        "PATCH",
        &format!("/api/schedules/{id}"),
        Some(&body(json!({"enabled": false}))),
    );
    assert_eq!(patch.status, 200, "{}", patch.text);
    assert_eq!(app.as_token(&ops, "DELETE", &format!("/api/schedules/{id}"), None).status, 204);

    let audit = app.as_token(&ops, "GET", "/api/audit", None).json();
    let items = audit["items"].as_array().unwrap();
    let find = |event: &str| {
        items.iter().find(|e| e["event"] == event).unwrap_or_else(|| panic!("no {event} in {audit}"))
    };
    assert_eq!(find("schedule_created")["actor"], "admin");
    assert!(find("schedule_created")["detail"].as_str().unwrap().contains(&container.name));
    assert_eq!(find("schedule_updated")["actor"], "admin");
    assert_eq!(find("schedule_deleted")["actor"], "token:ops");
    assert_eq!(find("token_created")["actor"], "admin");
    assert!(app.output().contains("audit: schedule_deleted by token:ops"), "an info line in the process log");
}

#[test]
fn with_auth_none_everything_is_open_behind_a_warning() {
    let app = App::start_in(Arc::new(tempfile::tempdir().unwrap()), &[]);
    assert!(app.output().contains("authentication is OFF"), "{}", app.output());
    assert_eq!(app.request("GET", "/api/schedules", &[], None).status, 200);
    let login = app.request("GET", "/login", &[], None);
    assert_eq!((login.status, login.header("location")), (303, Some("/")));
    let settings = app.request("GET", "/settings", &[], None);
    assert_eq!(settings.status, 200, "{}", settings.text);
    assert!(settings.text.contains("Authentication is off"), "the banner is missing");
    let dashboard = app.request("GET", "/", &[], None);
    assert!(dashboard.text.contains("Authentication is off"), "the banner is missing from the dashboard");
    assert!(!settings.text.contains("csrf-token"), "no session, no CSRF token");
    // another site's page still cannot drive the API through a visitor's browser
    let cross = app.request("POST", "/api/containers/x/restart", &[("Origin", "http://evil.example")], None);
    assert_eq!((cross.status, cross.code()), (403, "forbidden".into()), "{}", cross.text);
    assert_eq!(app.request("GET", "/api/users/me", &[], None).json()["via"], "none");
}

/// `GET /` as a browser asks for it (`Accept-Encoding: gzip`): the status, `Content-Encoding`,
/// and the page unzipped.
fn dashboard_gzipped(app: &App, session: &common::Session) -> (u16, Option<String>, String) {
    use std::io::Read;
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut resp = agent
        .get(format!("{}/", app.base_url))
        .header("Cookie", &session.cookie)
        .header("Accept-Encoding", "gzip, deflate, br")
        .call()
        .unwrap();
    let encoding = resp.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
    let zipped = resp.body_mut().read_to_vec().unwrap();
    let mut page = String::new();
    flate2::read::GzDecoder::new(&zipped[..]).read_to_string(&mut page).unwrap();
    (resp.status().as_u16(), encoding, page)
}

#[test]
fn the_dashboard_is_sent_gzipped_and_each_session_gets_its_own_page() {
    let app = App::start_secured(&[]);
    let (first, second) = (app.login("admin", ADMIN_PASSWORD), app.login("admin", ADMIN_PASSWORD));
    assert_ne!(first.csrf, second.csrf);
    for _ in 0..2 {
        for (me, other) in [(&first, &second), (&second, &first)] {
            let (status, encoding, page) = dashboard_gzipped(&app, me);
            assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));
            assert!(page.contains(&me.csrf), "the page carries its own session's CSRF token");
            assert!(!page.contains(&other.csrf), "and never another session's");
            assert!(page.trim_end().ends_with("</html>"), "the whole page");
        }
    }
    let plain = app.as_browser(&first, "GET", "/", None);
    assert_eq!((plain.status, plain.header("content-encoding")), (200, None), "no gzip unless asked for");
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
    assert!(plain.text.contains(&first.csrf) && !plain.text.contains(&second.csrf));
}
