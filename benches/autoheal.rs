//! Autoheal's reaction time: from the Engine's `health_status: unhealthy` event (plus `after_s`)
//! to the restart reaching Docker (its `kill` event), both read from Docker's own event stream
//! with Docker's timestamps, for containers with a real HEALTHCHECK turned unhealthy with
//! `docker exec` once autoheal follows them.
//!
//! `cargo bench --bench autoheal` (needs a Docker Engine and the test image). Containers are
//! made unhealthy in batches, each restarted once, and removed at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{App, TestContainer};
use serde_json::{json, Value};

const BATCHES: usize = 4;
const PER_BATCH: usize = 10;
const AFTER_S: i64 = 1;

fn main() {
    let label = common::unique_name("bench-heal");
    let app = App::start();
    let mut events = Command::new("docker")
        .args(["events", "--filter", &format!("label={label}"), "--format", "{{json .}}"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker events");
    let (tx, rx) = mpsc::channel::<Value>();
    let stdout = events.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let mut delays_ms: Vec<f64> = Vec::new();
    let mut all = Vec::new();
    for _ in 0..BATCHES {
        let batch: Vec<TestContainer> = (0..PER_BATCH)
            .map(|_| {
                TestContainer::run(
                    "bench-heal",
                    &[
                        "--label",
                        &label,
                        "--tmpfs",
                        "/tmp",
                        "--health-cmd",
                        "test ! -f /tmp/bad",
                        "--health-interval",
                        "1s",
                        "--health-retries",
                        "1",
                    ],
                )
            })
            .collect();
        let containers: Vec<Value> =
            batch.iter().map(|c| json!({"host": "local", "container": c.name, "enabled": true})).collect();
        let body = json!({
            "enabled": true,
            "default": {"after_s": AFTER_S, "max_restarts": 1, "per_minutes": 60},
            "containers": containers,
        });
        let (status, reply) = app.put("/api/autoheal", body);
        assert_eq!(status, 200, "{reply}");
        // healthy so far; now each turns unhealthy (its restart empties /tmp, so healthy again)
        for c in &batch {
            let out =
                Command::new("docker").args(["exec", &c.id, "sh", "-c", "echo > /tmp/bad"]).output().unwrap();
            assert!(out.status.success(), "docker exec: {}", String::from_utf8_lossy(&out.stderr));
        }
        // the first unhealthy event and the first kill after it, per container
        let ids: HashMap<&str, usize> = batch.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let mut unhealthy: Vec<Option<i64>> = vec![None; PER_BATCH];
        let mut killed: Vec<Option<i64>> = vec![None; PER_BATCH];
        while killed.iter().any(Option::is_none) {
            let v = rx.recv_timeout(Duration::from_secs(60)).expect("no restart within a minute");
            let Some(&i) = v["id"].as_str().and_then(|id| ids.get(id)) else { continue };
            let at = v["timeNano"].as_i64().unwrap_or(0);
            match v["Action"].as_str().unwrap_or("") {
                "health_status: unhealthy" if unhealthy[i].is_none() => unhealthy[i] = Some(at),
                "kill" if unhealthy[i].is_some() && killed[i].is_none() => killed[i] = Some(at),
                _ => {}
            }
        }
        for (u, k) in unhealthy.iter().zip(&killed) {
            let (u, k) = (u.unwrap(), k.unwrap());
            delays_ms.push((k - u - AFTER_S * 1_000_000_000) as f64 / 1e6);
        }
        all.extend(batch);
    }
    let _ = events.kill();
    let _ = events.wait();
    delays_ms.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| delays_ms[((delays_ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "autoheal: unhealthy event + after_s ({AFTER_S} s) to the restart's kill event, {} containers in batches \
         of {PER_BATCH}: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        delays_ms.len(),
        pick(0.5),
        pick(0.99),
        delays_ms[delays_ms.len() - 1]
    );
    drop(all);
}
