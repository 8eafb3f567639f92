//! Restore after a run of steps (a stack action, a chain, a restart with dependents): start again
//! what the run stopped and did not start again, read from the run's own log entries. The starts
//! are a run of their own (a new `run_id`), through `chain::run` like every other run, in the
//! reverse order of the stops, so a stack stopped in reverse dependency order comes back in order.

use std::time::Duration;

use super::chain::{self, Run, RunReport};
use super::runner::Runner;
use crate::domain::{Action, Guard, HostId, RunStatus, Step, Target, Trigger, Wait};
use crate::error::AppError;
use crate::store::LogEntry;

/// How long a restore's start may wait (it waits for nothing but the start itself).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The containers the run stopped and did not start again, in the order to start them.
/// `entries` are the run's, oldest first. A stop that was `skipped` stopped nothing; a restart
/// that failed may have left its container stopped.
pub fn stopped_by(entries: &[LogEntry]) -> Vec<(HostId, String)> {
    let mut stopped: Vec<(HostId, String)> = Vec::new();
    for e in entries {
        let key = (e.host.clone(), e.container.clone());
        let stopped_it = match (e.action, e.status) {
            (Action::Stop, RunStatus::Success) | (Action::Restart, RunStatus::Error) => true,
            (Action::Start | Action::Restart, RunStatus::Success | RunStatus::Skipped) => false,
            _ => continue,
        };
        stopped.retain(|k| *k != key);
        if stopped_it {
            stopped.push(key);
        }
    }
    stopped.reverse();
    stopped
}

/// Starts what the run `run_id` (its `entries`, oldest first) stopped and is still stopped now.
/// 404 `run_not_found` for a run with no entries; 409 `nothing_to_restore` when nothing it
/// stopped is stopped now (it was never stopped, a restore already ran, or it was started since).
pub async fn restore(
    runner: &Runner,
    run_id: &str,
    entries: &[LogEntry],
    requested_by: Option<String>,
) -> Result<RunReport, AppError> {
    if entries.is_empty() {
        let shown = crate::text::clip(run_id, 64);
        return Err(AppError::not_found("run_not_found", format!("No run has the id {shown:?}")));
    }
    let mut steps = Vec::new();
    for (host, name) in stopped_by(entries) {
        // only what is still stopped: a container removed since is not restored either
        let still_stopped = match runner.readiness(&host, &name).await {
            Ok(seen) => !matches!(seen.state.as_str(), "running" | "restarting" | "paused"),
            Err(_) => false,
        };
        if still_stopped {
            let target = Target::container(host, name);
            let with_dependents = false;
            steps.push(Step {
                target,
                action: Action::Start,
                wait: Wait::None,
                timeout: TIMEOUT,
                with_dependents,
            });
        }
    }
    if steps.is_empty() {
        return Err(AppError::conflict(
            "nothing_to_restore",
            format!("Nothing that run {run_id} stopped is stopped now, so there is nothing to start again"),
        ));
    }
    let guard = Guard::NONE;
    chain::run(runner, Run { steps, trigger: Trigger::Manual, schedule_id: None, requested_by, guard }).await
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;
    use chrono::Utc;

    use super::*;

    /// A log entry of run `run` (also for the dashboard's runs, `web/pages/runs.rs`).
    pub(crate) fn entry(
        id: i32,
        run: Option<&str>,
        action: Action,
        container: &str,
        status: RunStatus,
    ) -> LogEntry {
        LogEntry {
            id,
            host: HostId::local(),
            timestamp: Utc.with_ymd_and_hms(2026, 7, 5, 3, 0, id as u32).unwrap(),
            schedule_id: None,
            container: container.into(),
            container_id: None,
            action,
            trigger: Trigger::Manual,
            status,
            message: format!("message {id}"),
            duration_ms: 10,
            requested_by: Some("admin".into()),
            run_id: run.map(String::from),
        }
    }

    fn names(entries: &[LogEntry]) -> Vec<String> {
        stopped_by(entries).into_iter().map(|(_, n)| n).collect()
    }

    #[test]
    fn a_failed_stack_restart_restores_what_it_stopped_in_the_reverse_order() {
        use Action::{Start, Stop};
        use RunStatus::{Error, Success};
        let run = [
            entry(1, Some("r"), Stop, "web", Success),
            entry(1, Some("r"), Stop, "app", Success),
            entry(1, Some("r"), Stop, "db", Success),
            entry(1, Some("r"), Start, "db", Error),
        ];
        assert_eq!(names(&run), ["db", "app", "web"]);
        // what it started again is not restored; a skipped stop stopped nothing
        let run = [
            entry(1, Some("r"), Stop, "web", Success),
            entry(1, Some("r"), Stop, "cache", RunStatus::Skipped),
            entry(1, Some("r"), Stop, "db", Success),
            entry(1, Some("r"), Start, "db", Success),
            entry(1, Some("r"), Action::Restart, "vpn", Error),
        ];
        assert_eq!(names(&run), ["vpn", "web"]);
        assert!(names(&[entry(1, Some("r"), Start, "db", Success)]).is_empty());
    }
}
