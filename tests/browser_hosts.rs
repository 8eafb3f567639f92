//! Browser test of issue 13: a host added on `/hosts` (the plain form) shows its containers on
//! the dashboard, grouped under its name, with the host filter beside the search box.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod browser_support;
mod common;

use browser_support::{artifacts, browser_test, Browser};
use common::dockerd::PrivateDockerd;
use common::{unique_name, App};
use serde_json::json;

#[test]
fn a_host_added_on_the_hosts_page_brings_its_containers_to_the_dashboard() {
    browser_test(|| async {
        let engine = PrivateDockerd::unix();
        engine.load_test_image();
        let container = unique_name("br-remote");
        engine.run_sleeper(&container, &["--label", "com.docker.compose.project=media"]);
        let host: String = unique_name("nas").chars().take(40).collect();
        let app = App::start();
        let b = Browser::start(&app).await;

        b.goto("/hosts").await;
        b.type_into("#nh-name", &host).await;
        b.type_into("#nh-url", &engine.socket()).await;
        b.click("#add-host-submit").await;
        b.wait_with(
            "the new host in the table, reachable",
            "const row = document.getElementById('host-' + arguments[0]);
             return !!row && row.textContent.includes('ok');",
            vec![json!(host)],
        )
        .await;
        b.screenshot(&artifacts("hosts").join("hosts-page.png")).await;

        b.open("/").await;
        let group = b
            .wait_with(
                "the other host's container on the dashboard, in a group named for its host",
                "const row = document.querySelector(`.ctr[data-host='${arguments[0]}'][data-name='${arguments[1]}']`);
                 const group = row && row.closest('[data-group]');
                 return group && group.querySelector('.group-title').textContent.trim();",
                vec![json!(host), json!(container)],
            )
            .await;
        assert!(group.as_str().unwrap().contains(&format!("{host} · ")), "{group}");
        assert!(group.as_str().unwrap().ends_with("media"), "{group}");
        let options =
            b.js("return Array.from(document.querySelectorAll('#host-filter option'), o => o.value);").await;
        assert_eq!(options, json!(["", "local", host]), "the host filter offers every host");
        b.screenshot(&artifacts("hosts").join("dashboard-two-hosts.png")).await;
        b.quit().await;
    });
}
