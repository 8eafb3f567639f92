//! `GET /api/containers` and the process's RSS with 1, 3 and 10 Docker hosts of 50 containers
//! each. The hosts are one private dockerd (its own socket, data and containerd) added several
//! times under different names: every name gets its own DockerActor, connection, events stream
//! and cache, which is what a real host costs Chrontainer.
//!
//! `cargo bench --bench hosts` (needs dockerd, the docker CLI and the test image; builds the
//! binary with the bench profile). A new connection per request, HTTP/1.0, the whole body read.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench says what failed by panicking

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/http.rs"]
mod http;

use std::net::TcpStream;
use std::time::Duration;

use common::dockerd::PrivateDockerd;
use http::{get, measure, ms, SAMPLES};
use serde_json::json;

const PER_HOST: usize = 50;

fn listed(app: &common::App) -> usize {
    app.get("/api/containers").1.as_array().map_or(0, Vec::len)
}

fn main() {
    let engine = PrivateDockerd::unix();
    engine.load_test_image();
    for _ in 0..PER_HOST {
        let name = common::unique_name("hb");
        engine.ok(&["create", "--network", "none", "--name", &name, common::TEST_IMAGE, "true"]);
    }
    let app = common::App::start_with(&[("DOCKER_HOST", &engine.socket())]);
    let addr = app.base_url.trim_start_matches("http://").to_string();
    let mut hosts = 1;
    println!("{PER_HOST} containers per host, {SAMPLES} requests each, one connection at a time:");
    println!("  hosts  containers  GET /api/containers median      p99     bytes   RSS");
    let mut rss_one = 0;
    for wanted in [1, 3, 10] {
        while hosts < wanted {
            hosts += 1;
            let (status, body) =
                app.post("/api/hosts", json!({"name": format!("h{hosts}"), "url": engine.socket()}));
            assert_eq!(status, 201, "{body}");
        }
        common::wait_for("every host's containers listed", Duration::from_secs(60), || {
            (listed(&app) == hosts * PER_HOST).then_some(())
        });
        let stats = measure(|| get(TcpStream::connect(&addr).expect("chrontainer"), "/api/containers"));
        let rss = app.rss_kib();
        if wanted == 1 {
            rss_one = rss;
        }
        let per_host = match hosts {
            1 => String::new(),
            n => format!("  (+{} KiB per host)", (rss.saturating_sub(rss_one)) / (n as u64 - 1)),
        };
        println!(
            "  {hosts:>5}  {:>10}  {:>28}  {:>9}  {:>7}  {rss} KiB{per_host}",
            hosts * PER_HOST,
            ms(stats.median),
            ms(stats.p99),
            stats.bytes
        );
    }
}
