//! What the benches share: one GET over a fresh connection, timed many times.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

pub const SAMPLES: usize = 300;
pub const WARM_UP: usize = 20;

/// One GET over a fresh connection; the status and the body's length.
pub fn get<S: Read + Write>(mut stream: S, path: &str) -> (u16, usize) {
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("write request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read answer");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.find("\r\n\r\n").map(|i| answer.len() - i - 4).unwrap_or(0);
    (status, body)
}

pub fn docker_socket() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into())
}

pub struct Stats {
    pub median: Duration,
    pub p99: Duration,
    pub bytes: usize,
}

pub fn measure(mut once: impl FnMut() -> (u16, usize)) -> Stats {
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

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
