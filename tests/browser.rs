//! Browser tests: headless Chromium driven through WebDriver (chromedriver), clicking through the
//! real dashboard served by the real binary, acting on real containers (TESTING.md, issue 6), with
//! authentication off; tests/browser_login.rs drives the default login mode. The machinery (one
//! chromedriver per test, one browser at a time, screenshots) is in tests/browser_support.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test says what failed by panicking

mod browser_support;
mod common;

use std::time::{Duration, Instant};

use browser_support::{artifacts, browser_test, Browser, BADGE, BADGE_SAYS, WAIT};
use common::{wait_for, App, TestContainer};
use serde_json::{json, Value};

/// Creates a schedule over the API and returns its id.
fn create_schedule(app: &App, body: Value) -> i64 {
    let (status, schedule) = app.post("/api/schedules", body);
    assert_eq!(status, 201, "{schedule}");
    schedule["id"].as_i64().expect("a schedule id")
}

fn schedule_enabled(app: &App, id: i64) -> Option<bool> {
    let (status, schedule) = app.get(&format!("/api/schedules/{id}"));
    assert_eq!(status, 200, "{schedule}");
    schedule["enabled"].as_bool()
}

#[test]
fn a_time_window_is_created_through_the_form_with_its_sentence_and_next_changes() {
    browser_test(|| async {
        let c = TestContainer::run("br-window", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the container on the dashboard",
            "return !!document.getElementById('c-' + arguments[0]);",
            vec![json!(c.id)],
        )
        .await;
        b.click("#new-schedule").await;
        b.type_into("#sf-container", &c.name).await;
        b.click("#sf-kind-window").await;
        b.js("const t = document.getElementById('sf-timezone'); t.value = 'Europe/Berlin';
              t.dispatchEvent(new Event('input'));")
            .await;
        let preview = b
            .wait(
                "the window's sentence and next changes",
                "const p = document.getElementById('sf-preview');
                 return p.querySelectorAll('ol li').length === 4 && p.textContent;",
            )
            .await;
        let preview = preview.as_str().unwrap();
        assert!(preview.contains("Kept stopped nightly 23:00–07:00"), "{preview}");
        assert!(preview.contains("starts") && preview.contains("ends"), "{preview}");
        assert_eq!(b.js("return document.getElementById('sf-action').disabled;").await, true);
        b.click("#sf-submit").await;
        b.toast(&format!("Created: Stop {}", c.name)).await;
        let (_, schedules) = app.get("/api/schedules");
        let ours: Vec<&Value> =
            schedules.as_array().unwrap().iter().filter(|s| s["container"] == c.name.as_str()).collect();
        assert_eq!(ours.len(), 1, "{schedules}");
        assert_eq!(
            ours[0]["window"],
            json!({"state": "stopped", "from": "23:00", "to": "07:00", "days": null, "timezone": "Europe/Berlin"})
        );
        assert_eq!((&ours[0]["action"], &ours[0]["respect_manual"]), (&json!("stop"), &json!(true)));
        b.quit().await;
    });
}

#[test]
fn a_schedule_is_created_through_the_form_with_a_live_preview() {
    browser_test(|| async {
        let c = TestContainer::run("br-form", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the container on the dashboard",
            "return !!document.getElementById('c-' + arguments[0]);",
            vec![json!(c.id)],
        )
        .await;

        b.click("#new-schedule").await;
        b.wait("the schedule dialog to open", "return document.getElementById('schedule-dialog').open;")
            .await;
        b.wait_with(
            "the container among the form's suggestions",
            "return Array.from(document.querySelectorAll('#container-names option')).some(o => o.value === arguments[0]);",
            vec![json!(c.name)],
        )
        .await;
        b.type_into("#sf-container", &c.name).await;

        // an invalid expression: the cron field's error, no preview
        b.type_into("#sf-cron", "61 * * * *").await;
        let error = b
            .wait(
                "the cron field's error",
                "const e = document.getElementById('sf-cron-error');
                 return !e.hidden && e.textContent.trim();",
            )
            .await;
        assert!(!error.as_str().unwrap().is_empty());
        let state = b
            .js("return {invalid: document.getElementById('sf-cron').hasAttribute('aria-invalid'),
                         preview: document.getElementById('sf-preview').textContent.trim(),
                         timezoneError: !document.getElementById('sf-timezone-error').hidden};")
            .await;
        assert_eq!(state, json!({"invalid": true, "preview": "", "timezoneError": false}), "error: {error}");

        // a valid one: the error goes, the description and the next five runs appear
        b.type_into("#sf-cron", "*/5 * * * *").await;
        let preview = b
            .wait(
                "the preview of */5 * * * *",
                "const e = document.getElementById('sf-cron-error');
                 const p = document.getElementById('sf-preview');
                 const d = p.querySelector('.preview-description');
                 const runs = Array.from(p.querySelectorAll('ol li time'), t => t.getAttribute('datetime'));
                 return e.hidden && d && runs.length === 5 && {description: d.textContent, runs};",
            )
            .await;
        let description = preview["description"].as_str().unwrap();
        assert!(!description.is_empty() && description != "*/5 * * * *", "description: {description:?}");
        let runs: Vec<&str> =
            preview["runs"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert!(runs.windows(2).all(|w| w[0] < w[1]), "the next runs should be in order: {runs:?}");
        assert!(
            runs.iter().all(|r| r.ends_with('Z') && r[14..16].parse::<u32>().unwrap() % 5 == 0),
            "{runs:?}"
        );
        assert_eq!(
            b.js("return document.getElementById('sf-cron').hasAttribute('aria-invalid');").await,
            json!(false)
        );

        b.click("#sf-submit").await;
        b.toast(&format!("Created: Restart {}", c.name)).await;
        let row = b
            .wait_with(
                "the new schedule in the list",
                "const row = document.querySelector('#schedules-list .sch[data-container=\"' + arguments[0] + '\"]');
                 return !document.getElementById('schedule-dialog').open && row &&
                     {id: row.dataset.id, cron: row.dataset.cron, action: row.dataset.action,
                      enabled: row.dataset.enabled, text: row.querySelector('.sch-sentence').textContent};",
                vec![json!(c.name)],
            )
            .await;
        assert_eq!(row["cron"], "*/5 * * * *");
        assert_eq!(row["action"], "restart");
        assert_eq!(row["enabled"], "true");
        assert!(row["text"].as_str().unwrap().contains(&c.name), "{row}");

        let (status, schedules) = app.get("/api/schedules");
        assert_eq!(status, 200);
        let ours: Vec<&Value> =
            schedules.as_array().unwrap().iter().filter(|s| s["container"] == c.name.as_str()).collect();
        assert_eq!(ours.len(), 1, "exactly the one schedule created: {schedules}");
        assert_eq!(ours[0]["id"].to_string(), row["id"].as_str().unwrap());
        assert_eq!(ours[0]["cron"], "*/5 * * * *");
        assert_eq!(ours[0]["action"], "restart");
        assert_eq!(ours[0]["enabled"], true);
        assert!(ours[0]["next_run"].is_string(), "{}", ours[0]);
        b.quit().await;
    });
}

#[test]
fn a_schedule_is_toggled_run_now_seen_live_in_the_log_and_deleted() {
    browser_test(|| async {
        let c = TestContainer::run("br-sched", &[]);
        let app = App::start();
        let id = create_schedule(
            &app,
            json!({"container": c.name, "action": "restart", "cron": "0 3 * * *", "timezone": "UTC"}),
        );
        let row = format!("s-{id}");
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the schedule listed",
            "return !!document.getElementById(arguments[0]);",
            vec![json!(row)],
        )
        .await;
        b.mark_document().await;

        // disable, then enable again
        for enabled in [false, true] {
            b.click(&format!("#sch-{id}-enabled")).await;
            wait_for(&format!("the API to say enabled={enabled}"), WAIT, || {
                (schedule_enabled(&app, id) == Some(enabled)).then_some(())
            });
            b.wait_with(
                &format!("the row to show enabled={enabled}"),
                "const row = document.getElementById(arguments[0]);
                 const box = document.getElementById('sch-' + arguments[2] + '-enabled');
                 const badge = Array.from(row.querySelectorAll('.badge'), b => b.textContent).includes('Disabled');
                 return row.dataset.enabled === String(arguments[1]) && box.checked === arguments[1]
                     && row.classList.contains('sch-off') === !arguments[1] && badge === !arguments[1];",
                vec![json!(row), json!(enabled), json!(id)],
            )
            .await;
        }
        b.assert_not_reloaded().await;

        // the activity log, open in a second window
        let dashboard = b.client.window().await.expect("the dashboard's window");
        let logs = b.client.new_window(false).await.expect("a second window").handle;
        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        b.open("/logs").await;
        assert_eq!(b.js("return document.querySelectorAll('tr[id^=\"log-\"]').length;").await, json!(0));
        b.mark_document().await;

        // run it now (a restart: confirmed first)
        b.client.switch_to_window(dashboard.clone()).await.expect("switch to the dashboard");
        b.click(&format!("#sch-{id}-run")).await;
        b.confirm(&c.name).await;
        b.toast(&format!("Restart {}: success", c.name)).await;

        b.client.switch_to_window(logs.clone()).await.expect("switch to the log window");
        let entry = b
            .wait_with(
                "the run-now entry to appear in the log",
                "const row = Array.from(document.querySelectorAll('#log-live tr[id^=\"log-\"]'))
                     .find(r => (r.querySelector('[data-label=Container] a') || r.querySelector('[data-label=Container]')).textContent.trim() === arguments[0]);
                 return row && {action: row.querySelector('[data-label=Action]').textContent.trim(),
                               trigger: row.querySelector('[data-label=Trigger]').textContent.trim(),
                               result: row.querySelector('[data-label=Result] .badge').textContent.trim()};",
                vec![json!(c.name)],
            )
            .await;
        assert_eq!(entry["action"], "Restart", "{entry}");
        assert_eq!(entry["trigger"], format!("Run now, schedule #{id}"), "{entry}");
        assert_eq!(entry["result"], "Success", "{entry}");
        b.assert_not_reloaded().await;
        let (_, log) = app.get(&format!("/api/logs?schedule_id={id}"));
        assert_eq!(log["items"][0]["trigger"], "run_now", "{log}");

        // delete it, confirmed
        b.client.switch_to_window(dashboard).await.expect("switch to the dashboard");
        b.click(&format!("#sch-{id}-delete")).await;
        b.confirm("Delete this schedule").await;
        b.wait_with(
            "the schedule to leave the page",
            "return !document.getElementById(arguments[0]);",
            vec![json!(row)],
        )
        .await;
        b.assert_not_reloaded().await;
        assert_eq!(app.get(&format!("/api/schedules/{id}")).0, 404);
        let (_, schedules) = app.get("/api/schedules");
        assert_eq!(schedules, json!([]));
        b.quit().await;
    });
}

#[test]
fn a_manual_restart_asks_first_shows_its_result_and_restarts_the_container() {
    browser_test(|| async {
        let c = TestContainer::run("br-restart", &[]);
        let started = c.started_at();
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "the container running on the dashboard",
            BADGE_SAYS,
            vec![json!(c.id), json!("Running")],
        )
        .await;

        // cancelling changes nothing
        b.click(&format!("#act-{}-restart", c.id)).await;
        b.wait("the confirmation dialog", "return document.getElementById('confirm-dialog').open;").await;
        b.click("#confirm-dialog button[value=cancel]").await;
        b.wait("the dialog to close", "return !document.getElementById('confirm-dialog').open;").await;
        assert_eq!(c.started_at(), started, "a cancelled restart must not restart");

        b.click(&format!("#act-{}-restart", c.id)).await;
        let question = b.confirm(&c.name).await;
        assert!(question.starts_with("Restart"), "{question}");
        let message = b.toast(&format!("Restart {}: success", c.name)).await;
        assert!(message.contains("success"), "{message}");
        wait_for("a new StartedAt", WAIT, || (c.started_at() != started).then_some(()));
        assert_eq!(c.state(), "running");
        let (_, log) = app.get(&format!("/api/logs?container={}", c.name));
        assert_eq!(log["items"][0]["action"], "restart", "{log}");
        assert_eq!(log["items"][0]["trigger"], "manual", "{log}");
        assert_eq!(log["items"][0]["status"], "success", "{log}");
        b.wait_with("the badge to say Running", BADGE_SAYS, vec![json!(c.id), json!("Running")]).await;
        b.quit().await;
    });
}

