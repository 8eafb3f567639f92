//! One action on one container, as it really happened. bollard turns Docker's 304 Not Modified
//! into success, so whether there is anything to do is decided from a fresh inspect first.

use std::time::Duration;

use bollard::query_parameters::{RestartContainerOptionsBuilder, StopContainerOptionsBuilder};
use bollard::Docker;

use super::cache::Clock;
use super::connect::{classify, inspect, Failure};
use super::entry::Entry;
use crate::domain::{Action, Guard, RunFailure, RunStatus};

/// Why `action` has nothing to do in `state`, where Docker would answer 304 or refuse it for the
/// state alone (pause of a container that is paused or not running, unpause of one that is not
/// paused, start of a paused one): the caller's mistake is not the Engine's failure, so it is
/// `skipped`, never a 502. Everything else goes to Docker, whose refusals are real failures.
pub fn skip_reason(action: Action, state: &str) -> Option<String> {
    let reason = match (action, state) {
        (Action::Start, "running") => "already running",
        (Action::Start, "restarting") => "already restarting",
        (Action::Start, "paused") => "paused: unpause it instead",
        (Action::Stop, "exited" | "dead") => "already stopped",
        (Action::Stop, "created") => "not started yet",
        (Action::Pause, "paused") => "already paused",
        (Action::Pause, "exited" | "created" | "dead") => "not running",
        (Action::Unpause, "paused") => return None,
        (Action::Unpause, state) => return Some(format!("not paused: it is {state}")),
        _ => return None,
    };
    Some(reason.to_string())
}

fn past_tense(action: Action) -> &'static str {
    match action {
        Action::Start => "started",
        Action::Stop => "stopped",
        Action::Restart => "restarted",
        Action::Pause => "paused",
        Action::Unpause => "unpaused",
    }
}

/// Docker's stop timeout parameter, in whole seconds.
fn seconds(timeout: Duration) -> i32 {
    i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX)
}

async fn perform(
    client: &Docker,
    id: &str,
    action: Action,
    stop_timeout: Duration,
) -> Result<(), bollard::errors::Error> {
    match action {
        Action::Start => client.start_container(id, None).await,
        Action::Stop => {
            client
                .stop_container(id, Some(StopContainerOptionsBuilder::new().t(seconds(stop_timeout)).build()))
                .await
        }
        Action::Restart => {
            let options = RestartContainerOptionsBuilder::new().t(seconds(stop_timeout)).build();
            client.restart_container(id, Some(options)).await
        }
        Action::Pause => client.pause_container(id).await,
        Action::Unpause => client.unpause_container(id).await,
    }
}

/// What the cache learnt along the way.
#[derive(Debug)]
pub enum Observation {
    Seen(Box<Entry>, u64),
    Gone(String, u64),
}

#[derive(Debug)]
pub struct Outcome {
    pub status: RunStatus,
    pub failure: Option<RunFailure>,
    pub message: String,
    pub observations: Vec<Observation>,
    /// Set when the Engine stopped answering, so the actor reconnects.
    pub lost: Option<String>,
}

impl Outcome {
    fn new(status: RunStatus, failure: Option<RunFailure>, message: impl Into<String>) -> Self {
        Outcome { status, failure, message: message.into(), observations: Vec::new(), lost: None }
    }

    fn failed(e: &bollard::errors::Error, name: &str) -> Self {
        match classify(e) {
            Failure::Unreachable(cause) => {
                let mut o = Outcome::new(RunStatus::Error, Some(RunFailure::Unreachable), cause.clone());
                o.lost = Some(cause);
                o
            }
            Failure::Refused { status: 404, .. } => Outcome::new(
                RunStatus::Error,
                Some(RunFailure::NotFound),
                super::resolve::missing_message(name),
            ),
            Failure::Refused { message, .. } | Failure::Other(message) => {
                Outcome::new(RunStatus::Error, Some(RunFailure::Docker), message)
            }
        }
    }

    fn observe(&mut self, id: &str, found: Option<Entry>, seen_at: u64) {
        self.observations.push(match found {
            Some(e) => Observation::Seen(Box::new(e), seen_at),
            None => Observation::Gone(id.to_string(), seen_at),
        });
    }
}

/// The container an action is for: its ID, its name, and the inspect taken for it a moment ago
/// (`prepared.rs`), if one is still good.
pub struct Target {
    pub id: String,
    pub name: String,
    pub prepared: Option<Entry>,
}

