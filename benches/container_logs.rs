//! The memory of Chrontainer while 5 clients follow a container printing about 10 MB/s
//! (`GET /api/containers/{ref}/logs?follow=true`): RSS sampled every second, next to what the
//! container printed and what each client received (the rate cap passes 256 KiB/s per stream
//! after a 1 MiB burst, and counts the rest as skipped).
//!
//! `cargo bench --bench container_logs` (needs a Docker Engine and the test image; builds the
//! binary with the bench profile). `BENCH_SECONDS=60` runs longer than the default 30.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{App, TestContainer};

const CLIENTS: usize = 5;

#[derive(Default)]
struct Received {
    bytes: AtomicU64,
    lines: AtomicU64,
    skipped: AtomicU64,
}

/// Follows the stream until `stop`, counting what arrives.
fn follow(app: &App, name: &str, stop: Arc<AtomicBool>, got: Arc<Received>) -> std::thread::JoinHandle<()> {
    let addr = app.base_url.trim_start_matches("http://").to_string();
    let path = format!("/api/containers/{name}/logs?follow=true&tail=0");
    std::thread::spawn(move || {
        let mut socket = TcpStream::connect(&addr).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(socket, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut reader = BufReader::new(socket);
        let mut line = String::new();
        let mut skipped_next = false;
        while !stop.load(Ordering::Relaxed) {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            got.bytes.fetch_add(line.len() as u64, Ordering::Relaxed);
            if line.starts_with("event: line") {
                got.lines.fetch_add(1, Ordering::Relaxed);
            } else if line.starts_with("event: skipped") {
                skipped_next = true;
            } else if let (true, Some(data)) = (skipped_next, line.strip_prefix("data: ")) {
                let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
                got.skipped.fetch_add(v["skipped"].as_u64().unwrap(), Ordering::Relaxed);
                skipped_next = false;
            }
        }
    })
}

fn log_file_size(c: &TestContainer) -> u64 {
    let path = c.inspect("{{.LogPath}}");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    // 100 lines of 1000 bytes, then 10 ms of sleep: at most 10 MB/s, as fast as the shell allows
    let line = "x".repeat(999);
    let c = TestContainer::run_cmd(
        "bench-logs",
        &["--log-opt", "max-size=20m", "--log-opt", "max-file=2"],
        &[
            "sh",
            "-c",
            &format!(
                "trap 'exit 0' TERM; while :; do i=0; while [ $i -lt 100 ]; do echo {line}; i=$((i+1)); done; \
                 usleep 10000; done"
            ),
        ],
    );
    let app = App::start();
    std::thread::sleep(Duration::from_secs(2));
    let idle = app.rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let got: Vec<Arc<Received>> = (0..CLIENTS).map(|_| Arc::new(Received::default())).collect();
    let clients: Vec<_> = got.iter().map(|g| follow(&app, &c.name, stop.clone(), g.clone())).collect();

    let started = Instant::now();
    let printed_before = log_file_size(&c);
    let mut samples = Vec::new();
    println!("idle RSS before the clients: {idle} KiB\n\n| second | RSS KiB |\n|---|---|");
    for s in 1..=seconds {
        std::thread::sleep(Duration::from_secs(1));
        let rss = app.rss_kib();
        samples.push(rss);
        if s % 5 == 0 || s == 1 {
            println!("| {s} | {rss} |");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // the json-file log holds each line as {"log":"…\n","stream":"stdout","time":"…"}: ~1.07 × the text
    let printed = log_file_size(&c).saturating_sub(printed_before) as f64 / 1.07;
    stop.store(true, Ordering::Relaxed);
    let max = samples.iter().max().copied().unwrap_or(0);
    let last_half: Vec<u64> = samples[samples.len() / 2..].to_vec();
    println!(
        "\ncontainer printed ~{:.1} MB/s (from its log file; 0 if the file cannot be read)",
        printed / elapsed / 1e6
    );
    for (i, g) in got.iter().enumerate() {
        println!(
            "client {i}: {:.0} KiB/s of stream, {} lines, {} skipped",
            g.bytes.load(Ordering::Relaxed) as f64 / elapsed / 1024.0,
            g.lines.load(Ordering::Relaxed),
            g.skipped.load(Ordering::Relaxed)
        );
    }
    println!(
        "RSS: idle {idle} KiB, max {max} KiB, second half min {} / max {} KiB",
        last_half.iter().min().unwrap_or(&0),
        last_half.iter().max().unwrap_or(&0)
    );
    drop(c);
    for client in clients {
        let _ = client.join();
    }
}