#[test]
fn a_state_change_made_with_the_docker_cli_shows_without_a_reload() {
    browser_test(|| async {
        let c = TestContainer::run("br-live", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        let badge = b.wait_with("the container's badge", BADGE, vec![json!(c.id)]).await;
        assert_eq!(badge, "Running");
        b.mark_document().await;

        c.docker("pause");
        b.wait_with("the badge to say Paused", BADGE_SAYS, vec![json!(c.id), json!("Paused")]).await;
        b.wait_with(
            "the row's buttons to offer Unpause",
            "return !!document.getElementById('act-' + arguments[0] + '-unpause');",
            vec![json!(c.id)],
        )
        .await;
        c.docker("unpause");
        b.wait_with("the badge to say Running again", BADGE_SAYS, vec![json!(c.id), json!("Running")]).await;
        c.docker("stop");
        b.wait_with("the badge to say Exited", BADGE_SAYS, vec![json!(c.id), json!("Exited")]).await;
        b.assert_not_reloaded().await;
        b.quit().await;
    });
}

#[test]
fn markup_in_a_compose_label_is_shown_as_text() {
    browser_test(|| async {
        let payload = "<img src=x onerror=alert(1)>";
        let label = format!("com.docker.compose.project={payload}");
        let c = TestContainer::run("xss", &["--label", &label]);
        let app = App::start();
        // a schedule and a log entry for it too, so its name and project show in more places
        let id = create_schedule(&app, json!({"container": c.name, "action": "start", "cron": "0 3 * * *"}));
        assert_eq!(app.post(&format!("/api/schedules/{id}/run"), json!({})).0, 200);
        let b = Browser::start(&app).await;

        let check = |place: &'static str| {
            let b = &b;
            async move {
                // an alert would be left open (unhandledPromptBehavior: ignore)
                match b.client.get_alert_text().await {
                    Err(e) if e.is_no_such_alert() => {}
                    other => panic!("an alert is open on {place}: {other:?}"),
                }
                let found = b
                    .js_with(
                        "return {
                            text: document.body.innerText.includes(arguments[0]),
                            imgs: Array.from(document.images).filter(i => i.getAttribute('src') === 'x').length,
                            onerror: document.querySelectorAll('[onerror]').length,
                            flagged: window.__xss === true,
                         };",
                        vec![json!(payload)],
                    )
                    .await;
                assert_eq!(
                    found,
                    json!({"text": true, "imgs": 0, "onerror": 0, "flagged": false}),
                    "on {place}: the label must show as text and never become markup"
                );
            }
        };

        b.open("/").await;
        b.wait_with("the container on the dashboard", BADGE, vec![json!(c.id)]).await;
        let title = b
            .js_with(
                "return document.getElementById('c-' + arguments[0]).closest('[data-group]')
                     .querySelector('.group-title').textContent;",
                vec![json!(c.id)],
            )
            .await;
        assert!(title.as_str().unwrap().contains(payload), "the group title: {title}");
        // from now on an alert sets a flag instead of opening
        b.js("window.alert = () => { window.__xss = true; };").await;
        check("the dashboard").await;

        // a live refresh puts server HTML into the page through DOMParser: still text
        c.docker("pause");
        b.wait_with("the badge to say Paused", BADGE_SAYS, vec![json!(c.id), json!("Paused")]).await;
        check("the dashboard after a live refresh").await;

        b.click("#new-schedule").await;
        b.wait("the schedule dialog", "return document.getElementById('schedule-dialog').open;").await;
        check("the dashboard with the form open").await;
        b.quit().await;
    });
}

