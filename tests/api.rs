//! The HTTP contract of API.md, route by route and error by error, against the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod common;

use common::{App, TestContainer};
use serde_json::{json, Value};
use std::time::Duration;

fn error_code(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"]["code"].as_str().unwrap_or("<no error code>"))
}

const CONTAINER_FIELDS: [&str; 10] = [
    "id",
    "name",
    "image",
    "state",
    "status",
    "health",
    "compose_project",
    "compose_service",
    "created",
    "started_at",
];
const SCHEDULE_FIELDS: [&str; 18] = [
    "id",
    "host",
    "container",
    "container_id",
    "compose_project",
    "compose_service",
    "action",
    "cron",
    "run_at",
    "timezone",
    "enabled",
    "description",
    "created_at",
    "updated_at",
    "last_run",
    "last_status",
    "next_run",
    "notify",
];
const LOG_FIELDS: [&str; 12] = [
    "id",
    "host",
    "requested_by",
    "timestamp",
    "schedule_id",
    "container",
    "container_id",
    "action",
    "trigger",
    "status",
    "message",
    "duration_ms",
];

fn has_fields(v: &Value, fields: &[&str]) {
    for f in fields {
        assert!(v.get(f).is_some(), "{f} missing from {v}");
    }
}

#[test]
fn containers_by_name_id_and_prefix_with_clear_errors() {
    let c = TestContainer::run("api-containers", &[]);
    let app = App::start();
    let (status, list) = app.get("/api/containers");
    assert_eq!(status, 200, "{list}");
    let mine = list.as_array().unwrap().iter().find(|x| x["name"] == c.name.as_str()).expect("listed");
    has_fields(mine, &CONTAINER_FIELDS);
    assert_eq!(mine["state"], "running");
    assert_eq!(mine["id"], c.id.as_str());

    for reference in [c.name.clone(), c.id.clone(), c.id[..12].to_string()] {
        let (status, one) = app.get(&format!("/api/containers/{reference}"));
        assert_eq!(status, 200, "{reference}: {one}");
        assert_eq!(one["name"], c.name.as_str());
    }
    assert_eq!(error_code(&app.get("/api/containers/no-such-container-xyz")), (404, "container_not_found"));
    assert_eq!(
        error_code(&app.post(&format!("/api/containers/{}/explode", c.name), json!({}))),
        (400, "invalid_action")
    );
    assert_eq!(
        error_code(&app.post("/api/containers/no-such-container-xyz/restart", json!({}))),
        (404, "container_not_found")
    );
}

#[test]
fn a_manual_action_answers_with_its_log_entry() {
    let c = TestContainer::run("api-action", &[]);
    let app = App::start();
    let (status, body) = app.post(&format!("/api/containers/{}/start", c.name), json!({}));
    assert_eq!(status, 200, "{body}");
    has_fields(&body["log"], &LOG_FIELDS);
    assert_eq!(body["log"]["host"], "local");
    assert_eq!(body["log"]["status"], "skipped");
    assert_eq!(body["log"]["trigger"], "manual");
    assert!(body["log"]["message"].as_str().unwrap().contains("already running"), "{body}");

    let (status, body) = app.post(&format!("/api/containers/{}/pause", c.name), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["log"]["status"], "success");
    assert_eq!(c.state(), "paused");
    let (status, body) = app.post(&format!("/api/containers/{}/unpause", c.name), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(c.state(), "running");

    let (status, page) = app.get(&format!("/api/logs?container={}&trigger=manual", c.name));
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "every manual action is logged: {page}");
}

#[test]
fn cron_preview_matches_the_contract() {
    let app = App::start();
    let (status, body) = app.get("/api/cron/preview?expr=0+3+*+*+1&tz=UTC&count=3&from=2026-01-01T00:00:00Z");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next"], json!(["2026-01-05T03:00:00Z", "2026-01-12T03:00:00Z", "2026-01-19T03:00:00Z"]));
    assert_eq!(body["expr"], "0 3 * * 1");
    assert_eq!(body["timezone"], "UTC");
    assert!(body["description"].as_str().unwrap().contains("Monday"), "{body}");
    let bad = app.get("/api/cron/preview?expr=61+*+*+*+*");
    assert_eq!(error_code(&bad), (400, "invalid_cron"));
    assert!(bad.1["error"]["message"].as_str().unwrap().contains("minute"), "{}", bad.1);
    assert_eq!(
        error_code(&app.get("/api/cron/preview?expr=0+3+*+*+*&tz=Nowhere/Land")),
        (400, "invalid_timezone")
    );
    assert_eq!(app.get("/api/cron/preview?expr=0+3+*+*+*&count=51").0, 400);
}

