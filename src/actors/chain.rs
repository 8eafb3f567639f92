//! Runs of ordered steps: a stack action in dependency order, a restart with dependents, a
//! schedule's chain. Every step takes the Runner's one path (so busy containers and guards apply
//! per step), then waits for its condition; all steps share one `run_id`; a failed step stops the
//! run, and its log entry says why and what did not run.
//!
//! A schedule's guard (`only_if`, `respect_manual`) is judged by the DockerActor on each step's
//! container, on its fresh inspect, as for a single-target schedule, until the run has acted on
//! that container: a stack restart's own stops do not make its starts fail `only_if: running`.
//! A step the guard leaves alone is `skipped` with the reason, does not wait, and the run goes on.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use super::runner::{Request, Runner};
use crate::docker::stacks;
use crate::domain::{Action, Check, Guard, HostId, RunFailure, RunResult, RunStatus, ScheduleId};
use crate::domain::{Step, Target, TargetKind, Trigger, Wait};
use crate::error::AppError;
use crate::store::LogEntry;

/// How often a wait looks at the container again (the cache, fed by Docker's events).
const POLL: Duration = Duration::from_millis(200);

/// What a run asks: its steps, and what every one of its log entries shares.
#[derive(Clone, Debug)]
pub struct Run {
    pub steps: Vec<Step>,
    pub trigger: Trigger,
    pub schedule_id: Option<ScheduleId>,
    pub requested_by: Option<String>,
    /// A schedule's guard, judged per step; `Guard::NONE` when a person asked.
    pub guard: Guard,
}

/// How a run ended: `{"run_id", "status", "log", "not_run"}`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    /// Shared by every entry of this run (`GET /api/logs?run_id=`).
    pub run_id: String,
    /// `success` when every step ran (a step with nothing to do is `skipped`, and the run goes
    /// on); `error` when one failed and the run stopped there.
    pub status: RunStatus,
    /// One entry per step that ran, in order.
    pub log: Vec<LogEntry>,
    /// The steps left undone after a failure, e.g. `start shop-web-1`.
    pub not_run: Vec<String>,
}

/// A fresh run id: 16 hex digits.
fn new_run_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // never on Linux; the time still tells runs apart
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes = (nanos.as_nanos() as u64).to_be_bytes();
    }
    format!("{:016x}", u64::from_be_bytes(bytes))
}

fn describe(step: &Step) -> String {
    format!("{} {}", step.action, step.target.display_name())
}

/// Runs the steps in order, recording each as it ends. A stack step becomes its containers'
/// steps when its turn comes (a stack that cannot be ordered is that step's error).
pub async fn run(runner: &Runner, run: Run) -> Result<RunReport, AppError> {
    let run_id = new_run_id();
    let Run { steps, trigger, schedule_id, requested_by, guard } = run;
    let mut todo: VecDeque<Step> = steps.into();
    let mut log = Vec::with_capacity(todo.len());
    let mut acted = Acted::default();
    while let Some(step) = todo.pop_front() {
        let mut result = match &step.target.kind {
            TargetKind::Stack(name) => match stack_steps(runner, &step, name).await {
                Ok(steps) => {
                    for s in steps.into_iter().rev() {
                        todo.push_front(s);
                    }
                    continue;
                }
                Err(e) => refused(&step, trigger, schedule_id, e),
            },
            TargetKind::Container(c) if step.with_dependents && step.action == Action::Restart => {
                match runner.dependents(&step.target.host, c.display_name()).await {
                    Ok((name, dependents)) => {
                        let steps =
                            stacks::plan_with_dependents(&step.target.host, &name, &dependents, step.timeout);
                        for s in steps.into_iter().rev() {
                            todo.push_front(s);
                        }
                        continue;
                    }
                    Err(e) => refused(&step, trigger, schedule_id, e),
                }
            }
            TargetKind::Container(_) | TargetKind::Service(_) => {
                let request = Request {
                    target: step.target.clone(),
                    action: step.action,
                    trigger,
                    schedule_id,
                    requested_by: requested_by.clone(),
                };
                let result = runner.act_guarded(request, acted.guard(&step.target, guard)).await?;
                acted.note(&result);
                result
            }
        };
        // a step with nothing to do (already stopped) or that its guard leaves alone is fine; one
        // that was refused is not; a step left alone has nothing to wait for
        let guarded = result.failure == Some(RunFailure::Guard);
        let mut failed = result.status == RunStatus::Error || (result.failure.is_some() && !guarded);
        if !failed && !guarded && step.wait != Wait::None {
            let waited = Instant::now();
            let reference = result.container_id.clone().unwrap_or_else(|| result.container_name.clone());
            if let Err(why) = wait(runner, &result.host, &reference, step.wait, step.timeout).await {
                result.status = RunStatus::Error;
                result.message = format!("{}; {why}", result.message);
                failed = true;
            }
            let waited_ms = i64::try_from(waited.elapsed().as_millis()).unwrap_or(i64::MAX);
            result.duration_ms = result.duration_ms.saturating_add(waited_ms);
        }
        let not_run: Vec<String> = if failed { todo.iter().map(describe).collect() } else { Vec::new() };
        if !not_run.is_empty() {
            result.message =
                format!("{}; the run stopped here, not run: {}", result.message, not_run.join(", "));
        }
        let outcome = runner.record_step(result, requested_by.clone(), Some(run_id.clone())).await?;
        log.push(outcome.entry);
        if failed {
            return Ok(RunReport { run_id, status: RunStatus::Error, log, not_run });
        }
    }
    Ok(RunReport { run_id, status: RunStatus::Success, log, not_run: Vec::new() })
}