#[test]
fn screenshots_at_phone_and_desktop_sizes_in_light_and_dark() {
    browser_test(|| async {
        let web = TestContainer::run(
            "shot-web",
            &["--label", "com.docker.compose.project=shots", "--label", "com.docker.compose.service=web"],
        );
        let db = TestContainer::run(
            "shot-db",
            &["--label", "com.docker.compose.project=shots", "--label", "com.docker.compose.service=db"],
        );
        let solo = TestContainer::run("shot-solo", &[]);
        db.docker("pause");
        let app = App::start();
        create_schedule(
            &app,
            json!({"container": web.name, "action": "restart", "cron": "0 3 * * *", "description": "nightly"}),
        );
        let weekly = create_schedule(
            &app,
            json!({"container": solo.name, "action": "stop", "cron": "30 4 * * 1", "enabled": false}),
        );
        assert_eq!(app.post(&format!("/api/schedules/{weekly}/run"), json!({})).0, 200);
        assert_eq!(app.post(&format!("/api/containers/{}/start", solo.name), json!({})).0, 200);
        assert_eq!(app.post(&format!("/api/containers/{}/restart", web.name), json!({})).0, 200);

        let dir = artifacts("screenshots");
        let b = Browser::start(&app).await;
        let mut written = vec![];
        for theme in ["light", "dark"] {
            b.open("/").await;
            // the page's own toggle: auto → light → dark → auto, remembered in localStorage
            for _ in 0..3 {
                if b.js("return document.documentElement.getAttribute('data-theme');").await == theme {
                    break;
                }
                b.click("#theme-toggle").await;
            }
            let stored = b.js("return localStorage.getItem('chrontainer-theme');").await;
            assert_eq!(stored, theme, "the theme toggle should store the choice");
            for (width, height) in [(360, 844), (1440, 900)] {
                b.resize(width, height).await;
                let name = |page: &str| dir.join(format!("{page}-{width}x{height}-{theme}.png"));

                b.open("/").await;
                b.wait_with("the containers", BADGE, vec![json!(web.id)]).await;
                assert_eq!(b.js("return document.documentElement.getAttribute('data-theme');").await, theme);
                b.screenshot(&name("dashboard")).await;

                b.click("#new-schedule").await;
                b.type_into("#sf-container", &web.name).await;
                b.click("[data-preset='0 3 * * 1']").await;
                b.wait(
                    "the form's preview",
                    "return document.querySelectorAll('#sf-preview ol li').length === 5
                        && document.getElementById('sf-cron').value === '0 3 * * 1';",
                )
                .await;
                // blur the field so the datalist's popup does not cover the form
                b.js("document.activeElement.blur();").await;
                b.screenshot(&name("schedule-form")).await;

                b.open("/logs").await;
                b.wait("the log rows", "return document.querySelectorAll('tr[id^=\"log-\"]').length >= 3;")
                    .await;
                b.screenshot(&name("logs")).await;

                // a page without live updates: `open` would wait for them
                b.client.goto(&format!("{}/stats", b.base)).await.expect("open /stats");
                b.wait(
                    "the chart's bars",
                    "return document.querySelectorAll('svg.chart-svg rect.bar-success').length >= 1;",
                )
                .await;
                let overflow = b
                    .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                    .await;
                assert_eq!(overflow, 0, "/stats scrolls sideways at {width} px");
                b.screenshot(&name("stats")).await;
                written.extend(["dashboard", "schedule-form", "logs", "stats"].map(name));
            }
        }
        b.quit().await;
        for file in &written {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            assert!(size > 5_000, "{} looks empty ({size} bytes)", file.display());
        }
        assert_eq!(written.len(), 16);
    });
}

