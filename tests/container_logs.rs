//! Container logs (issue 18): `GET /api/containers/{ref}/logs` and the `/containers/{ref}/logs`
//! page, against real containers printing on stdout and stderr, with and without a TTY, fast, and
//! hostile; the followed stream, its caps, and the Engine's stream closed when the client goes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod browser_support;
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use browser_support::{artifacts, browser_test, Browser};
use common::{wait_for, App, TestContainer, ADMIN_PASSWORD};
use serde_json::{json, Value};

const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// A shell command that prints `script` and then waits for SIGTERM.
fn printing(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), format!("{script}; trap 'exit 0' TERM; while :; do sleep 1; done")]
}

fn run(prefix: &str, extra: &[&str], cmd: &[String]) -> TestContainer {
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    TestContainer::run_cmd(prefix, extra, &cmd)
}

/// The JSON lines of `container` once one of them says `last`.
fn lines_until(app: &App, container: &str, last: &str) -> Vec<Value> {
    wait_for(&format!("{container} to print {last:?}"), Duration::from_secs(20), || {
        let (status, body) = app.get(&format!("/api/containers/{container}/logs"));
        assert_eq!(status, 200, "{body}");
        let lines = body["lines"].as_array().unwrap().clone();
        lines.iter().any(|l| l["text"] == last).then_some(lines)
    })
}

fn open_streams(app: &App) -> u64 {
    let (_, _, text) = app.get_text("/metrics");
    let line =
        text.lines().find(|l| l.starts_with("chrontainer_container_log_streams ")).expect("the metric");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A raw event-stream client: its socket closes when it is dropped, as a browser tab's does.
struct Sse {
    status: u16,
    reader: BufReader<TcpStream>,
}

impl Sse {
    fn open(app: &App, path: &str, headers: &[(&str, &str)]) -> Sse {
        let addr = app.base_url.trim_start_matches("http://");
        let mut socket = TcpStream::connect(addr).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        socket.write_all(format!("{request}\r\n").as_bytes()).unwrap();
        let mut reader = BufReader::new(socket);
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status = status_line.split_whitespace().nth(1).unwrap().parse().unwrap();
        Sse { status, reader }
    }

    /// The next event's name and data (chunk-size lines of the chunked encoding are skipped).
    fn next(&mut self) -> (String, Value) {
        let mut event = None;
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "the stream ended");
            if let Some(name) = line.strip_prefix("event: ") {
                event = Some(name.trim().to_string());
            } else if let (Some(data), Some(name)) = (line.strip_prefix("data: "), &event) {
                return (name.clone(), serde_json::from_str(data.trim()).unwrap());
            }
        }
    }

    /// The next `line` event's data, passing over others.
    fn next_line(&mut self) -> Value {
        loop {
            let (name, data) = self.next();
            if name == "line" {
                return data;
            }
        }
    }
}

#[test]
fn stdout_and_stderr_are_told_apart_and_hostile_output_is_stripped_and_escaped() {
    let c = run(
        "logs-both",
        &[],
        &printing(&format!(
            "echo '{HOSTILE}'; printf '\\033[1;31mred\\033[0m \\033]0;title\\007plain\\n'; echo 'to stderr' >&2; \
             sleep 0.3; echo ready"
        )),
    );
    let app = App::start();
    let lines = lines_until(&app, &c.name, "ready");
    let find = |text: &str| {
        lines.iter().find(|l| l["text"] == text).unwrap_or_else(|| panic!("{text:?} in {lines:?}"))
    };
    assert_eq!(find(HOSTILE)["stream"], "stdout");
    assert_eq!(find("red plain")["stream"], "stdout", "colours and the title sequence are stripped");
    assert_eq!(find("to stderr")["stream"], "stderr");
    let ts = find("ready")["ts"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.len() == 30, "{ts}");

    let (_, body) = app.get(&format!("/api/containers/{}/logs?tail=1&timestamps=false", c.id));
    assert_eq!(body["lines"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["lines"][0]["ts"], Value::Null);

    // the page: escaped, stderr marked, no escape character left
    let (status, _, html) = app.get_text(&format!("/containers/{}/logs", c.name));
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src&#x3D;x"), "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{html}");
    assert!(html.contains("clog-stderr") && !html.contains('\u{1b}'));

    // the download: plain text, an attachment
    let (status, headers, text) =
        app.get_text(&format!("/api/containers/{}/logs?format=text&tail=all", c.name));
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{}.log\"", c.name)
    );
    assert!(text.contains(" stderr to stderr\n") && text.contains(&format!(" stdout {HOSTILE}\n")), "{text}");

    // bad input names what is wrong; an unknown container is 404
    for (query, status, code) in [
        ("tail=lots", 400, "invalid_parameter"),
        ("follow=maybe", 400, "invalid_parameter"),
        ("since=noon", 400, "invalid_parameter"),
        ("format=text&follow=true", 400, "conflicting_fields"),
        ("host=elsewhere", 404, "host_not_found"),
    ] {
        let (got, body) = app.get(&format!("/api/containers/{}/logs?{query}", c.name));
        assert_eq!((got, body["error"]["code"].as_str().unwrap()), (status, code), "{query}: {body}");
    }
    let (status, body) = app.get("/api/containers/ct-no-such-container-anywhere/logs");
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (404, "container_not_found"));
    let (status, _, _) = app.get_text("/containers/ct-no-such-container-anywhere/logs");
    assert_eq!(status, 404);
}

