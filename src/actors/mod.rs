//! The four actors and the one path every action takes:
//! `DockerActor::RunAction` → `RunResult` → `LogActor::Record` → `LogEntry`.

pub mod log;
pub mod scheduler;
pub mod store;

use actix::Addr;

use crate::docker::{DockerActor, RunAction};
use crate::domain::{Action, RunFailure, RunResult, Target, Trigger};
use crate::error::AppError;
use crate::store::LogEntry;

/// Addresses of the running actors; cheap to clone into handlers.
#[derive(Clone)]
pub struct Actors {
    pub store: store::Store,
    pub docker: Addr<DockerActor>,
    pub scheduler: Addr<scheduler::SchedulerActor>,
    pub log: Addr<log::LogActor>,
}

impl Actors {
    /// Runs an action and records its result, whatever it was. The caller gets the stored entry
    /// and, where the action did not happen, why.
    pub async fn run_and_record(
        &self,
        target: Target,
        action: Action,
        trigger: Trigger,
        schedule_id: Option<crate::domain::ScheduleId>,
        actor: Option<String>,
    ) -> Result<(LogEntry, Option<RunFailure>), AppError> {
        run_and_record(&self.docker, &self.log, target, action, trigger, schedule_id, actor).await
    }
}

/// The same as [`Actors::run_and_record`], for callers (the scheduler) that hold only the two addresses.
#[allow(clippy::too_many_arguments)]
pub async fn run_and_record(
    docker: &Addr<DockerActor>,
    log: &Addr<log::LogActor>,
    target: Target,
    action: Action,
    trigger: Trigger,
    schedule_id: Option<crate::domain::ScheduleId>,
    actor: Option<String>,
) -> Result<(LogEntry, Option<RunFailure>), AppError> {
    let result: RunResult = docker.send(RunAction { target, action, trigger, schedule_id }).await?;
    let failure = result.failure.clone();
    let entry = log.send(log::Record { result, actor }).await??;
    Ok((entry, failure))
}

/// The HTTP answer for a manual action that did not happen: 404, 409, 502 or 503 (API.md).
pub fn failure_error(failure: &RunFailure, entry: &LogEntry) -> AppError {
    match failure {
        RunFailure::NotFound => AppError::not_found("container_not_found", entry.message.clone()),
        RunFailure::Busy => AppError::Busy(entry.message.clone()),
        RunFailure::OwnContainer => AppError::OwnContainer(entry.message.clone()),
        RunFailure::Docker => AppError::Docker(entry.message.clone()),
        RunFailure::Unreachable => AppError::DockerUnreachable(entry.message.clone()),
    }
}
