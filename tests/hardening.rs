//! Hardening of the web side, from outside (issue 22): the Host allow-list against DNS rebinding,
//! JSON bodies only as JSON, HEAD on every GET route, what `/healthz` tells strangers, event
//! streams that end with their credential, and the session cookie's name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{wait_for, App, Reply, TestContainer, ADMIN_PASSWORD};

const WAIT: Duration = Duration::from_secs(60);

/// A raw HTTP/1.0 request with no `Host` at all; the status line and the body.
fn without_host(app: &App, path: &str) -> (String, String) {
    let addr = app.base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.lines().next().unwrap_or("").to_string(), body.to_string())
}

/// A raw HTTP/1.1 request (`Connection: close`): the status, the headers (lower-case names, in
/// order) and every byte that came after them.
fn raw(
    app: &App,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = app.base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("{method} {path}: the answer did not end: {e}"));
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("the end of the headers");
    let head = String::from_utf8_lossy(&answer[..end]).to_string();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, answer[end + 4..].to_vec())
}

fn assert_unknown_host(what: &str, reply: &Reply, host: &str) {
    assert_eq!(reply.status, 421, "{what}: {}", reply.text);
    assert!(reply.text.contains(host), "{what}: the refusal names the host: {}", reply.text);
    assert!(reply.text.contains("CHRONTAINER_ALLOWED_HOSTS"), "{what}: {}", reply.text);
}

/// Waits until Chrontainer lists the container (its cache is fed by Docker's events).
fn wait_listed(app: &App, headers: &[(&str, &str)], name: &str) {
    wait_for("the container in Chrontainer's list", WAIT, || {
        (app.request("GET", &format!("/api/containers/{name}"), headers, None).status == 200).then_some(())
    });
}