#[test]
fn schedule_crud_and_every_error_code() {
    let c = TestContainer::run("api-schedules", &[]);
    let app = App::start();
    let before = app.get("/api/schedules").1;

    let bad = |body: Value| app.post("/api/schedules", body);
    let n = c.name.as_str();
    assert_eq!(
        error_code(&bad(json!({"container": n, "action": "restart", "cron": "0 25 * * *"}))),
        (400, "invalid_cron")
    );
    assert_eq!(
        error_code(&bad(
            json!({"container": n, "action": "restart", "cron": "0 3 * * *", "timezone": "Mars/Base"})
        )),
        (400, "invalid_timezone")
    );
    assert_eq!(
        error_code(&bad(json!({"container": n, "action": "explode", "cron": "0 3 * * *"}))),
        (400, "invalid_action")
    );
    assert_eq!(error_code(&bad(json!({"container": n, "action": "restart"}))), (400, "missing_field"));
    assert_eq!(error_code(&bad(json!({"action": "restart", "cron": "0 3 * * *"}))), (400, "missing_field"));
    assert_eq!(
        error_code(&bad(json!({"container": n, "action": "restart", "cron": "0 3 * * *", "colour": "red"}))),
        (400, "unknown_field")
    );
    assert_eq!(
        error_code(&bad(
            json!({"container": n, "action": "restart", "cron": "0 3 * * *", "run_at": "2030-01-01T00:00:00Z"})
        )),
        (400, "conflicting_fields")
    );
    assert_eq!(
        error_code(&bad(json!({"container": n, "action": "restart", "run_at": "2001-01-01T00:00:00Z"}))),
        (400, "invalid_run_at")
    );
    assert_eq!(
        error_code(&bad(
            json!({"container": "no-such-container-xyz", "action": "restart", "cron": "0 3 * * *"})
        )),
        (404, "container_not_found")
    );
    assert_eq!(error_code(&app.post_raw("/api/schedules", b"{not json")), (400, "invalid_json"));
    assert_eq!(
        error_code(&bad(json!({"container": n, "action": 5, "cron": "0 3 * * *"}))),
        (400, "invalid_json")
    );
    let huge = format!("{{\"container\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_eq!(error_code(&app.post_raw("/api/schedules", huge.as_bytes())), (413, "payload_too_large"));
    assert_eq!(app.get("/api/schedules").1, before, "bad input changed something");

    let (status, s) = app.post(
        "/api/schedules",
        json!({"container": n, "action": "restart", "cron": "0 3 * * 1", "timezone": "Europe/Berlin", "description": "weekly"}),
    );
    assert_eq!(status, 201, "{s}");
    has_fields(&s, &SCHEDULE_FIELDS);
    assert_eq!(s["host"], "local");
    assert_eq!(s["container_id"], c.id.as_str());
    assert_eq!(s["description"], "weekly");
    let id = s["id"].as_i64().unwrap();
    let next: chrono::DateTime<chrono::Utc> = s["next_run"].as_str().unwrap().parse().unwrap();
    // 03:00 in Berlin is 02:00 or 01:00 UTC, on a Monday
    assert_eq!(next.format("%a").to_string(), "Mon");
    assert!(["01:00", "02:00"].contains(&next.format("%H:%M").to_string().as_str()), "{next}");

    assert_eq!(app.get(&format!("/api/schedules/{id}")).1, s);
    assert!(app.get("/api/schedules").1.as_array().unwrap().contains(&s));
    let (status, off) = app.patch(&format!("/api/schedules/{id}"), json!({"enabled": false}));
    assert_eq!(status, 200);
    assert_eq!(off["enabled"], false);
    assert!(off["next_run"].is_null());
    assert_eq!(
        error_code(&app.patch(&format!("/api/schedules/{id}"), json!({"cron": "nope"}))),
        (400, "invalid_cron")
    );
    assert_eq!(
        app.get(&format!("/api/schedules/{id}")).1["cron"],
        "0 3 * * 1",
        "a bad edit changed the schedule"
    );

    let (status, run) = app.post(&format!("/api/schedules/{id}/run"), json!({}));
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["log"]["trigger"], "run_now");
    assert_eq!(run["log"]["schedule_id"], id);

    assert_eq!(app.delete(&format!("/api/schedules/{id}")).0, 204);
    for answer in [
        app.get(&format!("/api/schedules/{id}")),
        app.patch(&format!("/api/schedules/{id}"), json!({"enabled": true})),
        app.delete(&format!("/api/schedules/{id}")),
        app.post(&format!("/api/schedules/{id}/run"), json!({})),
        app.get("/api/schedules/not-a-number"),
    ] {
        assert_eq!(error_code(&answer), (404, "schedule_not_found"));
    }
    let (_, page) = app.get(&format!("/api/logs?schedule_id={id}"));
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "the deleted schedule's log row stays");
}

