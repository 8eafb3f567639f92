//! The command line from outside: help, version, usage errors and their exit code, and flags that
//! win over the environment, on the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use std::process::{Command, Output};
use std::sync::Arc;

use common::App;

fn chrontainer(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_chrontainer"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("cannot run the chrontainer binary");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn help_prints_usage_commands_and_every_setting_with_its_variable() {
    for flag in ["--help", "-h", "help"] {
        let (code, stdout, stderr) = chrontainer(&[flag], &[]);
        assert_eq!(code, Some(0), "{flag}: {stderr}");
        assert!(stdout.starts_with("usage: chrontainer [COMMAND]"), "{flag}: {stdout}");
        for word in ["serve", "healthcheck", "import-legacy", "--listen", "CHRONTAINER_LISTEN", "--data-dir"]
        {
            assert!(stdout.contains(word), "{flag}: no {word} in\n{stdout}");
        }
    }
}

#[test]
fn every_command_has_its_help() {
    let (code, stdout, _) = chrontainer(&["import-legacy", "--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("usage: chrontainer import-legacy [--dry-run]"), "{stdout}");
    assert!(stdout.contains("--no-docker-check"), "{stdout}");
    assert_eq!(chrontainer(&["help", "import-legacy"], &[]).1, stdout);
    assert_eq!(chrontainer(&["import-legacy", "-h"], &[]).1, stdout);

    for command in ["serve", "healthcheck"] {
        let (code, stdout, _) = chrontainer(&[command, "--help"], &[]);
        assert_eq!(code, Some(0), "{command}");
        assert!(stdout.starts_with(&format!(
            "usage: chrontainer {}",
            if command == "serve" { "[serve]" } else { command }
        )));
        assert_eq!(chrontainer(&["help", command], &[]).1, stdout, "{command}");
    }
}

#[test]
fn version_prints_the_version() {
    let (code, stdout, _) = chrontainer(&["--version"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, format!("chrontainer {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_bad_flag_exits_2_naming_it_with_the_usage() {
    let (code, stdout, stderr) = chrontainer(&["--lisen", "127.0.0.1:0"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    let mut lines = stderr.lines();
    assert_eq!(lines.next(), Some("chrontainer: unknown option --lisen"));
    assert!(lines.next().is_some_and(|l| l.starts_with("usage: chrontainer")), "{stderr}");

    let (code, _, stderr) = chrontainer(&["import-legacy", "--dry-rn", "old.db"], &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("chrontainer: unknown option --dry-rn\nusage: chrontainer import-legacy"),
        "{stderr}"
    );

    let (code, _, stderr) = chrontainer(&["restart-everything"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("chrontainer: unknown command \"restart-everything\""), "{stderr}");

    let (code, _, stderr) = chrontainer(&["--listen"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn a_bad_value_given_as_a_flag_is_named_as_the_flag() {
    let (code, _, stderr) = chrontainer(&["--listen", "abc"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.starts_with("chrontainer: --listen abc is not host:port"), "{stderr}");
    let (code, _, stderr) = chrontainer(&["healthcheck", "--stop-timeout", "-1"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.starts_with("chrontainer: --stop-timeout -1 is not a whole number"), "{stderr}");
}

#[test]
fn a_flag_wins_over_its_environment_variable() {
    // the environment alone could not start it: the address is not one
    let data = Arc::new(tempfile::tempdir().unwrap());
    let elsewhere = tempfile::tempdir().unwrap();
    let env = [("CHRONTAINER_LISTEN", "abc"), ("CHRONTAINER_DATA_DIR", elsewhere.path().to_str().unwrap())];
    let data_dir = data.path().to_str().unwrap().to_string();
    let app = App::try_start_with_args(
        data.clone(),
        &env,
        &["serve", "--listen", "127.0.0.1:0", "--data-dir", &data_dir],
    )
    .unwrap_or_else(|out| panic!("the flags did not win:\n{out}"));
    assert_eq!(app.get("/healthz").0, 200);
    assert!(data.path().join("chrontainer.db").exists());
    assert!(!elsewhere.path().join("chrontainer.db").exists());

    // healthcheck finds the instance through the same flag
    let port = app.base_url.rsplit(':').next().unwrap().to_string();
    let (code, _, stderr) = chrontainer(
        &["healthcheck", "--listen", &format!("127.0.0.1:{port}")],
        &[("CHRONTAINER_LISTEN", "abc")],
    );
    assert_eq!(code, Some(0), "{stderr}");
}