#[test]
fn a_tty_container_is_read_whole_as_stdout() {
    let c = run(
        "logs-tty",
        &["-t"],
        &printing("printf '\\033[32mgreen\\033[0m tty\\n'; echo 'err too' >&2; echo second"),
    );
    let app = App::start();
    let lines = lines_until(&app, &c.name, "second");
    let texts: Vec<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["green tty", "err too", "second"], "no \\r, no escapes: {lines:?}");
    assert!(lines.iter().all(|l| l["stream"] == "stdout"), "a TTY has one stream: {lines:?}");
}

#[test]
fn a_followed_stream_passes_new_lines_and_the_engine_stream_closes_when_the_client_goes() {
    let c = run(
        "logs-follow",
        &[],
        &[
            "sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done".into(),
        ],
    );
    let app = App::start();
    lines_until(&app, &c.name, "tick 3");
    let path = format!("/api/containers/{}/logs?follow=true&tail=1", c.name);
    let mut sse = Sse::open(&app, &path, &[]);
    assert_eq!(sse.status, 200);
    let first: u64 = sse.next_line()["text"].as_str().unwrap()[5..].parse().unwrap();
    let mut last = first;
    for _ in 0..3 {
        let line = sse.next_line();
        let n: u64 = line["text"].as_str().unwrap()[5..].parse().unwrap();
        assert_eq!((n, line["stream"].as_str().unwrap()), (last + 1, "stdout"), "in order, none lost");
        last = n;
    }
    assert_eq!(open_streams(&app), 1);
    drop(sse);
    wait_for("the Engine's log stream to close", Duration::from_secs(20), || {
        (open_streams(&app) == 0).then_some(())
    });

    // the container stops: the stream says so and ends
    let mut sse = Sse::open(&app, &path, &[]);
    sse.next_line();
    c.docker("stop");
    let (name, data) = loop {
        let (name, data) = sse.next();
        if name != "line" {
            break (name, data);
        }
    };
    assert_eq!(name, "end", "{data}");
    wait_for("the stream to be given back", Duration::from_secs(20), || {
        (open_streams(&app) == 0).then_some(())
    });
}

#[test]
fn a_flood_is_capped_and_the_stream_stays_live() {
    // about as fast as a shell can print, on both streams; the log is kept small on disk
    let line = "x".repeat(1000);
    let c = run(
        "logs-flood",
        &["--log-opt", "max-size=2m", "--log-opt", "max-file=2"],
        &[
            "sh".into(),
            "-c".into(),
            format!("trap 'exit 0' TERM; while :; do echo {line}; echo {line} >&2; done"),
        ],
    );
    let app = App::start();
    let mut sse = Sse::open(&app, &format!("/api/containers/{}/logs?follow=true&tail=0", c.name), &[]);
    assert_eq!(sse.status, 200);
    let (mut skipped, mut after_skip, mut streams) = (0u64, 0, std::collections::HashSet::new());
    // until lines of both streams got through after a skip (Docker sends each stream in bursts)
    while after_skip < 50 || (streams.len() < 2 && after_skip < 20_000) {
        let (name, data) = sse.next();
        match name.as_str() {
            "skipped" => skipped += data["skipped"].as_u64().unwrap(),
            "line" if skipped > 0 => {
                assert_eq!(data["text"].as_str().unwrap().len(), 1000);
                streams.insert(data["stream"].as_str().unwrap().to_string());
                after_skip += 1;
            }
            _ => {}
        }
    }
    assert!(skipped > 0);
    assert_eq!(streams.len(), 2, "both streams get through: {streams:?}");
    println!("flood: {skipped} lines skipped, RSS {} KiB", app.rss_kib());
}

