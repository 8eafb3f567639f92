//! Fire delay with a notification channel that never delivers (issue 14: "a channel pointing at
//! a port where nothing listens does not change the fire-delay benchmark"). A six-field schedule
//! restarts a real container every 2 s; the delay is from the intended instant (the even
//! second) to the Engine's own `kill` event for that restart (`docker events`, its `timeNano`),
//! so it covers the timer, the Runner, the DockerActor and Docker's own handling. Three runs:
//! no channel; a channel to a closed port; a channel to a listener that accepts and never
//! answers. Each channel wants `success`, `error` and `skipped`, so every firing hands it a
//! message.
//!
//! `cargo bench --bench notify` (needs the Docker Engine and the test image; about 5 minutes).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/delays.rs"]
mod delays;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::sink::Sink;
use serde_json::json;

/// Firings measured per run, after the first few (the container's and the channel's first use).
const FIRINGS: usize = 40;
const WARM_UP: usize = 2;
const EVERY_NS: i64 = 2_000_000_000;

fn run(label: &str, channel: Option<String>) {
    let app = common::App::start();
    if let Some(url) = &channel {
        let body = json!({"name": "bench", "url": url, "events": ["success", "error", "skipped"]});
        let (status, ch) = app.post("/api/channels", body);
        assert_eq!(status, 201, "{ch}");
    }
    let c = common::TestContainer::run("notify-bench", &[]);
    let mut events = Command::new("docker")
        .args(["events", "--filter", &format!("container={}", c.id), "--filter", "event=kill"])
        .args(["--format", "{{.TimeNano}}"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker events");
    let lines = BufReader::new(events.stdout.take().unwrap()).lines();
    std::thread::sleep(Duration::from_millis(500)); // the events stream is open before the first firing
    let (status, s) = app
        .post("/api/schedules", json!({"container": c.name, "action": "restart", "cron": "*/2 * * * * *"}));
    assert_eq!(status, 201, "{s}");
    let delays: Vec<i64> = lines
        .map_while(Result::ok)
        .filter_map(|l| l.trim().parse::<i64>().ok())
        .map(|t| t.rem_euclid(EVERY_NS))
        .skip(WARM_UP)
        .take(FIRINGS)
        .collect();
    let _ = events.kill();
    let _ = events.wait();
    let (status, _) = app.patch(&format!("/api/schedules/{}", s["id"]), json!({"enabled": false}));
    assert_eq!(status, 200);
    let used = app.get("/api/deliveries?limit=500").1.as_array().map_or(0, Vec::len);
    assert!(channel.is_none() || used > 0, "the channel was never used");
    println!("  {label:<38} {}  deliveries {used}", delays::summary(delays, "firings"));
}

fn main() {
    common::require_docker();
    println!(
        "a six-field schedule (*/2 s) restarting one container, intended instant to Docker's kill event:"
    );
    run("no channel", None);
    run(
        "a channel to a closed port",
        Some(format!("ntfy://127.0.0.1:{}/a?scheme=http", common::free_port())),
    );
    let hanging = Sink::hanging();
    run(
        "a channel that accepts and never answers",
        Some(format!("ntfy://127.0.0.1:{}/a?scheme=http", hanging.port)),
    );
}