/// Dashboard → activity log → dashboard … as a user clicks between them: every load is prompt.
/// A page left behind in Chromium's back/forward cache must not keep its EventSource
/// (`/api/events`) open: once six of them held all six connections Chromium allows per host, the
/// next page load waited about a minute. app.js closes the stream on `pagehide`.
#[test]
fn switching_pages_again_and_again_never_stalls() {
    browser_test(|| async {
        let app = App::start();
        let b = Browser::start_with(&app, true).await;
        for round in 0..5 {
            for page in ["/", "/logs"] {
                let started = Instant::now();
                b.open(page).await; // fails after WAIT when the load stalls
                let took = started.elapsed();
                assert!(took < Duration::from_secs(10), "round {round}: loading {page} took {took:?}");
            }
        }
        b.quit().await;
    });
}

/// A newcomer's first sign-in: the login page says where the generated password is, the password
/// from there signs in, and once someone has signed in the page no longer says so (nor after a restart).
#[test]
fn the_login_page_says_where_the_first_password_is_until_someone_signs_in() {
    browser_test(|| async {
        let app = App::start_with(&[("CHRONTAINER_AUTH", "password")]);
        let file = app.data_dir.path().join("initial-admin-password");
        let password = std::fs::read_to_string(&file).expect("the generated password's file");
        let b = Browser::start(&app).await;
        let hint_text = "const h = document.getElementById('first-sign-in'); return h ? h.innerText : '';";

        b.client.goto(&format!("{}/login", app.base_url)).await.expect("open /login");
        let hint = b.wait("the first sign-in hint", hint_text).await;
        let hint = hint.as_str().unwrap_or_default();
        for words in [
            file.display().to_string().as_str(),
            "./data/initial-admin-password",
            "docker compose logs chrontainer",
            "admin",
        ] {
            assert!(hint.contains(words), "the hint should name {words:?}: {hint}");
        }
        assert!(!hint.contains(password.trim()), "the page shows the password itself: {hint}");
        b.screenshot(&artifacts("screenshots").join("login-first-sign-in.png")).await;

        b.type_into("#login-username", "admin").await;
        b.type_into("#login-password", password.trim()).await;
        b.click("form[action='/login'] button[type=submit]").await;
        b.wait(
            "the dashboard after signing in",
            "return location.pathname === '/' && !!document.querySelector('form.signout');",
        )
        .await;
        b.click("form.signout button").await;
        b.wait(
            "the login page after signing out",
            "return location.pathname === '/login' && !!document.getElementById('login-username');",
        )
        .await;
        assert_eq!(b.js(hint_text).await, json!(""), "the hint is still there after a sign-in");

        // the database remembers: a restart does not bring the hint back
        let dir = app.data_dir.clone();
        assert_eq!(app.terminate(), Some(0));
        let again = App::start_in(dir, &[("CHRONTAINER_AUTH", "password")]);
        b.client.goto(&format!("{}/login", again.base_url)).await.expect("open /login");
        b.wait("the login form", "return !!document.getElementById('login-username');").await;
        assert_eq!(b.js(hint_text).await, json!(""), "the hint came back after a restart");
        b.quit().await;
    });
}

