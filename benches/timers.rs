//! Timers against the Engine's own floor (issue 19: "restart reaching the Engine: median within
//! 1 ms, and p99 within 3 ms, of the direct-call floor measured in the same run"). Each delay is
//! from the intended instant to the Engine's `kill` event for that restart (`docker events`, its
//! `timeNano`).
//! - ours: six-field schedules (`*/2 * * * * *`, or `*/6` for 20 containers) restart their
//!   containers every 2 (6) seconds;
//! - the floor: this process restarts other containers itself halfway between, writing the
//!   request on a socket connected beforehand, at the instant.
//!
//! Both run in one process at once, for one container and for 20 due at the same instant.
//! `cargo bench --bench timers` (needs the Docker Engine and the test image; about 5 minutes).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/delays.rs"]
mod delays;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::Utc;
use common::{App, TestContainer};
use serde_json::json;

/// Firings measured per container after the first (its first use warms everything up).
const FIRINGS: usize = 30;
const SOCKET: &str = "/var/run/docker.sock";
/// Exits at once on SIGTERM (`wait` is interrupted where `sleep` in the foreground is not), so
/// a restart costs the Engine's own work, not a second of the container's.
const QUICK: [&str; 3] = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"];

/// Sleeps until the next instant whose nanosecond count modulo `every_ns` is `offset_ns`.
fn sleep_until_next(offset_ns: i64, every_ns: i64) {
    let now = Utc::now().timestamp_nanos_opt().unwrap();
    let wait = (offset_ns - now).rem_euclid(every_ns);
    std::thread::sleep(Duration::from_nanos(wait as u64));
}

/// Restarts `id` through the Engine's API halfway between our firings, `times` times, each request
/// written on a connection opened beforehand; the threads of one call start together at each instant.
fn direct_restarts(ids: Vec<String>, times: usize, every_ns: i64) -> Vec<std::thread::JoinHandle<()>> {
    let start = Arc::new(Barrier::new(ids.len()));
    ids.into_iter()
        .map(|id| {
            let start = start.clone();
            std::thread::spawn(move || {
                for _ in 0..times {
                    let mut socket = UnixStream::connect(SOCKET).expect("the Docker socket");
                    let request = format!(
                        "POST /containers/{id}/restart?t=10 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    start.wait();
                    sleep_until_next(every_ns / 2, every_ns);
                    socket.write_all(request.as_bytes()).unwrap();
                    let mut answer = String::new();
                    let _ = socket.read_to_string(&mut answer);
                    if !answer.starts_with("HTTP/1.1 204") {
                        eprintln!("restart {id}: {}", answer.lines().next().unwrap_or_default());
                    }
                }
            })
        })
        .collect()
}

/// `containers` schedules restarting every `every_s` seconds, and as many direct calls between them.
fn run(label: &str, containers: usize, every_s: i64) {
    let every_ns = every_s * 1_000_000_000;
    let app = App::start();
    let ours: Vec<TestContainer> =
        (0..containers).map(|_| TestContainer::run_cmd("timers-ours", &[], &QUICK)).collect();
    let floor: Vec<TestContainer> =
        (0..containers).map(|_| TestContainer::run_cmd("timers-floor", &[], &QUICK)).collect();
    let ours_ids: HashSet<String> = ours.iter().map(|c| c.id.clone()).collect();
    let mut events = Command::new("docker");
    events.args(["events", "--filter", "event=kill", "--format", "{{.ID}} {{.TimeNano}}"]);
    for c in ours.iter().chain(&floor) {
        events.args(["--filter", &format!("container={}", c.id)]);
    }
    let mut events = events.stdout(Stdio::piped()).spawn().expect("docker events");
    let (tx, seen) = std::sync::mpsc::channel();
    let lines = BufReader::new(events.stdout.take().unwrap()).lines();
    std::thread::spawn(move || lines.map_while(Result::ok).try_for_each(|l| tx.send(l)));
    std::thread::sleep(Duration::from_millis(500)); // the events stream is open before the first firing
    let mut schedules = Vec::new();
    for c in &ours {
        let body =
            json!({"container": c.name, "action": "restart", "cron": format!("*/{every_s} * * * * *")});
        let (status, s) = app.post("/api/schedules", body);
        assert_eq!(status, 201, "{s}");
        schedules.push(s["id"].clone());
    }
    let direct = direct_restarts(floor.iter().map(|c| c.id.clone()).collect(), FIRINGS + 1, every_ns);
    // a firing whose container is still restarting is skipped (busy): count time, not events
    let deadline = std::time::Instant::now() + Duration::from_secs(every_s as u64 * (FIRINGS as u64 + 1) + 3);
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Ok(line) = seen.recv_timeout(left) else { break };
        let Some((id, nanos)) = line.split_once(' ') else { continue };
        let Ok(nanos) = nanos.trim().parse::<i64>() else { continue };
        if ours_ids.contains(id) {
            mine.push(nanos.rem_euclid(every_ns));
        } else {
            theirs.push((nanos - every_ns / 2).rem_euclid(every_ns));
        }
    }
    let _ = events.kill();
    let _ = events.wait();
    for id in schedules {
        app.patch(&format!("/api/schedules/{id}"), json!({"enabled": false}));
    }
    for thread in direct {
        thread.join().unwrap();
    }
    println!("{label}:");
    print("  ours (a schedule)", mine, containers);
    print("  the floor (a direct call)", theirs, containers);
}

/// The first restart of each container warms up; the rest are measured.
fn print(label: &str, delays: Vec<i64>, containers: usize) {
    let measured = delays.into_iter().skip(containers).collect();
    println!("{label:<30} {}", delays::summary(measured, "restarts"));
}

fn main() {
    common::require_docker();
    println!("intended instant to Docker's kill event:");
    run("one container, every 2 s", 1, 2);
    // every 2 s, 20 of ours and 20 direct calls saturate a small Engine (BENCHMARKS.md)
    run("20 containers due at the same instant, every 6 s", 20, 6);
}