#[test]
fn a_viewer_token_may_read_and_follow_within_the_stream_caps() {
    let c = run("logs-auth", &[], &printing("echo hello"));
    let app = App::start_secured(&[]);
    let path = format!("/api/containers/{}/logs", c.name);
    assert_eq!(app.request("GET", &path, &[], None).status, 401);
    let admin = app.login("admin", ADMIN_PASSWORD);
    let token = app.token(&admin, "reader", "read");
    let reply = app.as_token(&token, "GET", &path, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["lines"][0]["text"], "hello");

    // each followed stream holds one of the credential's eight slots
    let auth = format!("Bearer {token}");
    let follow = format!("{path}?follow=true");
    let mut held: Vec<Sse> = (0..8).map(|_| Sse::open(&app, &follow, &[("Authorization", &auth)])).collect();
    assert!(held.iter().all(|s| s.status == 200));
    assert_eq!(held[0].next_line()["text"], "hello");
    let refused = app.as_token(&token, "GET", &follow, None);
    assert_eq!((refused.status, refused.code()), (429, "too_many_streams".to_string()), "{}", refused.text);
    held.pop();
    wait_for("a slot to come back", Duration::from_secs(20), || {
        let s = Sse::open(&app, &follow, &[("Authorization", &auth)]);
        (s.status == 200).then_some(s)
    });
    assert_eq!(app.request("GET", &format!("/containers/{}/logs", c.name), &[], None).status, 303);
    drop(held);
}

#[test]
fn the_page_opened_from_the_dashboard_follows_live_searches_and_lets_go_when_left() {
    browser_test(|| async {
        let c = run(
            "logs-page",
            &[],
            &[
                "sh".into(),
                "-c".into(),
                format!("echo '{HOSTILE}'; echo oops >&2; trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.3; done"),
            ],
        );
        let app = App::start();
        lines_until(&app, &c.name, "tick 1");
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.click(&format!("#logs-{}", c.id)).await;
        let at = b.loaded().await;
        assert_eq!(at, format!("/containers/{}/logs", c.name));
        b.wait(
            "the page to follow",
            "return document.getElementById('clog-status').textContent.includes('live');",
        )
        .await;

        // untrusted lines are text: no element came out of them
        // (stdout and stderr are two pipes: their first lines may come in either order)
        let first = b
            .js_with(
                "const log = document.getElementById('clog');
                 return {hostile: Array.from(log.querySelectorAll('.clog-text'), e => e.textContent).includes(arguments[0]),
                         elements: log.querySelectorAll('script, img').length,
                         stderr: log.querySelector('.clog-stderr .clog-text').textContent};",
                vec![json!(HOSTILE)],
            )
            .await;
        assert_eq!(first, json!({"hostile": true, "elements": 0, "stderr": "oops"}));

        // new lines arrive without a reload
        let shown =
            b.js("return document.querySelectorAll('#clog .clog-line').length;").await.as_u64().unwrap();
        b.mark_document().await;
        b.wait_with(
            "new lines to arrive live",
            "return document.querySelectorAll('#clog .clog-line').length >= arguments[0] + 3;",
            vec![json!(shown)],
        )
        .await;
        b.assert_not_reloaded().await;
        let texts = b
            .js("return Array.from(document.querySelectorAll('#clog .clog-text'), e => e.textContent);")
            .await;
        let ticks: Vec<&str> = texts
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| t.starts_with("tick"))
            .collect();
        let mut sorted = ticks.clone();
        sorted.sort_by_key(|t| t[5..].parse::<u64>().unwrap());
        sorted.dedup();
        assert_eq!(ticks, sorted, "in order and none twice");

        // the search highlights what it finds, in the lines already there
        b.type_into("#cl-search", "TICK 2").await;
        let found = b
            .wait(
                "the search to highlight",
                "const marks = document.querySelectorAll('#clog mark');
                 return marks.length > 0 && {mark: marks[0].textContent, count: document.getElementById('cl-matches').textContent};",
            )
            .await;
        assert_eq!(found["mark"], "tick 2");
        assert!(found["count"].as_str().unwrap().contains("match"), "{found}");
        b.js("document.getElementById('cl-ts').click();").await;
        let hidden = b.js("return getComputedStyle(document.querySelector('#clog .clog-ts')).display;").await;
        assert_eq!(hidden, "none", "the timestamps toggle hides them");
        b.screenshot(&artifacts("screenshots").join("container-logs-desktop.png")).await;

        assert_eq!(open_streams(&app), 1, "the page follows over one stream");
        b.goto("/stats").await;
        wait_for("the Engine's log stream to close after the page is left", Duration::from_secs(20), || {
            (open_streams(&app) == 0).then_some(())
        });
        b.quit().await;
    });
}
