//! Which of Docker's container events change what the cache shows. Health checks run an exec
//! every interval (`exec_create`, `exec_start`, `exec_die`): re-inspecting on those would turn a
//! quiet host into a busy one, so only the events below count.

use std::collections::HashMap;

/// What to do about one container event.
#[derive(Debug, PartialEq, Eq)]
pub enum Relevance {
    Ignore,
    /// Inspect that container again.
    Refresh,
    /// It is gone.
    Removed,
}

/// The events that can change a container's state, name or health. `health_status` arrives as
/// `health_status: healthy` and the like.
const REFRESH: [&str; 7] = ["create", "start", "die", "pause", "unpause", "rename", "health_status"];

pub fn classify(action: &str) -> Relevance {
    let name = action.split(':').next().unwrap_or("").trim();
    if name == "destroy" {
        Relevance::Removed
    } else if REFRESH.contains(&name) {
        Relevance::Refresh
    } else {
        Relevance::Ignore
    }
}

/// What a container event says about who stopped it (`by_hand.rs`).
#[derive(Debug, PartialEq, Eq)]
pub enum Hand {
    /// Stopped, killed or paused.
    Stopped,
    /// Started or unpaused.
    Started,
    Gone,
}

/// The events that stop or wake a container, which `classify` has no need to refresh on.
const HANDS: [&str; 3] = ["stop", "kill", "pause"];

pub fn hand(action: &str) -> Option<Hand> {
    match action.split(':').next().unwrap_or("").trim() {
        name if HANDS.contains(&name) => Some(Hand::Stopped),
        "start" | "unpause" => Some(Hand::Started),
        "destroy" => Some(Hand::Gone),
        _ => None,
    }
}

/// The filter for `GET /events`, so that Docker does not even send the rest. (Docker matches
/// `health_status` against `health_status: …` itself.) `classify` still decides, in case an
/// Engine ignores part of the filter.
pub fn server_filter() -> HashMap<&'static str, Vec<&'static str>> {
    let mut events: Vec<&str> = REFRESH.to_vec();
    events.extend(["destroy", "stop", "kill"]);
    HashMap::from([("type", vec!["container"]), ("event", events)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_check_execs_are_ignored() {
        for action in [
            "exec_create: true",
            "exec_start: true",
            "exec_die",
            "exec_detach",
            "attach",
            "resize",
            "top",
            "kill",
        ] {
            assert_eq!(classify(action), Relevance::Ignore, "{action}");
        }
    }

    #[test]
    fn state_changes_refresh_and_destroy_removes() {
        for action in [
            "create",
            "start",
            "die",
            "pause",
            "unpause",
            "rename",
            "health_status: healthy",
            "health_status: unhealthy",
        ] {
            assert_eq!(classify(action), Relevance::Refresh, "{action}");
        }
        assert_eq!(classify("destroy"), Relevance::Removed);
    }

    #[test]
    fn the_server_filter_asks_for_container_events_only() {
        let f = server_filter();
        assert_eq!(f["type"], vec!["container"]);
        assert!(f["event"].contains(&"destroy"));
        assert!(!f["event"].iter().any(|e| e.starts_with("exec")));
    }
}