/// Inspect (unless prepared), judge the guard (`by_hand`: its last stop or pause was not
/// Chrontainer's), decide, act, inspect again. `client` must allow for the stop timeout.
pub async fn run(
    client: Docker,
    clock: Clock,
    Target { id, name, prepared }: Target,
    action: Action,
    (guard, by_hand): (Guard, bool),
    stop_timeout: Duration,
) -> Outcome {
    let seen_at = clock.tick();
    let inspected = match prepared {
        Some(entry) => Ok(Some(entry)),
        None => inspect(&client, &id).await,
    };
    let before = match inspected {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            let mut o = Outcome::new(
                RunStatus::Error,
                Some(RunFailure::NotFound),
                super::resolve::missing_message(&name),
            );
            o.observe(&id, None, seen_at);
            return o;
        }
        Err(e) => return Outcome::failed(&e, &name),
    };
    let refusal = guard.refusal(action, &before.state, before.health.as_deref(), by_hand);
    let skip = match refusal {
        Some(reason) => Some((Some(RunFailure::Guard), reason)),
        None => skip_reason(action, &before.state).map(|reason| (None, reason)),
    };
    if let Some((failure, reason)) = skip {
        let mut o = Outcome::new(RunStatus::Skipped, failure, reason);
        o.observe(&id, Some(before), seen_at);
        return o;
    }
    let mut outcome = match perform(&client, &id, action, stop_timeout).await {
        Ok(()) => Outcome::new(RunStatus::Success, None, past_tense(action)),
        Err(e) => Outcome::failed(&e, &name),
    };
    if outcome.lost.is_some() {
        return outcome;
    }
    let seen_at = clock.tick();
    match inspect(&client, &id).await {
        Ok(after) => {
            if let (RunStatus::Success, Some(after)) = (outcome.status, &after) {
                outcome.message = format!("{}; now {}", outcome.message, after.state);
            }
            outcome.observe(&id, after, seen_at);
        }
        // the action itself went through; the events stream will bring the new state
        Err(e) => log::warn!("inspecting {name} after {action} failed: {e}"),
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_docker_would_answer_304_to_is_skipped() {
        let reason = |action, state| skip_reason(action, state).unwrap_or_default();
        assert_eq!(reason(Action::Start, "running"), "already running");
        assert_eq!(reason(Action::Stop, "exited"), "already stopped");
        assert_eq!(reason(Action::Stop, "created"), "not started yet");
        assert_eq!(reason(Action::Pause, "paused"), "already paused");
    }

    #[test]
    fn unpause_of_a_container_that_is_not_paused_is_skipped_naming_its_state() {
        let reason = |state| skip_reason(Action::Unpause, state).unwrap_or_default();
        assert_eq!(reason("running"), "not paused: it is running");
        assert_eq!(reason("exited"), "not paused: it is exited");
        assert_eq!(reason("created"), "not paused: it is created");
        assert_eq!(skip_reason(Action::Unpause, "paused"), None);
    }

    /// What Docker refuses for the state alone (the fuzzer found these as 502s; issue 22).
    #[test]
    fn what_docker_refuses_for_the_state_alone_is_skipped_with_the_reason() {
        let reason = |action, state| skip_reason(action, state).unwrap_or_default();
        assert_eq!(reason(Action::Start, "paused"), "paused: unpause it instead");
        for state in ["exited", "created", "dead"] {
            assert_eq!(reason(Action::Pause, state), "not running", "pause on {state}");
        }
        for state in ["running", "exited", "created", "restarting", "dead"] {
            assert_eq!(
                reason(Action::Unpause, state),
                format!("not paused: it is {state}"),
                "unpause on {state}"
            );
        }
    }

    #[test]
    fn everything_else_goes_to_docker() {
        for (action, state) in [
            (Action::Start, "exited"),
            (Action::Start, "created"),
            (Action::Stop, "running"),
            (Action::Stop, "paused"),
            (Action::Restart, "running"),
            (Action::Restart, "exited"),
            (Action::Restart, "paused"),
            (Action::Restart, "created"),
            (Action::Pause, "running"),
            (Action::Unpause, "paused"),
        ] {
            assert_eq!(skip_reason(action, state), None, "{action} on {state}");
        }
    }

    #[test]
    fn stop_timeouts_fit_dockers_parameter() {
        assert_eq!(seconds(Duration::from_secs(10)), 10);
        assert_eq!(seconds(Duration::from_secs(u64::MAX)), i32::MAX);
    }
}
