//! Docker's human status text ("Up 5 minutes", "Exited (0) 2 hours ago"), rendered from the cached
//! timestamps when a container is shown. Docker's list computes the same text at call time; keeping
//! the text itself in the cache would freeze it at the last event.

use chrono::{DateTime, Utc};

use super::entry::Entry;

/// The status column of `docker ps -a`, as moby's `State.String()` writes it.
pub fn status_text(e: &Entry, now: DateTime<Utc>) -> String {
    let since = |t: Option<DateTime<Utc>>| human_duration(t.map(|t| now - t).unwrap_or_default());
    match e.state.as_str() {
        "paused" => format!("Up {} (Paused)", since(e.started_at)),
        "restarting" => format!("Restarting ({}) {} ago", e.exit_code, since(e.finished_at)),
        "running" => match e.health.as_deref() {
            Some("starting") => format!("Up {} (health: starting)", since(e.started_at)),
            Some(health) => format!("Up {} ({health})", since(e.started_at)),
            None => format!("Up {}", since(e.started_at)),
        },
        "removing" => "Removal In Progress".into(),
        "dead" => "Dead".into(),
        "created" => "Created".into(),
        "exited" if e.finished_at.is_some() => {
            format!("Exited ({}) {} ago", e.exit_code, since(e.finished_at))
        }
        _ => String::new(),
    }
}

/// go-units' `HumanDuration`, which Docker uses for its status text.
pub fn human_duration(d: chrono::Duration) -> String {
    let seconds = d.num_seconds();
    let minutes = d.num_minutes();
    let hours = (d.num_seconds() as f64 / 3600.0).round() as i64;
    if seconds < 1 {
        "Less than a second".into()
    } else if seconds == 1 {
        "1 second".into()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", d.num_hours() / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn entry(state: &str) -> Entry {
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap();
        Entry {
            id: "a".repeat(64),
            name: "web".into(),
            image: "busybox".into(),
            state: state.into(),
            health: None,
            compose_project: None,
            compose_service: None,
            created: t,
            started_at: Some(t),
            finished_at: Some(t),
            exit_code: 137,
            swarm_service: None,
            links: Default::default(),
        }
    }

    #[test]
    fn durations_read_like_dockers() {
        assert_eq!(human_duration(Duration::milliseconds(300)), "Less than a second");
        assert_eq!(human_duration(Duration::seconds(1)), "1 second");
        assert_eq!(human_duration(Duration::seconds(59)), "59 seconds");
        assert_eq!(human_duration(Duration::seconds(90)), "About a minute");
        assert_eq!(human_duration(Duration::minutes(5)), "5 minutes");
        assert_eq!(human_duration(Duration::minutes(70)), "About an hour");
        assert_eq!(human_duration(Duration::hours(47)), "47 hours");
        assert_eq!(human_duration(Duration::days(3)), "3 days");
        assert_eq!(human_duration(Duration::days(20)), "2 weeks");
        assert_eq!(human_duration(Duration::days(100)), "3 months");
        assert_eq!(human_duration(Duration::days(800)), "2 years");
    }

    #[test]
    fn status_follows_the_state_and_the_clock() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 3, 5, 0).unwrap();
        assert_eq!(status_text(&entry("running"), now), "Up 5 minutes");
        let mut healthy = entry("running");
        healthy.health = Some("healthy".into());
        assert_eq!(status_text(&healthy, now), "Up 5 minutes (healthy)");
        healthy.health = Some("starting".into());
        assert_eq!(status_text(&healthy, now), "Up 5 minutes (health: starting)");
        assert_eq!(status_text(&entry("paused"), now), "Up 5 minutes (Paused)");
        assert_eq!(status_text(&entry("exited"), now), "Exited (137) 5 minutes ago");
        assert_eq!(status_text(&entry("created"), now), "Created");
        assert_eq!(status_text(&entry("dead"), now), "Dead");
        assert_eq!(status_text(&entry("restarting"), now), "Restarting (137) 5 minutes ago");
        // the same entry an hour later says so, without asking Docker again
        assert_eq!(status_text(&entry("running"), now + Duration::hours(1)), "Up About an hour");
    }
}