#[test]
fn logs_page_by_id_with_filters_and_bounds() {
    let c = TestContainer::run("api-logs", &[]);
    let app = App::start();
    for _ in 0..5 {
        assert_eq!(app.post(&format!("/api/containers/{}/start", c.name), json!({})).0, 200);
    }
    let (status, page) = app.get(&format!("/api/logs?container={}&limit=2", c.name));
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["id"].as_i64() > items[1]["id"].as_i64(), "newest first");
    let before = page["next_before"].as_i64().expect("a next page");
    let (_, next) = app.get(&format!("/api/logs?container={}&limit=2&before={before}", c.name));
    assert!(next["items"][0]["id"].as_i64().unwrap() < before);
    let (_, last) = app.get(&format!("/api/logs?container={}&limit=500", c.name));
    assert_eq!(last["items"].as_array().unwrap().len(), 5);
    assert!(last["next_before"].is_null());
    assert_eq!(app.get(&format!("/api/logs?container={}&status=success", c.name)).1["items"], json!([]));

    for bad in [
        "limit=0",
        "limit=501",
        "limit=99999999999999999999",
        "before=abc",
        "status=fine",
        "trigger=cron",
        "action=jump",
    ] {
        let answer = app.get(&format!("/api/logs?{bad}"));
        assert_eq!(answer.0, 400, "{bad}: {}", answer.1);
        assert!(answer.1["error"]["field"].is_string(), "{bad}: {}", answer.1);
    }
}

#[test]
fn openapi_metrics_and_events_answer() {
    let app = App::start();
    let (status, doc) = app.get("/api/openapi.json");
    assert_eq!(status, 200);
    for path in ["/api/containers", "/api/schedules", "/api/logs", "/api/cron/preview"] {
        assert!(doc["paths"].get(path).is_some(), "{path} not documented");
    }
    let (status, _, text) = app.get_text("/metrics");
    assert_eq!(status, 200);
    assert!(text.contains("chrontainer_docker_up"), "{text}");
    assert!(text.contains("chrontainer_fire_delay_seconds_count"), "{text}");
}