#[test]
fn a_stack_restart_from_its_header_is_one_run_whose_steps_the_log_shows() {
    browser_test(|| async {
        let project = common::unique_name("br-stack");
        let labels = |service: &str, depends_on: &str| {
            [
                format!("com.docker.compose.project={project}"),
                format!("com.docker.compose.service={service}"),
                format!("com.docker.compose.depends_on={depends_on}"),
            ]
        };
        let run = |service: &str, depends_on: &str| {
            let l = labels(service, depends_on);
            TestContainer::run(service, &["--label", &l[0], "--label", &l[1], "--label", &l[2]])
        };
        let db = run("db", "");
        let api = run("api", "db:service_started:false");
        let web = run("web", "api:service_started:false");
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        let button = format!("[data-stack=\"{project}\"] button[data-stack-act=restart]");
        b.click(&button).await;
        let question = b.confirm(&project).await;
        assert!(question.starts_with("Restart the stack"), "{question}");
        b.toast(&format!("Restart {project} in dependency order: 6 steps done in order")).await;
        let (_, log) = app.get(&format!("/api/logs?container={}", web.name));
        let run_id = log["items"][0]["run_id"].as_str().expect("a run_id").to_string();
        // the dashboard shows the run as one item, live, that expands into its three steps
        let run_steps = |summary: &str| {
            format!(
                "const d = document.querySelectorAll('#recent-list details[data-run-id=\"' + arguments[0] + '\"]');
                 if (d.length !== 1) return null;
                 if (!d[0].open) {{ {summary} }}
                 const steps = [...d[0].querySelectorAll('.run-step')].filter(s => s.offsetParent !== null);
                 // a live refresh during the run shows its steps so far: wait for the end
                 const done = steps.length === 3 && steps.every(s => s.textContent.includes('start'));
                 return d[0].open && done && {{
                   items: document.querySelectorAll('#recent-list .recent-item').length,
                   summary: d[0].querySelector('summary').textContent.replace(/\\s+/g, ' ').trim(),
                   steps: steps.map(s => [s.querySelector('strong').textContent, s.querySelector('.run-actions').textContent])}};"
            )
        };
        let expected = |seen: &Value| {
            let n = |c: &TestContainer| c.name.clone();
            let steps: Vec<(String, String)> =
                [&web, &api, &db].iter().map(|c| (n(c), "stop → start".to_string())).collect();
            assert_eq!(seen["steps"], json!(steps), "{seen}");
            assert_eq!(seen["items"], json!(1), "one item for the run's six entries: {seen}");
            let summary = seen["summary"].as_str().unwrap();
            assert!(summary.starts_with("Success Run of 3 steps:"), "{summary}");
        };
        b.wait_with(
            "the run on the dashboard, live",
            "return document.querySelectorAll('#recent-list details[data-run-id=\"' + arguments[0] + '\"]').length === 1;",
            vec![json!(run_id)],
        )
        .await;
        let click = "d[0].querySelector('summary').click(); return null;";
        expected(&b.wait_with("the run's three steps", &run_steps(click), vec![json!(run_id)]).await);
        // and so it is rendered on a fresh load
        b.open("/").await;
        expected(&b.wait_with("the run's three steps again", &run_steps(click), vec![json!(run_id)]).await);
        // the log page shows the run as its steps, each linking to the whole run
        b.open(&format!("/logs?run_id={run_id}")).await;
        let rows = b
            .wait("the run's steps", "const r = document.querySelectorAll('table.log tbody tr'); return r.length == 6 ? r.length : null;")
            .await;
        assert_eq!(rows, json!(6));
        let names = b
            .wait("the steps' containers", "return [...document.querySelectorAll('table.log tbody tr td[data-label=Container]')].map(t => (t.querySelector('a') || t).textContent.trim());")
            .await;
        let n = |c: &TestContainer| json!(c.name);
        assert_eq!(names, json!([n(&web), n(&api), n(&db), n(&db), n(&api), n(&web)]), "newest first");
        b.quit().await;
    });
}