/// The containers a run has acted on, by host and name or id: the guard is judged on a container
/// as the run first finds it, never on what the run itself made of it.
#[derive(Default)]
struct Acted(Vec<(HostId, String, Option<String>)>);

impl Acted {
    /// The guard for `target`'s step: none once the run has acted on its container.
    fn guard(&self, target: &Target, guard: Guard) -> Guard {
        let name = target.display_name();
        let seen = self
            .0
            .iter()
            .any(|(host, n, id)| *host == target.host && (n == name || id.as_deref() == Some(name)));
        if seen {
            Guard::NONE
        } else {
            guard
        }
    }

    fn note(&mut self, result: &RunResult) {
        if result.status == RunStatus::Success {
            self.0.push((result.host.clone(), result.container_name.clone(), result.container_id.clone()));
        }
    }
}

/// The steps of a stack step: its containers in dependency order.
async fn stack_steps(runner: &Runner, step: &Step, name: &str) -> Result<Vec<Step>, AppError> {
    let stack = runner.stack(&step.target.host, name).await?;
    let mut steps = stacks::plan(&stack, step.action, step.timeout)?;
    // the step's own wait applies after its last container
    if let Some(last) = steps.last_mut().filter(|_| step.wait != Wait::None) {
        last.wait = step.wait;
    }
    Ok(steps)
}

/// The entry of a step that could not even begin.
fn refused(step: &Step, trigger: Trigger, schedule_id: Option<ScheduleId>, e: AppError) -> RunResult {
    RunResult {
        host: step.target.host.clone(),
        schedule_id,
        container_name: step.target.display_name().to_string(),
        container_id: None,
        action: step.action,
        trigger,
        status: RunStatus::Error,
        message: e.to_string(),
        duration_ms: 0,
        started_at: Utc::now(),
        failure: Some(RunFailure::NotFound),
    }
}

/// Waits until the container is what `wait` asks, at most `timeout`; Err says why not.
async fn wait(
    runner: &Runner,
    host: &HostId,
    reference: &str,
    wait: Wait,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = runner.readiness(host, reference).await.map_err(|e| e.to_string())?;
        match wait.check(&seen) {
            Check::Ready => return Ok(()),
            Check::Failed(why) => return Err(why),
            Check::NotYet if Instant::now() >= deadline => return Err(wait.timed_out(&seen, timeout)),
            Check::NotYet => tokio::time::sleep(POLL).await,
        }
    }
}

/// `action` on the compose project `name` on `host`, in dependency order. 404 `stack_not_found`,
/// 409 `dependency_cycle`, 400 `invalid_action` for pause and unpause.
pub async fn run_stack(
    runner: &Runner,
    host: HostId,
    name: &str,
    action: Action,
    timeout: Duration,
    requested_by: Option<String>,
) -> Result<RunReport, AppError> {
    let step =
        Step { target: Target::stack(host, name), action, wait: Wait::None, timeout, with_dependents: false };
    let steps = stack_steps(runner, &step, name).await?;
    let guard = Guard::NONE;
    run(runner, Run { steps, trigger: Trigger::Manual, schedule_id: None, requested_by, guard }).await
}

/// A restart of one container with those that restart with it (`stacks::dependents`).
pub async fn restart_with_dependents(
    runner: &Runner,
    host: HostId,
    reference: &str,
    timeout: Duration,
    requested_by: Option<String>,
) -> Result<RunReport, AppError> {
    let (name, dependents) = runner.dependents(&host, reference).await?;
    let steps = stacks::plan_with_dependents(&host, &name, &dependents, timeout);
    let guard = Guard::NONE;
    run(runner, Run { steps, trigger: Trigger::Manual, schedule_id: None, requested_by, guard }).await
}
