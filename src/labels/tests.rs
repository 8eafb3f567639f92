use super::*;
use crate::domain::Action;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    parse(pairs.iter().copied())
}

fn problems(l: &Labels) -> Vec<(String, String)> {
    l.errors.iter().map(|e| (e.label.clone(), e.problem.clone())).collect()
}

#[test]
fn an_action_label_is_one_job_with_its_zone_and_guard() {
    let l = labels(&[
        ("chrontainer.restart.schedule", " 0 3 * * * "),
        ("chrontainer.restart.timezone", "europe/berlin"),
        ("chrontainer.restart.only_if", "running"),
        ("com.docker.compose.project", "shop"),
        ("chrontainer-test", "1"),
    ]);
    assert_eq!(problems(&l), []);
    assert_eq!(
        l.jobs,
        [Job {
            id: "restart".into(),
            spec: JobSpec {
                action: Action::Restart,
                cron: "0 3 * * *".into(),
                timezone: Some("Europe/Berlin".into()),
                only_if: Some(OnlyIf::Running),
                window: None,
            },
        }]
    );
}

#[test]
fn named_jobs_and_the_other_keys() {
    let l = labels(&[
        ("chrontainer.job.nightly.action", "stop"),
        ("chrontainer.job.nightly.schedule", "0 23 * * *"),
        ("chrontainer.job.morning.action", "start"),
        ("chrontainer.job.morning.schedule", "@daily"),
        ("chrontainer.window.stopped", "Mon-Fri 23:00-07:00 Europe/Berlin"),
        ("chrontainer.window.paused", "Sat,Sun 01:00:00-01:00:30"),
        ("chrontainer.autoheal", "TRUE"),
        ("chrontainer.notify", "false"),
    ]);
    assert_eq!(problems(&l), []);
    let ids: Vec<_> = l.jobs.iter().map(|j| (j.id.as_str(), j.spec.action)).collect();
    assert_eq!(
        ids,
        [
            ("job.morning", Action::Start),
            ("job.nightly", Action::Stop),
            ("window.paused", Action::Pause),
            ("window.stopped", Action::Stop),
        ]
    );
    let stopped = &l.jobs[3].spec;
    assert_eq!(stopped.timezone.as_deref(), Some("Europe/Berlin"));
    let window = stopped.window.as_ref().unwrap();
    assert_eq!(
        (window.from.as_str(), window.to.as_str(), window.days.as_deref()),
        ("23:00", "07:00", Some("Mon-Fri"))
    );
    assert_eq!(stopped.cron, window.to_window().unwrap().opening_cron());
    assert_eq!((l.autoheal, l.notify), (Some(true), Some(false)));
    assert_eq!(l.windows.len(), 2);
    assert_eq!(l.windows[1].state, WindowState::Stopped);
    assert_eq!(l.windows[1].timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!((l.windows[0].from.as_str(), l.windows[0].to.as_str()), ("01:00:00", "01:00:30"));
}

#[test]
fn each_bad_label_is_one_error_and_its_job_is_not_scheduled() {
    let l = labels(&[
        ("chrontainer.restart.schedule", "61 * * * *"),
        ("chrontainer.explode.schedule", "0 3 * * *"),
        ("chrontainer.stop.schedule", "0 3 * * *"),
        ("chrontainer.stop.timezone", "Mars/Olympus"),
        ("chrontainer.start.colour", "blue"),
        ("chrontainer.job.x.schedule", "0 1 * * *"),
        ("chrontainer.window.stopped", "someday 23:00-07:00"),
        ("chrontainer.autoheal", "yes please"),
        ("chrontainer.bogus", "1"),
    ]);
    let found = problems(&l);
    let labels: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        labels,
        [
            "chrontainer.autoheal",
            "chrontainer.bogus",
            "chrontainer.explode.schedule",
            "chrontainer.restart.schedule",
            "chrontainer.start.colour",
            "chrontainer.stop.timezone",
            "chrontainer.window.stopped",
            "chrontainer.job.x.schedule",
        ],
        "{found:?}"
    );
    assert!(found[2].1.contains("is not an action"), "{found:?}");
    assert!(found[3].1.contains("minute"), "the cron error names the field: {found:?}");
    assert!(found[7].1.contains("no chrontainer.job.x.action"), "{found:?}");
    assert!(l.jobs.is_empty(), "no half jobs: {:?}", l.jobs);
    assert_eq!(l.refused, ["window.stopped", "job.x", "restart", "stop"]);
}

#[test]
fn hostile_text_is_refused_and_never_quoted_whole() {
    let script = "<script>alert(1)</script>".repeat(400);
    let l = labels(&[
        ("chrontainer.restart.schedule", script.as_str()),
        ("chrontainer.stop.schedule", "0 3 * * *\u{0}rm -rf"),
        ("chrontainer.start.schedule", "0 3 * * *\n"),
    ]);
    let found = problems(&l);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().any(|(_, p)| p.contains("10000 bytes long, at most 256")), "{found:?}");
    assert_eq!(found.iter().filter(|(_, p)| p.contains("control character")).count(), 2);
    for (label, problem) in &found {
        assert!(!problem.contains("<script>") && !problem.contains('\0'), "{problem}");
        assert!(label.len() < 60);
    }
    let long_key = format!("chrontainer.job.{}.schedule", "a".repeat(200));
    let l = labels(&[(long_key.as_str(), "0 3 * * *")]);
    assert!(l.errors[0].problem.contains("at most 128"), "{:?}", l.errors);
    assert!(l.errors[0].label.chars().count() <= 41);
    assert_eq!(quote("a\u{0}b<"), "a?b<", "control characters are shown as ?");
}

#[test]
fn too_many_labels_are_cut_with_one_error() {
    let keys: Vec<String> = (0..40).map(|i| format!("chrontainer.job.j{i:02}.schedule")).collect();
    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "0 3 * * *")).collect();
    let l = parse(pairs);
    assert!(l.errors[0].problem.contains("more than 32 chrontainer.* labels"), "{:?}", l.errors[0]);
    // the 32 read are jobs without an action: one error each, none scheduled
    assert_eq!(l.errors.len(), 1 + MAX_LABELS);
}

#[test]
fn windows_are_checked_whole() {
    for bad in [
        "Mon-Fri",
        "Mon-Fri 23:00",
        "Mon-Fri 24:00-07:00",
        "Mon-Fri 7:00-08:00",
        "* 01:00-01:00",
        "Mon-Fri 23:00-07:00 Nowhere",
    ] {
        let l = labels(&[("chrontainer.window.stopped", bad)]);
        assert_eq!(l.errors.len(), 1, "{bad}: {:?}", l.windows);
    }
    let l = labels(&[("chrontainer.window.frozen", "* 01:00-02:00")]);
    assert!(l.errors[0].problem.contains("stopped or .paused"));
}