#[test]
fn a_chain_is_built_step_by_step_in_the_form_and_edited_down_to_one_step() {
    browser_test(|| async {
        let web = TestContainer::run("br-chain-web", &[]);
        let db = TestContainer::run("br-chain-db", &[]);
        let app = App::start();
        let b = Browser::start(&app).await;
        b.open("/").await;
        b.wait_with(
            "both containers among the form's suggestions",
            "const names = Array.from(document.querySelectorAll('#container-names option'), o => o.value);
             return names.includes(arguments[0]) && names.includes(arguments[1]);",
            vec![json!(web.name), json!(db.name)],
        )
        .await;
        let row = |n: usize, part: &str| format!("#sf-steps li:nth-child({n}) {part}");
        let choose = |css: String, value: &'static str| {
            let b = &b;
            async move {
                b.js_with(
                    "const s = document.querySelector(arguments[0]); s.value = arguments[1];
                     s.dispatchEvent(new Event('change', {bubbles: true}));",
                    vec![json!(css), json!(value)],
                )
                .await;
            }
        };
        let sentence = "return document.getElementById('sf-chain-sentence').textContent;";

        // two rows: start db (waits until running, 30 s), then a name that does not exist
        b.click("#new-schedule").await;
        b.click("#sf-mode-steps").await;
        b.click("#sf-add-step").await;
        b.click("#sf-add-step").await;
        b.type_into(&row(1, ".step-name"), &db.name).await;
        choose(row(1, ".step-action"), "start").await;
        choose(row(1, ".step-wait"), "running").await;
        b.type_into(&row(1, ".step-timeout"), "30").await;
        // a name is shown as text in the live sentence, never as markup
        let markup = "<img src=x onerror=alert(1)>";
        b.type_into(&row(2, ".step-name"), markup).await;
        let seen = b
            .js("const p = document.getElementById('sf-chain-sentence');
                 return {img: !!p.querySelector('img'), text: p.textContent};")
            .await;
        assert_eq!(seen["img"], json!(false), "{seen}");
        assert!(seen["text"].as_str().unwrap().ends_with(&format!(", then restart {markup}")), "{seen}");
        let missing = common::unique_name("no-such");
        b.type_into(&row(2, ".step-name"), &missing).await;
        choose(row(2, ".step-action"), "stop").await;
        b.click("#sf-submit").await;
        let error = b
            .wait(
                "the steps' error",
                "const e = document.getElementById('sf-steps-error'); return !e.hidden && e.textContent;",
            )
            .await;
        assert!(error.as_str().unwrap().contains(&missing), "the error names the missing container: {error}");

        // named right and moved up: stop web, then start db
        b.type_into(&row(2, ".step-name"), &web.name).await;
        b.click(&row(2, "[data-step=up]")).await;
        let chain = format!("stop {}, then start {}, wait until running (at most 30 s)", web.name, db.name);
        assert_eq!(b.js(sentence).await, json!(format!("Chain: {chain}")));
        b.click("#sf-submit").await;
        b.toast("Created: chain of 2 steps").await;
        let (_, schedules) = app.get("/api/schedules");
        let ours = schedules
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["steps"][0]["container"] == web.name.as_str())
            .unwrap_or_else(|| panic!("the chain among {schedules}"));
        let id = ours["id"].as_i64().unwrap();
        let step = |s: &Value| {
            (s["container"].clone(), s["action"].clone(), s["wait"].clone(), s["timeout_s"].clone())
        };
        let steps: Vec<_> = ours["steps"].as_array().unwrap().iter().map(step).collect();
        assert_eq!(steps[0], (json!(web.name), json!("stop"), json!("none"), json!(60)));
        assert_eq!(steps[1], (json!(db.name), json!("start"), json!("running"), json!(30)));
        assert_eq!(steps.len(), 2, "{ours}");
        let shown = "const r = document.getElementById('s-' + arguments[0]);
                     return r && r.querySelector('.sch-sentence').textContent.includes(arguments[1]);";
        b.wait_with("the chain's sentence on the dashboard", shown, vec![json!(id), json!(chain)]).await;

        // edit: the form opens in steps mode with both steps; remove the first, save
        b.click(&format!("#sch-{id}-edit")).await;
        let names = "const n = Array.from(document.querySelectorAll('#sf-steps .step-name'), i => i.value);
                     return n.length === 2 && n;";
        assert_eq!(b.wait("the chain's steps in the form", names).await, json!([web.name, db.name]));
        assert_eq!(b.js(sentence).await, json!(format!("Chain: {chain}")));
        b.click(&row(1, "[data-step=remove]")).await;
        b.click("#sf-submit").await;
        b.toast("Saved: chain of 1 step").await;
        let (_, edited) = app.get(&format!("/api/schedules/{id}"));
        let steps: Vec<_> = edited["steps"].as_array().unwrap().iter().map(step).collect();
        assert_eq!(steps, vec![(json!(db.name), json!("start"), json!("running"), json!(30))], "{edited}");
        let one = format!("Chain: start {}, wait until running (at most 30 s)", db.name);
        b.wait_with("the one step's sentence on the dashboard", shown, vec![json!(id), json!(one)]).await;
        b.quit().await;
    });
}