#[test]
fn a_rebound_host_is_refused_and_restarts_nothing_with_auth_off() {
    let c = TestContainer::run("rebind-open", &[]);
    let app = App::start();
    wait_listed(&app, &[], &c.name);
    let started = c.started_at();
    let restart = format!("/api/containers/{}/restart", c.name);
    let evil = [("Host", "evil.example:5000"), ("Origin", "http://evil.example:5000")];

    let reply = app.request("POST", &restart, &evil, None);
    assert_unknown_host("the reproduction of issue 22", &reply, "evil.example:5000");
    assert_eq!(reply.code(), "unknown_host");
    assert!(reply.header("content-type").unwrap().starts_with("application/json"));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(c.started_at(), started, "a refused restart restarted");

    // the same request under a name it answers to does restart: the refusal above was the host check
    let own = app.base_url.trim_start_matches("http://").to_string();
    let origin = app.base_url.clone();
    let reply = app.request("POST", &restart, &[("Host", &own), ("Origin", &origin)], None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_for("a new StartedAt", WAIT, || (c.started_at() != started).then_some(()));

    // every kind of route, in its own way: JSON for the API and metrics, a plain page elsewhere
    for path in ["/metrics", "/api/containers", "/api/nothing-here"] {
        let reply = app.request("GET", path, &[("Host", "evil.example")], None);
        assert_unknown_host(path, &reply, "evil.example");
        assert_eq!(reply.code(), "unknown_host", "{path}");
    }
    for path in ["/", "/logs", "/login", "/healthz", "/static/app.css", "/no-such-page"] {
        let reply = app.request("GET", path, &[("Host", "evil.example")], None);
        assert_unknown_host(path, &reply, "evil.example");
        assert!(reply.header("content-type").unwrap().starts_with("text/plain"), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{path}");
    }
    // names it answers to: IP literals, localhost (any case, any port, a trailing dot), no Host at all
    for host in ["127.0.0.1", "127.0.0.1:1", "[::1]:5000", "LocalHost.:5000", "10.1.2.3"] {
        let reply = app.request("GET", "/healthz", &[("Host", host)], None);
        assert_eq!(reply.status, 200, "{host}: {}", reply.text);
    }
    let (status, body) = without_host(&app, "/healthz");
    assert!(status.contains(" 200 "), "{status} {body}");
}

#[test]
fn a_rebound_host_is_refused_and_restarts_nothing_with_auth_on() {
    let c = TestContainer::run("rebind-auth", &[]);
    let app = App::start_secured(&[("CHRONTAINER_ALLOWED_HOSTS", "pi.example")]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let token = app.token(&admin, "rebind", "full");
    let bearer = format!("Bearer {token}");
    wait_listed(&app, &[("Authorization", &bearer)], &c.name);
    let started = c.started_at();
    let restart = format!("/api/containers/{}/restart", c.name);

    let host = ("Host", "evil.example:5000");
    let origin = ("Origin", "http://evil.example:5000");
    let tries: [(&str, Vec<(&str, &str)>); 3] = [
        ("anonymous", vec![host, origin]),
        ("with a token", vec![host, origin, ("Authorization", &bearer)]),
        ("with the session", vec![host, origin, ("Cookie", &admin.cookie), ("X-CSRF-Token", &admin.csrf)]),
    ];
    for (what, headers) in tries {
        let reply = app.request("POST", &restart, &headers, None);
        assert_unknown_host(what, &reply, "evil.example:5000");
        assert_eq!(reply.code(), "unknown_host", "{what}");
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(c.started_at(), started, "a refused restart restarted");

    // a name from CHRONTAINER_ALLOWED_HOSTS is answered
    let reply = app.request(
        "POST",
        &restart,
        &[("Host", "PI.example:5000"), ("Origin", "http://PI.example:5000"), ("Authorization", &bearer)],
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_for("a new StartedAt", WAIT, || (c.started_at() != started).then_some(()));
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_host_is_checked_too() {
    let app =
        App::start_with(&[("CHRONTAINER_TRUST_PROXY", "true"), ("CHRONTAINER_ALLOWED_HOSTS", "pi.example")]);
    let ok = app.request("GET", "/healthz", &[("X-Forwarded-Host", "pi.example")], None);
    assert_eq!(ok.status, 200, "{}", ok.text);
    let reply = app.request("GET", "/healthz", &[("X-Forwarded-Host", "evil.example")], None);
    assert_unknown_host("forwarded", &reply, "evil.example");
    // without CHRONTAINER_TRUST_PROXY the header means nothing, so it is not checked either
    let plain = App::start();
    let reply = plain.request("GET", "/healthz", &[("X-Forwarded-Host", "evil.example")], None);
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[test]
fn json_routes_take_only_bodies_declared_json() {
    let c = TestContainer::run("ctype", &[]);
    for app in [App::start(), App::start_secured(&[])] {
        let auth = if app.request("GET", "/api/schedules", &[], None).status == 401 {
            let admin = app.login("admin", ADMIN_PASSWORD);
            format!("Bearer {}", app.token(&admin, "ctype", "full"))
        } else {
            String::new()
        };
        let headers = |content_type: Option<&'static str>| {
            let mut h = vec![("Origin", app.base_url.as_str())];
            if !auth.is_empty() {
                h.push(("Authorization", auth.as_str()));
            }
            if let Some(t) = content_type {
                h.push(("Content-Type", t));
            }
            h
        };
        wait_listed(&app, &headers(None), &c.name);
        let body = format!(r#"{{"container":"{}","action":"restart","cron":"0 3 * * *"}}"#, c.name);
        for content_type in [
            Some("text/plain"),
            Some("text/plain; charset=utf-8"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let reply = app.request("POST", "/api/schedules", &headers(content_type), Some(body.as_bytes()));
            assert_eq!(
                (reply.status, reply.code()),
                (415, "unsupported_media_type".to_string()),
                "{content_type:?}: {}",
                reply.text
            );
            assert!(reply.json()["error"]["message"].as_str().unwrap().contains("application/json"));
        }
        let list = app.request("GET", "/api/schedules", &headers(None), None);
        assert_eq!(list.json(), serde_json::json!([]), "a refused body created a schedule");

        let created = app.request(
            "POST",
            "/api/schedules",
            &headers(Some("application/json; charset=utf-8")),
            Some(body.as_bytes()),
        );
        assert_eq!(created.status, 201, "{}", created.text);
    }
}

/// Every GET path of the OpenAPI document, path parameters filled with `1`.
fn documented_get_paths(app: &App, headers: &[(&str, &str)]) -> Vec<String> {
    let doc = app.request("GET", "/api/openapi.json", headers, None).json();
    let mut paths = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        if ops.get("get").is_none() {
            continue;
        }
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
        paths.push(filled);
    }
    assert!(paths.len() >= 8, "too few documented GET routes: {paths:?}");
    paths
}

#[test]
fn head_answers_every_get_route_like_get_without_a_body() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let signed_in = [("Cookie", admin.cookie.as_str())];
    let mut paths = documented_get_paths(&app, &signed_in);
    paths.extend(
        ["/", "/logs", "/settings", "/healthz", "/metrics", "/static/app.css", "/static/app.js"]
            .map(String::from),
    );
    paths.extend(["/no-such-page", "/api/no-such-route"].map(String::from));
    let mut checked = 0;
    for path in &paths {
        for (who, headers) in [("signed in", &signed_in[..]), ("anonymous", &[][..])] {
            let (status, head_headers, body) = raw(&app, "HEAD", path, headers);
            assert!(body.is_empty(), "HEAD {path} ({who}) sent a body: {:?}", String::from_utf8_lossy(&body));
            if path == "/api/events" {
                // an endless body: only its head is compared
                let (get_status, get_headers, _) = raw_head_of_stream(&app, path, headers);
                assert_eq!(status, get_status, "{path} ({who})");
                assert_eq!(header(&head_headers, "content-type"), header(&get_headers, "content-type"));
                continue;
            }
            let (get_status, get_headers, get_body) = raw(&app, "GET", path, headers);
            assert_eq!(status, get_status, "HEAD and GET {path} ({who})");
            let comparable = |h: &[(String, String)]| -> Vec<(String, String)> {
                let mut h: Vec<_> =
                    h.iter().filter(|(k, _)| k != "date" && k != "content-length").cloned().collect();
                h.sort();
                h
            };
            assert_eq!(comparable(&head_headers), comparable(&get_headers), "HEAD and GET {path} ({who})");
            if let Some(length) = header(&head_headers, "content-length") {
                let length: usize = length.parse().unwrap();
                // /metrics counts the requests themselves; everything else is the same body
                if path != "/metrics" {
                    assert_eq!(length, get_body.len(), "HEAD {path} ({who}) content-length");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} routes compared");
    let (status, _, _) = raw(&app, "HEAD", "/api/no-such-route", &signed_in);
    assert_eq!(status, 404, "a route that does not exist is still 404");
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The status and headers of a GET whose body never ends (the event stream).
fn raw_head_of_stream(app: &App, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>, ()) {
    let addr = app.base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "GET {path} ended before its headers");
        answer.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&answer).to_string();
    let mut lines = head.split("\r\n\r\n").next().unwrap().lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, ())
}

#[test]
fn healthz_tells_strangers_only_that_it_works() {
    let app = App::start_secured(&[]);
    let anonymous = app.request("GET", "/healthz", &[], None);
    assert_eq!((anonymous.status, anonymous.json()), (200, serde_json::json!({"status": "ok"})));
    for forged in [
        ("Authorization", "Bearer ctk_forged"),
        ("Cookie", "chrontainer_session=forged-forged-forged-forged-forged-forged-for"),
    ] {
        let reply = app.request("GET", "/healthz", &[forged], None);
        assert_eq!((reply.status, reply.json()), (200, serde_json::json!({"status": "ok"})), "{forged:?}");
    }

    let admin = app.login("admin", ADMIN_PASSWORD);
    let token = app.token(&admin, "health", "read");
    let bearer = format!("Bearer {token}");
    for (who, headers) in
        [("session", [("Cookie", admin.cookie.as_str())]), ("token", [("Authorization", &bearer)])]
    {
        let full = app.request("GET", "/healthz", &headers, None).json();
        assert_eq!(
            (full["status"].as_str(), full["database"].as_str()),
            (Some("ok"), Some("ok")),
            "{who}: {full}"
        );
        assert!(full["docker"]["status"].is_string(), "{who}: {full}");
    }
}

/// An open `/api/events` stream read by a thread: what came so far, and when it ended.
struct Watched {
    socket: std::net::TcpStream,
    text: std::sync::Arc<std::sync::Mutex<String>>,
    ended: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Watched {
    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    fn ended(&self) -> Option<std::time::Instant> {
        *self.ended.lock().unwrap()
    }

    fn keepalives(&self) -> usize {
        self.text().matches(": keepalive").count()
    }

    /// The client goes away.
    fn close(self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

/// Opens `/api/events` with `headers`: the stream, or the status and body of the refusal.
fn open_stream(app: &App, headers: &[(&str, &str)]) -> Result<Watched, (u16, String)> {
    let addr = app.base_url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    let mut request = format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    socket.write_all(request.as_bytes()).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(socket.read(&mut byte).unwrap(), 1, "the stream closed before its headers");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    if status != 200 {
        let mut rest = String::new();
        let _ = socket.read_to_string(&mut rest);
        return Err((status, rest));
    }
    socket.set_read_timeout(None).unwrap();
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let ended = std::sync::Arc::new(std::sync::Mutex::new(None));
    let (mut reader, t, e) = (socket.try_clone().unwrap(), text.clone(), ended.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut t = t.lock().unwrap();
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                    // the last chunk of a chunked body: the server ended the stream
                    if t.ends_with("\r\n0\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        *e.lock().unwrap() = Some(std::time::Instant::now());
    });
    wait_for("the stream's first line", WAIT, || text.lock().unwrap().contains(": connected").then_some(()));
    Ok(Watched { socket, text, ended })
}

fn id_of(app: &App, admin: &common::Session, list: &str, key: &str, name: &str) -> i64 {
    let all = app.as_browser(admin, "GET", list, None).json();
    all.as_array().unwrap().iter().find(|x| x[key] == name).unwrap()["id"].as_i64().unwrap()
}

#[test]
fn streams_end_within_15_s_of_their_credential_and_only_theirs() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let new = serde_json::json!({"username": "vic", "password": "viewer password", "role": "viewer"});
    assert_eq!(app.as_browser(&admin, "POST", "/api/users", Some(new.to_string().as_bytes())).status, 201);
    let vic = app.login("vic", "viewer password");
    let other_admin = app.login("admin", ADMIN_PASSWORD);
    let changing = app.login("admin", ADMIN_PASSWORD);
    let revoked = app.token(&admin, "revoked", "read");
    let kept = app.token(&admin, "kept", "read");
    let bearer = |t: &str| format!("Bearer {t}");
    let (revoked_auth, kept_auth) = (bearer(&revoked), bearer(&kept));

    let ending = [
        ("a revoked token", open_stream(&app, &[("Authorization", &revoked_auth)]).unwrap()),
        ("a signed-out session", open_stream(&app, &[("Cookie", &other_admin.cookie)]).unwrap()),
        ("a deleted user's session", open_stream(&app, &[("Cookie", &vic.cookie)]).unwrap()),
        ("a session ended by a password change", open_stream(&app, &[("Cookie", &admin.cookie)]).unwrap()),
    ];
    let lasting = [
        ("another token", open_stream(&app, &[("Authorization", &kept_auth)]).unwrap()),
        (
            "the session that changed the password",
            open_stream(&app, &[("Cookie", &changing.cookie)]).unwrap(),
        ),
    ];
    // a re-check on a live credential keeps the stream
    wait_for("a keepalive on every stream", Duration::from_secs(25), || {
        ending.iter().chain(&lasting).all(|(_, s)| s.keepalives() >= 1).then_some(())
    });
    assert!(ending.iter().chain(&lasting).all(|(_, s)| s.ended().is_none()), "a live stream ended");

    let token_id = id_of(&app, &changing, "/api/tokens", "name", "revoked");
    let vic_id = id_of(&app, &changing, "/api/users", "username", "vic");
    let start = std::time::Instant::now();
    assert_eq!(app.as_browser(&changing, "DELETE", &format!("/api/tokens/{token_id}"), None).status, 204);
    let logout = format!("csrf_token={}", other_admin.csrf);
    let out = app.request(
        "POST",
        "/logout",
        &[
            ("Cookie", &other_admin.cookie),
            ("Origin", &app.base_url),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(logout.as_bytes()),
    );
    assert_eq!(out.status, 303, "{}", out.text);
    assert_eq!(app.as_browser(&changing, "DELETE", &format!("/api/users/{vic_id}"), None).status, 204);
    let change =
        serde_json::json!({"current_password": ADMIN_PASSWORD, "new_password": "another admin password"});
    let changed =
        app.as_browser(&changing, "POST", "/api/users/me/password", Some(change.to_string().as_bytes()));
    assert_eq!(changed.status, 204, "{}", changed.text);

    for (what, stream) in &ending {
        wait_for(what, Duration::from_secs(20), || stream.ended());
        let took = stream.ended().unwrap().saturating_duration_since(start);
        assert!(took <= Duration::from_secs(15), "{what}: the stream ended {took:?} after, not within 15 s");
    }
    let seen = lasting.iter().map(|(_, s)| s.keepalives()).collect::<Vec<_>>();
    wait_for("one more keepalive on the streams that stay", Duration::from_secs(25), || {
        lasting.iter().zip(&seen).all(|((_, s), n)| s.keepalives() > *n).then_some(())
    });
    for (what, stream) in &lasting {
        assert!(stream.ended().is_none(), "{what} ended: {}", stream.text());
    }
}

#[test]
fn the_ninth_stream_of_a_token_is_429_and_a_closed_one_frees_its_slot() {
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let auth = format!("Bearer {}", app.token(&admin, "streams", "read"));
    let headers = [("Authorization", auth.as_str())];
    let mut open: Vec<Watched> = (0..8).map(|_| open_stream(&app, &headers).unwrap()).collect();
    let (status, body) = open_stream(&app, &headers).err().expect("a ninth stream on one token opened");
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too_many_streams"), "{body}");
    // another credential has slots of its own
    let other = open_stream(&app, &[("Cookie", &admin.cookie)]).expect("the session's own stream");

    open.pop().unwrap().close();
    let again = wait_for("the closed stream's slot to come back", Duration::from_secs(30), || {
        open_stream(&app, &headers).ok()
    });
    assert!(again.ended().is_none());
    let (status, _) = open_stream(&app, &headers).err().expect("the slot was given back twice");
    assert_eq!(status, 429);
    other.close();
}

#[test]
fn a_secure_session_cookie_is_host_prefixed_and_signs_in() {
    let secure = App::start_secured(&[("CHRONTAINER_SECURE_COOKIES", "true")]);
    let reply = secure.try_login("admin", ADMIN_PASSWORD);
    let cookie = reply.header("set-cookie").unwrap().to_string();
    assert!(cookie.starts_with("__Host-chrontainer_session=") && cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    // the harness signs in with whatever cookie it gets and reads /api/users/me with it
    let session = secure.login("admin", ADMIN_PASSWORD);
    assert!(session.cookie.starts_with("__Host-chrontainer_session="), "{}", session.cookie);
    let out = secure.request(
        "POST",
        "/logout",
        &[
            ("Cookie", &session.cookie),
            ("Origin", &secure.base_url),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(format!("csrf_token={}", session.csrf).as_bytes()),
    );
    let cleared: Vec<&str> =
        out.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(cleared.iter().any(|c| c.starts_with("__Host-chrontainer_session=;")), "{cleared:?}");
    assert!(cleared.iter().any(|c| c.starts_with("chrontainer_session=;")), "{cleared:?}");

    // HTTPS seen through a trusted proxy gives the prefixed name too
    let proxied = App::start_secured(&[("CHRONTAINER_TRUST_PROXY", "true")]);
    let form = format!("username=admin&password={}", common::form_encode(ADMIN_PASSWORD));
    let reply = proxied.request(
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-Proto", "https")],
        Some(form.as_bytes()),
    );
    assert!(reply.header("set-cookie").unwrap().starts_with("__Host-chrontainer_session="), "{}", reply.text);

    // over plain HTTP the plain name, which is read as before
    let plain = App::start_secured(&[]);
    let session = plain.login("admin", ADMIN_PASSWORD);
    assert!(session.cookie.starts_with("chrontainer_session="), "{}", session.cookie);
}

#[test]
fn plain_http_beyond_loopback_is_warned_about_once_at_start_up() {
    let warning = "sign-ins cross the network in clear text";
    let exposed = App::start_secured(&[("CHRONTAINER_LISTEN", "0.0.0.0:0")]);
    let output = exposed.output();
    assert_eq!(output.matches(warning).count(), 1, "{output}");
    assert!(output.contains("Put Chrontainer behind HTTPS"), "{output}");
    for quiet in [
        App::start_secured(&[]),
        App::start_secured(&[("CHRONTAINER_LISTEN", "0.0.0.0:0"), ("CHRONTAINER_SECURE_COOKIES", "true")]),
    ] {
        assert!(!quiet.output().contains(warning), "{}", quiet.output());
    }
}