#[test]
fn null_for_a_typed_field_is_refused_naming_it() {
    let app = App::start();
    let users = app.get("/api/users").1;
    let tokens = app.get("/api/tokens").1;
    let schedules = app.get("/api/schedules").1;
    let refused = |answer: (u16, Value), field: &str| {
        assert_eq!(error_code(&answer), (400, "invalid_json"), "{field}: {}", answer.1);
        assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
        let message = answer.1["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("`{field}` must not be null")), "{message}");
    };
    refused(app.patch("/api/schedules/1", json!({"enabled": null})), "enabled");
    refused(
        app.post("/api/schedules", json!({"container": "web", "action": "restart", "cron": null})),
        "cron",
    );
    refused(
        app.post(
            "/api/schedules",
            json!({"container": "web", "action": "restart", "cron": "0 3 * * *", "description": null}),
        ),
        "description",
    );
    refused(app.post("/api/tokens", json!({"name": "ci", "role": null})), "role");
    refused(app.post("/api/tokens", json!({"name": null})), "name");
    refused(
        app.post("/api/users", json!({"username": "nina", "password": "long enough pw", "role": null})),
        "role",
    );
    refused(app.patch("/api/users/1", json!({"password": null})), "password");
    refused(
        app.post(
            "/api/users/me/password",
            json!({"current_password": null, "new_password": "long enough pw"}),
        ),
        "current_password",
    );
    assert_eq!(app.get("/api/users").1, users, "a refused body created a user");
    assert_eq!(app.get("/api/tokens").1, tokens, "a refused body created a token");
    assert_eq!(app.get("/api/schedules").1, schedules, "a refused body changed a schedule");

    // left out is still the default
    let (status, token) = app.post("/api/tokens", json!({"name": "ci"}));
    assert_eq!(status, 201, "{token}");
    assert_eq!(token["role"], "read");
}

#[test]
fn stats_count_a_manual_restart_and_refuse_bad_parameters() {
    let app = App::start();
    let c = TestContainer::run("stats", &[]);
    let (status, _) = app.post(&format!("/api/containers/{}/restart", c.name), json!({}));
    assert_eq!(status, 200);

    let (status, stats) = app.get("/api/stats?days=7");
    assert_eq!(status, 200, "{stats}");
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["success"], 1, "{stats}");
    assert_eq!(days.iter().map(|d| d["success"].as_i64().unwrap()).sum::<i64>(), 1);
    for field in ["date", "success", "error", "skipped", "missed"] {
        assert!(days[0].get(field).is_some(), "{field}");
    }
    let containers = stats["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{stats}");
    assert_eq!(containers[0]["host"], "local");
    assert_eq!(containers[0]["container"], c.name.as_str());
    assert_eq!(containers[0]["restarts"], json!({"schedule": 0, "manual": 1, "health": 0, "window": 0}));
    assert_eq!(stats["schedules"], json!([]));
    assert_eq!(app.get("/api/stats").1["days"].as_array().unwrap().len(), 30);

    assert_eq!(error_code(&app.get("/api/stats?days=0")), (400, "invalid_parameter"));
    assert_eq!(error_code(&app.get("/api/stats?days=367")), (400, "invalid_parameter"));
    assert_eq!(error_code(&app.get("/api/stats?days=many")), (400, "invalid_parameter"));
    assert_eq!(error_code(&app.get("/api/stats?host=elsewhere")), (404, "host_not_found"));
    assert_eq!(app.get("/api/stats?host=local").0, 200);
}

/// The dashboard's body is kept between changes (`pages/rendered.rs`): each change shows on the
/// very next load, not when the kept body expires.
#[test]
fn the_dashboard_shows_each_change_on_the_next_load() {
    let c = TestContainer::run("api-dash", &[]);
    let app = App::start();
    let row = |app: &App| {
        let (status, _, page) = app.get_text("/");
        assert_eq!(status, 200);
        let start = page.find(&format!("id=\"c-{}\"", c.id))?;
        Some(page[start..].split('>').next().unwrap_or_default().to_string())
    };
    let first = common::wait_for("the container on the dashboard", Duration::from_secs(10), || row(&app));
    assert!(first.contains("data-cat=\"running\""), "{first}");
    for _ in 0..3 {
        assert_eq!(row(&app).as_deref(), Some(first.as_str()), "loads without a change agree");
    }
    let (status, body) = app.post(&format!("/api/containers/{}/pause", c.name), json!({}));
    assert_eq!(status, 200, "{body}");
    let paused = row(&app).unwrap();
    assert!(paused.contains("data-cat=\"paused\""), "the next load shows the pause: {paused}");

    let (status, s) =
        app.post("/api/schedules", json!({"container": c.name, "action": "unpause", "cron": "0 3 * * *"}));
    assert_eq!(status, 201, "{s}");
    let (_, _, page) = app.get_text("/");
    assert!(page.contains(&format!("id=\"s-{}\"", s["id"])), "the next load lists the new schedule");
    let (status, _) = app.delete(&format!("/api/schedules/{}", s["id"]));
    assert_eq!(status, 204);
    let (_, _, page) = app.get_text("/");
    assert!(!page.contains(&format!("id=\"s-{}\"", s["id"])), "and no longer lists it once deleted");
}
