//! The floors of the house (ARCHITECTURE.md), checked on the source so that they stay true: data
//! flows one way, and the lower floors import nothing from the floors above them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every `crate::<module>` a floor's code names (comments left out), as `file: line`.
fn imports_of(floor: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = match root.join(floor) {
        dir if dir.is_dir() => rust_files(&dir),
        _ => vec![root.join(format!("{floor}.rs"))],
    };
    assert!(!files.is_empty(), "no source found for {floor}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for module in forbidden {
                // `crate::web::…`, and `crate::{…, web, …}` in a grouped use
                let grouped = code.contains("crate::{")
                    && code.split(['{', '}', ',', ' ']).any(|part| part.trim() == *module);
                if code.contains(&format!("crate::{module}::"))
                    || code.contains(&format!("crate::{module};"))
                    || grouped
                {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn docker_and_store_import_nothing_from_actors_or_web() {
    for floor in ["docker", "store"] {
        let found = imports_of(floor, &["actors", "web"]);
        assert!(found.is_empty(), "{floor}/ imports from a floor above it:\n{}", found.join("\n"));
    }
}

#[test]
fn the_cron_dialect_knows_nothing_of_http() {
    let found = imports_of("cron", &["web", "error", "actors", "store", "docker"]);
    assert!(found.is_empty(), "cron/ imports from a floor above it:\n{}", found.join("\n"));
}

#[test]
fn the_shared_words_and_the_bus_sit_on_the_bottom_floor() {
    let found = imports_of("domain", &["actors", "docker", "store", "web", "events"]);
    assert!(found.is_empty(), "domain/ imports from a floor above it:\n{}", found.join("\n"));
    let found = imports_of("events", &["actors", "docker", "web"]);
    assert!(found.is_empty(), "events.rs imports from a floor above it:\n{}", found.join("\n"));
}