#[test]
fn a_backup_restored_from_the_settings_page_is_previewed_then_imported_in_the_previewed_mode() {
    browser_test(|| async {
        let kept = TestContainer::run("br-restore-kept", &[]);
        let restored = TestContainer::run("br-restore-file", &[]);
        let app = App::start();
        // the file: one schedule on the second container, exported from this same instance
        let id = create_schedule(
            &app,
            json!({"container": restored.name, "action": "restart", "cron": "0 4 * * *"}),
        );
        let (_, backup) = app.get("/api/export");
        let (status, _) = app.delete(&format!("/api/schedules/{id}"));
        assert_eq!(status, 204);
        // one schedule the file does not have: a merge keeps it, a replace would remove it
        create_schedule(&app, json!({"container": kept.name, "action": "stop", "cron": "0 5 * * *"}));
        let b = Browser::start(&app).await;
        b.goto("/settings").await;
        b.js_with(
            "const dt = new DataTransfer();
             dt.items.add(new File([arguments[0]], 'backup.json', {type: 'application/json'}));
             document.querySelector('#restore-file').files = dt.files; return null;",
            vec![json!(backup.to_string())],
        )
        .await;
        b.click("#restore-check").await;
        let summary = b
            .wait("the dry run's diff", "const d = document.querySelector('#restore-diff'); return !d.hidden && document.querySelector('#restore-summary').textContent;")
            .await;
        let summary = summary.as_str().unwrap();
        assert!(summary.starts_with("1 to create,"), "{summary}");
        assert!(summary.contains("0 to remove"), "a merge removes nothing: {summary}");
        let names = |app: &App| -> Vec<String> {
            let (_, list) = app.get("/api/schedules");
            list.as_array().unwrap().iter().map(|s| s["container"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(names(&app), vec![kept.name.clone()], "the dry run wrote nothing");
        // ticking "Also remove…" after the preview must not turn the confirmed merge into a replace
        b.click("#restore-replace").await;
        b.click("#restore-confirm").await;
        b.toast("Restored: 1 created, 0 updated, 0 removed.").await;
        let mut now = names(&app);
        now.sort();
        let mut both = vec![kept.name.clone(), restored.name.clone()];
        both.sort();
        assert_eq!(now, both, "merged as previewed");
        b.quit().await;
    });
}
