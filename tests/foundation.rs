//! The foundation, from outside: the real binary, a real SQLite file, real signals.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::sync::Arc;

use common::App;

#[test]
fn healthz_reports_database_and_docker() {
    let app = App::start();
    let (status, body) = app.get("/healthz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let docker = &body["docker"];
    assert!(docker["status"] == "ok" || docker["status"] == "unreachable", "{docker}");
    assert!(app.data_dir.path().join("chrontainer.db").exists());
}

#[test]
fn healthz_says_unreachable_when_docker_is_not_there() {
    let app = App::start_with(&[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    let (status, body) = app.get("/healthz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["docker"]["status"], "unreachable", "{body}");
    let (status, body) = app.get("/api/containers");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "docker_unreachable");
}

#[test]
fn sigterm_exits_zero_and_a_second_instance_is_refused() {
    let app = App::start();
    let second = App::try_start_in(app.data_dir.clone(), &[]).err().expect("a second instance started");
    assert!(second.contains("another Chrontainer is already running"), "{second}");
    let dir = app.data_dir.clone();
    assert_eq!(app.terminate(), Some(0));
    // the lock went with the process: the next start works
    let again = App::start_in(dir, &[]);
    assert_eq!(again.get("/healthz").0, 200);
}

#[test]
fn a_bad_setting_stops_start_up_with_exit_code_2_naming_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chrontainer"))
        .env("CHRONTAINER_LISTEN", "abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CHRONTAINER_LISTEN=abc is not host:port"), "{stderr}");
}

#[test]
fn an_unwritable_data_directory_is_a_clear_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    // a path below a regular file can never be created
    let dir = file.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chrontainer"))
        .env("CHRONTAINER_LISTEN", "127.0.0.1:0")
        .env("CHRONTAINER_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CHRONTAINER_DATA_DIR=") && stderr.contains("cannot be created"), "{stderr}");
}

#[test]
fn unknown_api_routes_are_json_404s() {
    let app = App::start_in(Arc::new(tempfile::tempdir().unwrap()), &[]);
    let (status, body) = app.get("/api/nothing-here");
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}
