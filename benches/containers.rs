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
#[path = "support/http.rs"]
mod http;

use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::{Duration, Instant};

use http::{docker_socket, get, measure, ms, SAMPLES};

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
