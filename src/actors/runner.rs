//! The Runner: the one path from a request to act to a recorded result. Every trigger (a click, an
//! API call, a timer, run-now, a window boundary, a health rule, a chain step) comes through
//! here: resolve, judge the guard and act in the host's DockerActor, then record once through the
//! LogActor. So the
//! activity log, the live bus and the metrics never miss an action.

use actix::Addr;

use super::log_actor::{LogActor, Record};
use crate::docker::{Dependents, GetReadiness, Hosts, ListStacks, Prepare, RunAction};
use crate::domain::{
    Action, Guard, HostId, Readiness, RunFailure, RunResult, ScheduleId, Stack, Target, Trigger,
};
use crate::error::AppError;
use crate::store::{LogEntry, NewLog};

/// A request to act.
#[derive(Clone, Debug)]
pub struct Request {
    pub target: Target,
    pub action: Action,
    pub trigger: Trigger,
    pub schedule_id: Option<ScheduleId>,
    /// Who asked: a user or an API token; `None` for the scheduler.
    pub requested_by: Option<String>,
}

/// How a request ended: the stored entry and, where the action did not happen, why.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub entry: LogEntry,
    pub failure: Option<RunFailure>,
}

impl Outcome {
    /// The entry for a person who asked; an action that did not happen is their 404, 409, 502 or
    /// 503 (API.md), with the logged message.
    pub fn into_answer(self) -> Result<LogEntry, AppError> {
        let message = self.entry.message.clone();
        match self.failure {
            None | Some(RunFailure::Guard) => Ok(self.entry),
            Some(RunFailure::NotFound) => Err(AppError::not_found("container_not_found", message)),
            Some(RunFailure::Busy) => Err(AppError::Busy(message)),
            Some(RunFailure::OwnContainer) => Err(AppError::OwnContainer(message)),
            Some(RunFailure::Docker) => Err(AppError::Docker(message)),
            Some(RunFailure::Unreachable) => Err(AppError::DockerUnreachable(message)),
            Some(RunFailure::SwarmTask) => Err(AppError::conflict("swarm_task", message)),
            Some(RunFailure::NotAManager) => Err(AppError::conflict("not_a_swarm_manager", message)),
            Some(RunFailure::ServiceNotFound) => Err(AppError::not_found("service_not_found", message)),
        }
    }
}

/// Cheap to clone into handlers and actors.
#[derive(Clone)]
pub struct Runner {
    hosts: Hosts,
    log: Addr<LogActor>,
}

impl Runner {
    pub fn new(hosts: Hosts, log: Addr<LogActor>) -> Runner {
        Runner { hosts, log }
    }

    /// Acts and records, whatever happened.
    pub async fn run(&self, request: Request) -> Result<Outcome, AppError> {
        self.run_guarded(request, Guard::NONE).await
    }

    /// Acts if `guard` holds when the action reaches Docker (else `skipped` with the reason), and
    /// records, whatever happened.
    pub async fn run_guarded(&self, request: Request, guard: Guard) -> Result<Outcome, AppError> {
        let requested_by = request.requested_by.clone();
        let result = self.act_guarded(request, guard).await?;
        self.record(result, requested_by).await
    }

    /// Acts if `guard` holds, without recording, for a caller that adds to the result first (the
    /// scheduler notes a late run, a chain its wait); it must then `record` it.
    pub async fn act_guarded(&self, request: Request, guard: Guard) -> Result<RunResult, AppError> {
        let Request { target, action, trigger, schedule_id, .. } = request;
        let docker = self.hosts.get(&target.host)?;
        Ok(docker.send(RunAction { target, action, trigger, schedule_id, guard }).await?)
    }

    /// Has the target's host inspect it now, for an action a moment from now (a schedule's early
    /// wake): the action then sends only itself. Failing that, the action inspects as usual.
    pub async fn prepare(&self, target: &Target) {
        if let Ok(docker) = self.hosts.get(&target.host) {
            let _ = docker.send(Prepare(target.clone())).await;
        }
    }

    /// Records a result: one log row and, for a schedule, its last run, in one transaction; then
    /// the live bus and the metrics.
    pub async fn record(&self, result: RunResult, requested_by: Option<String>) -> Result<Outcome, AppError> {
        self.record_step(result, requested_by, None).await
    }

    /// Records a result as a step of the run `run_id` (a stack action, a chain: `chain.rs`).
    pub async fn record_step(
        &self,
        result: RunResult,
        requested_by: Option<String>,
        run_id: Option<String>,
    ) -> Result<Outcome, AppError> {
        let failure = result.failure.clone();
        let new = NewLog { run_id, ..NewLog::of_run(result, requested_by) };
        let entry = self.log.send(Record { new, failure: failure.clone() }).await??;
        Ok(Outcome { entry, failure })
    }

    /// A host's compose stacks, for the chains that act on them.
    pub async fn stacks(&self, host: &HostId) -> Result<Vec<Stack>, AppError> {
        self.hosts.get(host)?.send(ListStacks(host.clone())).await?
    }

    /// One of a host's compose stacks (404 `stack_not_found`).
    pub async fn stack(&self, host: &HostId, name: &str) -> Result<Stack, AppError> {
        crate::docker::stacks::named(self.stacks(host).await?, host, name)
    }

    /// A container's name and those that restart with it, in the order they start.
    pub async fn dependents(
        &self,
        host: &HostId,
        reference: &str,
    ) -> Result<(String, Vec<String>), AppError> {
        self.hosts.get(host)?.send(Dependents(host.clone(), reference.to_string())).await?
    }

    /// What a step's wait looks at now.
    pub async fn readiness(&self, host: &HostId, reference: &str) -> Result<Readiness, AppError> {
        self.hosts.get(host)?.send(GetReadiness(host.clone(), reference.to_string())).await?
    }
}
