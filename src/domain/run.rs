//! How one action ended, before it is recorded: the Runner turns it into a `LogEntry`.

use chrono::{DateTime, Utc};

use super::{Action, HostId, RunStatus, ScheduleId, Trigger};

/// Why an action did not reach Docker or was refused, so an HTTP caller can answer with the right code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunFailure {
    NotFound,
    Busy,
    /// Stop or pause of Chrontainer's own container.
    OwnContainer,
    Docker,
    Unreachable,
    /// A container action on a Swarm task (the message names its service), or a service action
    /// the orchestrator's state rules out (not a manager).
    SwarmTask,
    NotAManager,
    ServiceNotFound,
    /// A rule's guard (`only_if`, stopped by hand) did not hold on the fresh inspect: `skipped`
    /// with the reason. Never a person's request, which carries no guard.
    Guard,
}

/// The outcome of one action, success or not. Every one ends as a log entry.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub host: HostId,
    pub schedule_id: Option<ScheduleId>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    pub started_at: DateTime<Utc>,
    pub failure: Option<RunFailure>,
}
