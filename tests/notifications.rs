//! Notifications against real local servers on loopback (an HTTP sink that checks each service's
//! request against its documented API, a small SMTP server), the real binary, and for the
//! end-to-end cases the real Docker Engine. Nothing here reaches the internet.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::dockerd::{make_certs, PrivateDockerd};
use common::sink::{Reply, Sink, SmtpServer};
use common::{free_port, unique_name, wait_for, App, TestContainer, ADMIN_PASSWORD};
use serde_json::{json, Value};

fn channel(app: &App, name: &str, url: &str, events: &[&str]) -> Value {
    let (status, ch) = app.post("/api/channels", json!({"name": name, "url": url, "events": events}));
    assert_eq!(status, 201, "{ch}");
    ch
}

fn test_button(app: &App, ch: &Value) -> (u16, Value) {
    app.post(&format!("/api/channels/{}/test", ch["id"]), json!({}))
}

fn in_secs(s: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(s)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn deliveries(app: &App) -> Vec<Value> {
    let (status, list) = app.get("/api/deliveries?limit=500");
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[test]
fn every_service_gets_the_request_its_documentation_asks_for() {
    let sink = Sink::start();
    let app = App::start();
    let b = sink.base();
    let cases = [
        ("ntfy", "ntfy://tk_token1@127.0.0.1:PORT/alerts?scheme=http&tags=robot".to_string()),
        ("gotify", "gotify://127.0.0.1:PORT/gotify/AppToken2?disabletls=yes".to_string()),
        ("discord", format!("discord://tok3@123456?base={b}&username=ct")),
        ("slack", format!("slack://hook:T01-B02-Xsecret4@webhook?base={b}")),
        ("telegram", format!("telegram://123:Secret5@telegram?chats=@ops,42&base={b}")),
        ("pushover", format!("pushover://shoutrrr:ApiToken6@UserKey/?base={b}&devices=phone")),
        (
            "webhook",
            "generic+http://127.0.0.1:PORT/hook?@Authorization=Bearer%20s7&@X-Who=Grüße&x=1".to_string(),
        ),
    ];
    for (name, url) in &cases {
        let url = url.replace("PORT", &sink.port.to_string());
        let ch = channel(&app, name, &url, &["error"]);
        assert_eq!(ch["service"], *name, "{ch}");
        let (status, answer) = test_button(&app, &ch);
        assert_eq!((status, answer["delivered"].as_bool()), (200, Some(true)), "{name}: {answer}");
    }
    let seen = sink.seen();
    let find = |path: &str| seen.iter().filter(|s| s.target.starts_with(path)).cloned().collect::<Vec<_>>();
    for s in &seen {
        assert_eq!(s.method, "POST", "{s:?}");
    }

    // ntfy: JSON to the root URL with the topic in it, token as Bearer
    let ntfy = seen.iter().find(|s| s.target == "/").expect("ntfy's post to the root URL");
    assert_eq!(ntfy.header("authorization"), Some("Bearer tk_token1"));
    assert_eq!(ntfy.header("content-type"), Some("application/json"));
    let body = ntfy.json();
    assert_eq!((body["topic"].as_str(), body["tags"][0].as_str()), (Some("alerts"), Some("robot")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Test message from Chrontainer"));
    assert!(body["title"].is_string() && body["priority"].is_number(), "{body}");

    // Gotify: /message under the path, the token in X-Gotify-Key
    let gotify = &find("/gotify/message")[0];
    assert_eq!(gotify.header("x-gotify-key"), Some("AppToken2"));
    assert!(gotify.json()["message"].is_string() && gotify.json()["priority"].is_number());

    // Discord: execute the web hook with a non-empty content
    let discord = &find("/api/webhooks/123456/tok3")[0];
    assert_eq!(discord.target, "/api/webhooks/123456/tok3?wait=true");
    assert!(!discord.json()["content"].as_str().unwrap().trim().is_empty());
    assert_eq!(discord.json()["username"], "ct");

    // Slack: the hook path, JSON text
    let slack = &find("/services/T01/B02/Xsecret4")[0];
    assert!(slack.json()["text"].as_str().unwrap().contains("*"), "{}", slack.text());

    // Telegram: one sendMessage per chat
    let telegram = find("/bot123:Secret5/sendMessage");
    let chats: Vec<Value> = telegram.iter().map(|s| s.json()["chat_id"].clone()).collect();
    assert_eq!(chats, vec![json!("@ops"), json!("42")]);
    assert!(telegram[0].json()["text"].as_str().unwrap().starts_with("Chrontainer: test message\n"));

    // Pushover: the form of the Messages API
    let pushover = &find("/1/messages.json")[0];
    assert_eq!(pushover.header("content-type"), Some("application/x-www-form-urlencoded"));
    let form = pushover.text();
    assert!(
        form.contains("token=ApiToken6") && form.contains("user=UserKey") && form.contains("device=phone"),
        "{form}"
    );

    // generic web hook: the query's headers, a non-ASCII one as an RFC 2047 encoded word
    let hook = &find("/hook")[0];
    assert_eq!(hook.target, "/hook?x=1");
    assert_eq!(hook.header("authorization"), Some("Bearer s7"));
    assert_eq!(hook.header("x-who"), Some("=?UTF-8?B?R3LDvMOfZQ==?="));
    assert_eq!(hook.json()["event"], "test");

    // none of the secrets comes back from the API or the page
    let (_, list) = app.get("/api/channels");
    let (_, _, page) = app.get_text("/settings/notifications");
    for secret in ["tk_token1", "AppToken2", "tok3", "Xsecret4", "Secret5", "ApiToken6", "s7"] {
        assert!(!list.to_string().contains(secret), "{secret} in {list}");
        assert!(!page.contains(secret), "{secret} on the page");
        assert!(!app.output().contains(secret), "{secret} in the log");
    }
    assert!(list.to_string().contains("***"), "{list}");
    assert_eq!(deliveries(&app).iter().filter(|d| d["status"] == "sent").count(), cases.len());
}

#[test]
fn a_bad_url_is_refused_naming_what_is_wrong() {
    let app = App::start();
    for (url, words) in [
        ("ntfy://ntfy.sh", "no topic"),
        ("discord://tok@notanumber", "number"),
        ("smtp://mail.example/?from=a@b.example", "no recipient"),
        ("matrix://x/y", "is not a service"),
    ] {
        let (status, e) = app.post("/api/channels", json!({"name": "x", "url": url}));
        assert_eq!(status, 400, "{url}: {e}");
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
            (Some("invalid_channel_url"), Some("url"))
        );
        assert!(e["error"]["message"].as_str().unwrap().contains(words), "{url}: {e}");
    }
    let (status, e) =
        app.post("/api/channels", json!({"name": "x", "url": "ntfy://ntfy.sh/a", "events": ["boom"]}));
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_events")), "{e}");
    let (_, list) = app.get("/api/channels");
    assert_eq!(list, json!([]), "a refused channel changes nothing");
}

#[test]
fn the_test_button_shows_the_remotes_refusal() {
    let sink = Sink::with_replies(vec![Reply::new(
        401,
        r#"{"code":40101,"error":"unauthorized","message":"bad token"}"#,
    )]);
    let app = App::start();
    let ch =
        channel(&app, "phone", &format!("ntfy://tk_bad@127.0.0.1:{}/a?scheme=http", sink.port), &["error"]);
    let (status, e) = test_button(&app, &ch);
    assert_eq!((status, e["error"]["code"].as_str()), (502, Some("delivery_failed")), "{e}");
    assert_eq!(e["error"]["message"], "HTTP 401: bad token");
    let d = &deliveries(&app)[0];
    assert_eq!(
        (d["status"].as_str(), d["channel"].as_str(), d["attempts"].as_i64()),
        (Some("failed"), Some("phone"), Some(1))
    );
    let (status, _, page) = app.get_text("/settings/notifications");
    assert_eq!(status, 200);
    assert!(page.contains("HTTP 401: bad token"), "the page shows the last error");
}

#[test]
fn a_429_is_retried_after_its_retry_after_and_a_400_is_not() {
    let slow =
        Sink::with_replies(vec![Reply::new(429, r#"{"message":"slow down"}"#).header("Retry-After", "3")]);
    let bad = Sink::with_replies(vec![Reply::new(400, r#"{"message":"no"}"#)]);
    let app = App::start();
    channel(&app, "slow", &format!("ntfy://127.0.0.1:{}/a?scheme=http", slow.port), &["error"]);
    channel(&app, "bad", &format!("ntfy://127.0.0.1:{}/a?scheme=http", bad.port), &["error"]);
    // a manual action on a container that does not exist is logged as an error
    let (status, _) = app.post(&format!("/api/containers/{}/restart", unique_name("ghost")), json!({}));
    assert_eq!(status, 404);
    let sent = wait_for("the 429 channel to deliver on its second attempt", Duration::from_secs(20), || {
        deliveries(&app).into_iter().find(|d| d["channel"] == "slow" && d["status"] == "sent")
    });
    assert_eq!(sent["attempts"], 2, "{sent}");
    let seen = slow.seen();
    assert_eq!(seen.len(), 2);
    // its Retry-After, not the first back-off (1 s) nor the wait of a 429 without one (5 s)
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(2900) && gap < Duration::from_millis(4500),
        "the second attempt came {gap:?} after the first"
    );
    let failed = wait_for("the 400 channel to give up", Duration::from_secs(10), || {
        deliveries(&app).into_iter().find(|d| d["channel"] == "bad" && d["status"] == "failed")
    });
    assert_eq!((failed["attempts"].as_i64(), failed["error"].as_str()), (Some(1), Some("HTTP 400: no")));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(bad.seen().len(), 1, "a 400 is final");
    let (_, _, metrics) = app.get_text("/metrics");
    assert!(
        metrics.contains(r#"chrontainer_notifications_total{channel="slow",status="sent"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"chrontainer_notifications_total{channel="slow",status="retrying"} 1"#));
    assert!(metrics.contains(r#"chrontainer_notifications_total{channel="bad",status="failed"} 1"#));
}

#[test]
fn a_failing_scheduled_action_gives_one_ntfy_message_and_one_email_and_a_success_none() {
    let ntfy = Sink::start();
    let smtp = SmtpServer::start();
    let app = App::start_with(&[("CHRONTAINER_PUBLIC_URL", "https://ct.example.org/")]);
    // without `events`: the defaults
    for (name, url) in [
        ("phone", format!("ntfy://127.0.0.1:{}/ops?scheme=http", ntfy.port)),
        (
            "mail",
            format!("smtp://127.0.0.1:{}/?from=ct@example.org&to=ops@example.org&encryption=none", smtp.port),
        ),
    ] {
        let (status, ch) = app.post("/api/channels", json!({"name": name, "url": url}));
        assert_eq!((status, ch["events"].clone()), (201, json!(["error", "missed", "gave_up"])), "{ch}");
    }
    let ok = TestContainer::run("notify-ok", &[]);
    let doomed = TestContainer::run("notify-fail", &[]);
    let (status, good) =
        app.post("/api/schedules", json!({"container": ok.name, "action": "restart", "run_at": in_secs(2)}));
    assert_eq!(status, 201, "{good}");
    let (status, bad) = app.post(
        "/api/schedules",
        json!({"container": doomed.name, "action": "restart", "run_at": in_secs(2), "timezone": "Europe/Berlin"}),
    );
    assert_eq!(status, 201, "{bad}");
    let doomed_name = doomed.name.clone();
    drop(doomed); // gone when the schedule fires: the restart fails
    wait_for("both one-time schedules to run", Duration::from_secs(20), || {
        let (_, page) = app.get("/api/logs?trigger=schedule");
        (page["items"].as_array().unwrap().len() >= 2).then_some(())
    });
    let message = wait_for("one ntfy message", Duration::from_secs(5), || ntfy.seen().first().cloned());
    let mail = wait_for("one email", Duration::from_secs(5), || smtp.mails().first().cloned());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(ntfy.seen().len(), 1, "exactly one message, none for the success");
    assert_eq!(smtp.mails().len(), 1, "exactly one email, none for the success");
    let body = message.json();
    let text = body["message"].as_str().unwrap();
    assert!(text.starts_with(&format!("Restart of **{doomed_name}** on **local** failed at ")), "{text}");
    assert!(text.contains("(Europe/Berlin)"), "{text}");
    assert!(body["click"].as_str().unwrap().starts_with("https://ct.example.org/logs?"), "{body}");
    assert_eq!(mail.to, vec!["<ops@example.org>".to_string()]);
    assert!(mail.data.contains("Subject: Chrontainer: restart of"), "{}", mail.data);
    assert!(mail.data.contains(&doomed_name), "{}", mail.data);
    let _ = good;
}

#[test]
fn identical_failures_of_one_schedule_are_batched_with_a_count() {
    let ntfy = Sink::start();
    let app = App::start_with(&[("CHRONTAINER_NOTIFY_BATCH_SECONDS", "3")]);
    channel(&app, "phone", &format!("ntfy://127.0.0.1:{}/ops?scheme=http", ntfy.port), &["error"]);
    let c = TestContainer::run("notify-batch", &[]);
    let (status, s) =
        app.post("/api/schedules", json!({"container": c.name, "action": "restart", "cron": "* * * * * *"}));
    assert_eq!(status, 201, "{s}");
    drop(c);
    let batch = wait_for("the batch message with a count", Duration::from_secs(20), || {
        ntfy.seen()
            .into_iter()
            .find(|r| r.json()["message"].as_str().unwrap_or("").contains("times in a row"))
    });
    let (status, _) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"enabled": false}));
    assert_eq!(status, 200);
    let (_, page) = app.get(&format!("/api/logs?schedule_id={}&status=error&limit=500", s["id"]));
    let errors = page["items"].as_array().unwrap().len();
    let messages = ntfy.seen().len();
    assert!(errors >= 3, "{errors} failures");
    assert!(messages < errors, "{messages} messages for {errors} failures: nothing was batched");
    assert!(batch.json()["message"].as_str().unwrap().contains("Restart of"), "{}", batch.text());
}

#[test]
fn a_dead_endpoint_does_not_hold_up_scheduled_restarts() {
    let dead = Sink::hanging();
    let refused = free_port();
    let app = App::start();
    channel(&app, "dead", &format!("ntfy://127.0.0.1:{}/a?scheme=http", dead.port), &["success"]);
    channel(
        &app,
        "refused",
        &format!("generic+http://127.0.0.1:{refused}/x?@Authorization=tok_secret9"),
        &["success"],
    );
    let c = TestContainer::run("notify-dead", &[]);
    let (status, s) = app
        .post("/api/schedules", json!({"container": c.name, "action": "restart", "cron": "*/2 * * * * *"}));
    assert_eq!(status, 201, "{s}");
    // three restarts done while the first message to the dead endpoint still waits for an answer
    wait_for("three scheduled restarts", Duration::from_secs(30), || {
        let (_, page) = app.get(&format!("/api/logs?schedule_id={}&status=success", s["id"]));
        (page["items"].as_array().unwrap().len() >= 3).then_some(())
    });
    let (status, _) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"enabled": false}));
    assert_eq!(status, 200);
    assert!(dead.seen().len() < 3, "the dead channel's queue waits on its first message");
    let list = deliveries(&app);
    assert!(list.iter().any(|d| d["channel"] == "dead" && d["status"] == "retrying"), "{list:?}");
    assert!(list.iter().any(|d| d["channel"] == "refused" && d["status"] == "retrying"), "{list:?}");
    assert!(!app.output().contains("tok_secret9"), "a secret reached the log");
}

#[test]
fn a_container_label_and_a_schedule_can_opt_out() {
    let ntfy = Sink::start();
    let app = App::start();
    channel(&app, "phone", &format!("ntfy://127.0.0.1:{}/ops?scheme=http", ntfy.port), &["success"]);
    let quiet = TestContainer::run("notify-label", &["--label", "chrontainer.notify=false"]);
    let loud = TestContainer::run("notify-loud", &[]);
    let (status, s) = app.post(
        "/api/schedules",
        json!({"container": loud.name, "action": "restart", "cron": "0 3 * * *", "notify": false}),
    );
    assert_eq!((status, s["notify"].as_bool()), (201, Some(false)), "{s}");
    assert_eq!(app.post(&format!("/api/containers/{}/restart", quiet.name), json!({})).0, 200);
    assert_eq!(app.post(&format!("/api/schedules/{}/run", s["id"]), json!({})).0, 200);
    assert_eq!(app.post(&format!("/api/containers/{}/restart", loud.name), json!({})).0, 200);
    let first = wait_for("the one message", Duration::from_secs(10), || ntfy.seen().first().cloned());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(ntfy.seen().len(), 1, "{:?}", ntfy.seen());
    let text = first.json()["message"].as_str().unwrap().to_string();
    assert!(text.contains(&loud.name) && text.contains("succeeded"), "{text}");
}

#[test]
fn email_goes_through_the_smtp_server() {
    let smtp = SmtpServer::start();
    let app = App::start();
    let ch = channel(
        &app,
        "mail",
        &format!("smtp://relay:pw_secret8@127.0.0.1:{}/?from=ct@example.org&to=a@example.org,b@example.org&encryption=none", smtp.port),
        &["error"],
    );
    assert!(!ch["url"].as_str().unwrap().contains("pw_secret8"), "{ch}");
    assert!(ch["url"].as_str().unwrap().starts_with("smtp://relay:***@127.0.0.1:"), "{ch}");
    // this relay offers no AUTH: a URL without credentials for it
    let (status, ch) = app.patch(
        &format!("/api/channels/{}", ch["id"]),
        json!({"url": format!("smtp://127.0.0.1:{}/?from=ct@example.org&to=a@example.org,b@example.org&encryption=none", smtp.port)}),
    );
    assert_eq!(status, 200, "{ch}");
    let (status, answer) = test_button(&app, &ch);
    assert_eq!((status, answer["status"].as_u64()), (200, Some(250)), "{answer}");
    let mail = &smtp.mails()[0];
    assert_eq!(mail.from, "<ct@example.org>");
    assert_eq!(mail.to.len(), 2);
    assert!(mail.data.contains("Subject: Chrontainer: test message"), "{}", mail.data);
    assert!(mail.data.contains("From: Chrontainer <ct@example.org>"), "{}", mail.data);
}

/// An SMTP URL for `port` with `scheme` and `query`, as user `ct@example.org` with `password`.
fn smtp_url(scheme: &str, password: &str, port: u16, query: &str) -> String {
    format!("{scheme}://ct%40example.org:{password}@127.0.0.1:{port}/?from=ct@example.org&to=ops@example.org{query}")
}

#[test]
fn email_goes_over_starttls_and_implicit_tls_to_a_server_whose_ca_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(&dir.path().join("certs"));
    let (starttls, implicit) = (SmtpServer::starttls(&certs), SmtpServer::implicit_tls(&certs));
    let app = App::start_with(&[("SSL_CERT_FILE", certs.join("ca.pem").to_str().unwrap())]);
    for (name, url, server) in [
        ("starttls", smtp_url("smtp", "pw_tls1", starttls.port, "&encryption=explicittls"), &starttls),
        ("implicit", smtp_url("smtps", "pw_tls1", implicit.port, ""), &implicit),
    ] {
        let (status, answer) = test_button(&app, &channel(&app, name, &url, &["error"]));
        assert_eq!((status, answer["status"].as_u64()), (200, Some(250)), "{name}: {answer}");
        let mail = &server.mails()[0];
        assert!(mail.tls, "{name}: the mail went in the clear");
        assert_eq!(mail.auth.as_deref(), Some("ct@example.org:pw_tls1"), "{name}: AUTH over TLS");
        assert!(mail.data.contains("Subject: Chrontainer: test message"), "{name}: {}", mail.data);
    }
    assert!(!app.output().contains("pw_tls1"), "the password reached the log");
}

#[test]
fn an_untrusted_smtp_certificate_fails_saying_tls_and_never_shows_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = make_certs(&dir.path().join("trusted"));
    let other = make_certs(&dir.path().join("other")); // signed by a CA the binary does not trust
    let (starttls, implicit) = (SmtpServer::starttls(&other), SmtpServer::implicit_tls(&other));
    let app = App::start_with(&[("SSL_CERT_FILE", trusted.join("ca.pem").to_str().unwrap())]);
    for (name, url) in [
        ("starttls", smtp_url("smtp", "pw_tls2", starttls.port, "&encryption=explicittls")),
        ("implicit", smtp_url("smtp", "pw_tls2", implicit.port, "&encryption=implicittls")),
    ] {
        let (status, e) = test_button(&app, &channel(&app, name, &url, &["error"]));
        assert_eq!((status, e["error"]["code"].as_str()), (502, Some("delivery_failed")), "{name}: {e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("TLS with the SMTP server 127.0.0.1:"), "{name}: {message}");
        // both test CAs are called test-ca: the name matches, the signature does not
        assert!(message.contains("invalid peer certificate"), "{name}: {message}");
    }
    assert!(starttls.mails().is_empty() && implicit.mails().is_empty());
    let list = deliveries(&app);
    assert!(list.iter().all(|d| d["error"].as_str().unwrap_or("").contains("TLS")), "{list:?}");
    let (_, _, page) = app.get_text("/settings/notifications");
    for shown in [format!("{list:?}"), page, app.output()] {
        assert!(!shown.contains("pw_tls2"), "the password was shown: {shown}");
    }
}

#[test]
fn a_second_host_going_down_and_back_gives_one_message_each_naming_it_and_none_per_schedule() {
    let mut engine = PrivateDockerd::unix();
    let ntfy = Sink::start();
    let app = App::start();
    channel(&app, "phone", &format!("ntfy://127.0.0.1:{}/ops?scheme=http", ntfy.port), &["error"]);
    let name: String = unique_name("nb").chars().take(40).collect();
    let (status, host) = app.post("/api/hosts", json!({"name": name, "url": engine.socket()}));
    assert_eq!((status, host["status"].as_str()), (201, Some("ok")), "{host}");
    // a schedule on that host, switched on once the outage is known: each firing fails unreachable
    engine.load_test_image();
    let sleeper = unique_name("nb-sleeper");
    engine.run_sleeper(&sleeper, &[]);
    let (status, s) = app.post(
        "/api/schedules",
        json!({"host": name, "container": sleeper, "action": "start", "cron": "* * * * * *", "enabled": false}),
    );
    assert_eq!(status, 201, "{s}");
    let titled = |words: &str| {
        ntfy.seen()
            .into_iter()
            .filter(|s| s.json()["title"].as_str().is_some_and(|t| t.ends_with(words)))
            .count()
    };
    engine.stop();
    wait_for("the unreachable message", Duration::from_secs(30), || {
        (titled("is unreachable") > 0).then_some(())
    });
    assert_eq!(app.patch(&format!("/api/schedules/{}", s["id"]), json!({"enabled": true})).0, 200);
    wait_for("two failures on the dead host", Duration::from_secs(20), || {
        let (_, page) = app.get(&format!("/api/logs?schedule_id={}&status=error", s["id"]));
        (page["items"].as_array().unwrap().len() >= 2).then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(app.patch(&format!("/api/schedules/{}", s["id"]), json!({"enabled": false})).0, 200);
    let (_, page) = app.get(&format!("/api/logs?schedule_id={}&status=error", s["id"]));
    assert!(page["items"][0]["message"].as_str().is_some(), "still in the log: {page}");
    let texts: Vec<String> = ntfy.seen().iter().map(|s| s.text()).collect();
    assert_eq!(texts.len(), 1, "the outage's message covers its schedules: {texts:?}");
    engine.resume();
    wait_for("the back message", Duration::from_secs(60), || (titled("is back") > 0).then_some(()));
    std::thread::sleep(Duration::from_millis(1500));
    let titles: Vec<String> =
        ntfy.seen().iter().map(|s| s.json()["title"].as_str().unwrap_or("").into()).collect();
    assert_eq!(
        titles,
        [
            format!("Chrontainer: Docker host {name} is unreachable"),
            format!("Chrontainer: Docker host {name} is back")
        ],
        "one message per change of the host, none for local"
    );
    let text = ntfy.seen()[0].json()["message"].as_str().unwrap().to_string();
    assert!(text.starts_with(&format!("Docker host **{name}** is unreachable: ")), "{text}");

    // a host already unreachable when Chrontainer starts is reported once too
    let data_dir = app.data_dir.clone();
    app.kill();
    engine.stop();
    let _app = App::start_in(data_dir, &[]);
    wait_for("the unreachable message after a restart", Duration::from_secs(20), || {
        (titled("is unreachable") == 2).then_some(())
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(ntfy.seen().len(), 3, "{:?}", ntfy.seen());
}

#[test]
fn the_page_adds_edits_disables_and_deletes_a_channel() {
    let app = App::start();
    let form = |path: &str, body: &str| {
        let headers =
            [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", app.base_url.as_str())];
        app.request("POST", path, &headers, Some(body.as_bytes()))
    };
    let r = form(
        "/settings/notifications",
        "name=pager&url=ntfy%3A%2F%2Ftk_pagesecret%40ntfy.sh%2Fops&ev_error=on&enabled=on",
    );
    assert_eq!(r.status, 303, "{}", r.text);
    let (_, list) = app.get("/api/channels");
    let id = list[0]["id"].clone();
    assert_eq!((list[0]["events"].clone(), list[0]["enabled"].clone()), (json!(["error"]), json!(true)));
    assert_eq!(form(&format!("/settings/notifications/{id}/toggle"), "").status, 303);
    assert_eq!(app.get("/api/channels").1[0]["enabled"], false);
    // an empty URL keeps the stored one
    assert_eq!(form(&format!("/settings/notifications/{id}"), "name=pager2&url=&ev_missed=on").status, 303);
    let (_, list) = app.get("/api/channels");
    assert_eq!(
        (list[0]["name"].as_str(), list[0]["url"].as_str()),
        (Some("pager2"), Some("ntfy://***@ntfy.sh/ops"))
    );
    assert_eq!(list[0]["events"], json!(["missed"]));
    let r = form("/settings/notifications", "name=x&url=nope%3A%2F%2Fx&ev_error=on");
    assert_eq!(r.status, 400);
    assert!(r.text.contains("is not a service"), "{}", r.text);
    let (_, _, page) = app.get_text("/settings/notifications");
    assert!(page.contains("pager2") && !page.contains("tk_pagesecret"));
    assert_eq!(form(&format!("/settings/notifications/{id}/delete"), "").status, 303);
    assert_eq!(app.get("/api/channels").1, json!([]));
}

#[test]
fn the_pages_test_button_shows_the_remotes_answer() {
    let sink = Sink::with_replies(vec![
        Reply::new(200, r#"{"id":"m1","message":"queued <b>now</b>"}"#),
        Reply::new(401, r#"{"code":40101,"error":"unauthorized","message":"bad token"}"#),
    ]);
    let app = App::start_secured(&[]);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let body =
        json!({"name": "phone", "url": format!("ntfy://tk_page9@127.0.0.1:{}/a?scheme=http", sink.port)});
    let created = app.as_browser(&admin, "POST", "/api/channels", Some(body.to_string().as_bytes()));
    assert_eq!(created.status, 201, "{}", created.text);
    let test = || {
        let headers = [
            ("Cookie", admin.cookie.as_str()),
            ("Origin", app.base_url.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let form = format!("csrf_token={}", admin.csrf);
        let path = format!("/settings/notifications/{}/test", created.json()["id"]);
        app.request("POST", &path, &headers, Some(form.as_bytes()))
    };
    let ok = test();
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.text.contains(
            "The test message was delivered: the remote answered 200: queued &lt;b&gt;now&lt;/b&gt;"
        ),
        "{}",
        ok.text
    );
    assert!(!ok.text.contains("<b>now"), "the answer is escaped");
    let refused = test();
    assert_eq!(refused.status, 502, "{}", refused.text);
    assert!(
        refused.text.contains("The test message was not delivered: HTTP 401: bad token"),
        "{}",
        refused.text
    );
    assert_eq!(sink.seen().len(), 2);
    assert!(!ok.text.contains("tk_page9") && !refused.text.contains("tk_page9"));
}
