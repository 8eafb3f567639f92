//! `GET /api/containers` (served from the DockerActor's cache) next to Docker's own list call
//! (`GET /containers/json?all=1`), with 50 and then 200 test containers, plus how long the first
//! answer takes after start-up (the full snapshot: one list, one inspect per container).
//!
//! `cargo bench --bench containers` (needs a Docker Engine and the test image; builds the binary
//! with the bench profile). Both sides are asked the same way: a new connection per request,
//! HTTP/1.0, the whole body read. Containers are created (not started) and removed at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::{Duration, Instant};

const SAMPLES: usize = 300;
const WARM_UP: usize = 20;

/// One GET over a fresh connection; the status and the body's length.
fn get<S: Read + Write>(mut stream: S, path: &str) -> (u16, usize) {
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("write request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read answer");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.find("\r\n\r\n").map(|i| answer.len() - i - 4).unwrap_or(0);
    (status, body)
}

fn docker_socket() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into())
}

struct Stats {
    median: Duration,
    p99: Duration,
    bytes: usize,
}

fn measure(mut once: impl FnMut() -> (u16, usize)) -> Stats {
    let mut bytes = 0;
    for _ in 0..WARM_UP {
        once();
    }
    let mut times: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let t = Instant::now();
            let (status, len) = once();
            let elapsed = t.elapsed();
            assert_eq!(status, 200, "a request failed");
            bytes = len;
            elapsed
        })
        .collect();
    times.sort();
    Stats { median: times[times.len() / 2], p99: times[(times.len() * 99) / 100 - 1], bytes }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Creates `n` containers, four `docker create` at a time.
fn create(n: usize, ids: &mut Vec<String>) {
    let image = common::test_image();
    let made: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                s.spawn(move || {
                    (0..n)
                        .filter(|i| i % 4 == w)
                        .map(|_| {
                            let name = common::unique_name("bench");
                            let out = Command::new("docker")
                                .args(["create", "--network", "none", "--label", "chrontainer-test=1"])
                                .args(["--name", &name, image, "true"])
                                .output()
                                .expect("docker create");
                            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                            String::from_utf8_lossy(&out.stdout).trim().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("create worker")).collect()
    });
    ids.extend(made);
}

/// Removes the bench's containers, even when a step panics.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for chunk in self.0.chunks(50) {
            let _ = Command::new("docker").args(["rm", "-f"]).args(chunk).output();
        }
    }
}

fn app_lists(app: &common::App, ids: &[String]) -> bool {
    let (status, list) = app.get("/api/containers");
    status == 200
        && list.as_array().is_some_and(|all| {
            let listed: std::collections::HashSet<&str> =
                all.iter().filter_map(|c| c["id"].as_str()).collect();
            ids.iter().all(|id| listed.contains(id.as_str()))
        })
}

fn round(label: usize, ids: &[String], app: &common::App) {
    let addr = app.base_url.trim_start_matches("http://").to_string();
    common::wait_for("the cache to hold every bench container", Duration::from_secs(60), || {
        app_lists(app, ids).then_some(())
    });
    let socket = docker_socket();
    let docker =
        measure(|| get(UnixStream::connect(&socket).expect("docker socket"), "/containers/json?all=1"));
    let ours = measure(|| get(TcpStream::connect(&addr).expect("chrontainer"), "/api/containers"));

    // a fresh process: its first answer waits for the full snapshot
    let t = Instant::now();
    let fresh = common::App::start();
    let started = t.elapsed();
    let (status, _) = fresh.get("/api/containers");
    assert_eq!(status, 200);
    let first = t.elapsed();
    let total = fresh.get("/api/containers").1.as_array().map_or(0, Vec::len);

    println!("{label} bench containers ({total} on the Engine in all), {SAMPLES} requests each:");
    println!(
        "  Docker   GET /containers/json?all=1  median {:>9}  p99 {:>9}  ({} bytes)",
        ms(docker.median),
        ms(docker.p99),
        docker.bytes
    );
    println!(
        "  Chrontainer GET /api/containers      median {:>9}  p99 {:>9}  ({} bytes)",
        ms(ours.median),
        ms(ours.p99),
        ours.bytes
    );
    println!("  fresh start: listening after {}, first full list after {}", ms(started), ms(first));
}

fn main() {
    common::require_docker();
    let mut cleanup = Cleanup(Vec::new());
    create(50, &mut cleanup.0);
    let app = common::App::start();
    round(50, &cleanup.0, &app);
    create(150, &mut cleanup.0);
    round(200, &cleanup.0, &app);
}
