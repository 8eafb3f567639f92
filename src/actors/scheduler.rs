//! SchedulerActor: one timer per enabled schedule, armed for the schedule's next intended instant
//! and re-armed after each firing (ARCHITECTURE.md, "How a timer fires exactly once").
//!
//! It also owns every change to a schedule, so that a timer can never fire for a schedule that is
//! being edited or deleted: those messages are `AtomicResponse`s, which keep the mailbox and the
//! timers still until the store has answered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::chain;
use super::runner::{Outcome, Request, Runner};
use crate::cron::when::{after_wake, decide, Wake, When, MAX_MISSED_COUNT};
use crate::cron::CronExpr;
use crate::domain::{
    Action, ContainerRef, Guard, RunResult, RunStatus, ScheduleId, Step, Target, TargetKind, Trigger,
};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use crate::store::{self, NewSchedule, Schedule, ScheduleChanges, ScheduleRow, Store};
use crate::time::{rfc3339, to_utc};

/// No timer sleeps longer than this without reading the wall clock again.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// A timer wakes this long before its instant to write the next one to the store, then waits for
/// the instant itself: the write (queued behind others when many schedules share an instant) is
/// then off the path from the timer to Docker.
const FIRE_LEAD: Duration = Duration::from_millis(250);
/// Less time than this left at the early wake (a late timer): the action inspects for itself.
const PREPARE_MIN: Duration = Duration::from_millis(20);

/// A schedule's timetable, parsed.
fn when_of(row: &ScheduleRow) -> Result<When, AppError> {
    Timetable::of(row).when()
}

/// What an armed schedule keeps of its timetable: the text, parsed again when its timer wakes.
/// A parsed expression holds croner's 5 kB year table; 10,000 armed schedules would keep 50 MB.
#[derive(Clone, Debug)]
struct Timetable {
    id: i32,
    cron: Option<String>,
    run_at: Option<DateTime<Utc>>,
    timezone: String,
}

impl Timetable {
    fn of(row: &ScheduleRow) -> Timetable {
        Timetable {
            id: row.id.0,
            cron: row.cron_expression.clone(),
            run_at: row.run_at.map(to_utc),
            timezone: row.timezone.clone(),
        }
    }

    fn when(&self) -> Result<When, AppError> {
        match (&self.cron, self.run_at) {
            (Some(expr), _) => Ok(When::Cron {
                expr: CronExpr::parse(expr)?,
                tz: crate::cron::parse_timezone(&self.timezone)?,
            }),
            (None, Some(at)) => Ok(When::Once(at)),
            (None, None) => {
                Err(AppError::Internal(format!("schedule {} has neither cron nor run_at", self.id)))
            }
        }
    }
}

/// An armed schedule: its timer and what it needs when the timer wakes.
#[derive(Clone)]
struct Armed {
    handle: SpawnHandle,
    intended: DateTime<Utc>,
    timetable: Timetable,
    target: Target,
    action: Action,
    guard: Guard,
    /// A chain's steps, run instead of `action` on `target`.
    steps: Option<Vec<Step>>,
}

/// One wake-up that fires (or logs a miss), decided by the timer maths and ready to apply.
struct Firing {
    id: i32,
    intended: DateTime<Utc>,
    /// `Some(count)` when the runs since `intended` were missed rather than run.
    missed: Option<u32>,
    /// How late the timer woke.
    late: chrono::Duration,
    next: Option<DateTime<Utc>>,
    once: bool,
    target: Target,
    action: Action,
    guard: Guard,
    steps: Option<Vec<Step>>,
}

/// What the operator allows: `CHRONTAINER_MAX_SCHEDULES` and `CHRONTAINER_MIN_INTERVAL`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_schedules: usize,
    pub min_interval: Duration,
}

impl Limits {
    /// Refuses a timetable whose runs come closer together than the minimum interval.
    fn check_interval(&self, when: &When, now: DateTime<Utc>) -> Result<(), AppError> {
        let When::Cron { expr, tz } = when else { return Ok(()) };
        match expr.shortest_gap(*tz, now) {
            Some(gap) if gap < self.min_interval => Err(AppError::invalid(
                "too_frequent",
                Some("cron"),
                format!(
                    "cron: {:?} runs as often as every {} s; the shortest interval allowed is {} s \
                     (CHRONTAINER_MIN_INTERVAL)",
                    crate::text::clip(expr.as_str(), 60),
                    gap.as_secs(),
                    self.min_interval.as_secs()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses one more schedule when there are `count` already and that is the most allowed.
    fn check_count(&self, count: i64) -> Result<(), AppError> {
        if usize::try_from(count).unwrap_or(usize::MAX) >= self.max_schedules {
            return Err(AppError::invalid(
                "too_many_schedules",
                None,
                format!(
                    "There are already {count} schedules, the most allowed (CHRONTAINER_MAX_SCHEDULES={}); \
                     delete one first",
                    self.max_schedules
                ),
            ));
        }
        Ok(())
    }
}

/// Decides when each schedule fires and hands the action to the Runner; it never acts itself.
pub struct SchedulerActor {
    store: Store,
    runner: Runner,
    bus: EventBus,
    metrics: Arc<Metrics>,
    grace: Duration,
    limits: Limits,
    armed: HashMap<i32, Armed>,
    /// Firings between their store write and their instant; cancelled on disable, edit or delete.
    pending: HashMap<i32, SpawnHandle>,
}

impl SchedulerActor {
    pub fn new(
        store: Store,
        runner: Runner,
        bus: EventBus,
        metrics: Arc<Metrics>,
        grace: Duration,
        limits: Limits,
    ) -> Self {
        let (armed, pending) = (HashMap::new(), HashMap::new());
        SchedulerActor { store, runner, bus, metrics, grace, limits, armed, pending }
    }

    /// Arms a row just written by a create or an edit, for the `next_run` the store now holds, and
    /// tells the live subscribers.
    fn arm_and_publish(&mut self, row: ScheduleRow, ctx: &mut Context<Self>) -> Schedule {
        self.arm(&row, row.next_run.map(to_utc), ctx);
        let schedule = Schedule::from(row);
        self.bus.publish(Event::Schedule(schedule.clone()));
        schedule
    }

    /// Cancels the schedule's timer, if it has one.
    fn disarm(&mut self, id: i32, ctx: &mut Context<Self>) {
        if let Some(armed) = self.armed.remove(&id) {
            ctx.cancel_future(armed.handle);
        }
        if let Some(handle) = self.pending.remove(&id) {
            ctx.cancel_future(handle);
        }
        self.metrics.set_schedules(self.armed.len());
    }

    /// Arms `row` for `intended` (which may be in the past: the wake-up then decides between a
    /// late run and a missed one). Disarms it when it is disabled or has no instant left.
    fn arm(&mut self, row: &ScheduleRow, intended: Option<DateTime<Utc>>, ctx: &mut Context<Self>) {
        let id = row.id.0;
        self.disarm(id, ctx);
        let (Some(intended), true) = (intended, row.enabled) else { return };
        // a window's row: the WatchActor keeps it (its cron is only the window's opening)
        if row.time_window.is_some() {
            return;
        }
        // parsed once here to refuse a schedule that cannot fire; kept as text (see Timetable)
        if let Err(e) = when_of(row) {
            log::error!("schedule {} cannot be armed: {e}", row.id);
            return;
        }
        let handle = self.sleep(id, intended, ctx);
        let armed = Armed {
            handle,
            intended,
            timetable: Timetable::of(row),
            target: target_of(row),
            action: row.action,
            guard: row.guard(),
            steps: steps_of(row),
        };
        self.armed.insert(id, armed);
        self.metrics.set_schedules(self.armed.len());
    }

    fn sleep(&self, id: i32, intended: DateTime<Utc>, ctx: &mut Context<Self>) -> SpawnHandle {
        let wait =
            (intended - Utc::now()).to_std().unwrap_or_default().saturating_sub(FIRE_LEAD).min(MAX_SLEEP);
        ctx.run_later(wait, move |act, ctx| act.wake(id, ctx))
    }

    /// A timer woke: sleep on, or decide this firing (the maths is `cron::when`), re-arm for the
    /// next instant and fire.
    fn wake(&mut self, id: i32, ctx: &mut Context<Self>) {
        let Some(armed) = self.armed.get(&id) else { return };
        let (intended, now) = (armed.intended, Utc::now());
        let wake = decide(intended, now, self.grace);
        if matches!(wake, Wake::Early(left) if left > FIRE_LEAD) {
            let handle = self.sleep(id, intended, ctx);
            if let Some(armed) = self.armed.get_mut(&id) {
                armed.handle = handle;
            }
            return;
        }
        let Some(armed) = self.armed.remove(&id) else { return };
        let when = match armed.timetable.when() {
            Ok(when) => when,
            Err(e) => {
                log::error!("schedule {id} cannot fire any more: {e}");
                self.metrics.set_schedules(self.armed.len());
                return;
            }
        };
        let (missed, next) = after_wake(&when, intended, now, &wake);
        if let Some(next) = next {
            let handle = self.sleep(id, next, ctx);
            self.armed.insert(id, Armed { handle, intended: next, ..armed.clone() });
        }
        self.metrics.set_schedules(self.armed.len());
        let once = matches!(when, When::Once(_));
        let firing = Firing {
            id,
            intended,
            missed,
            late: now - intended,
            next,
            once,
            target: armed.target,
            action: armed.action,
            guard: armed.guard,
            steps: armed.steps,
        };
        self.fire(firing, ctx);
    }

    /// Writes the next run, waits for the instant, then hands the action to the Runner. next_run
    /// is written before the action is sent: a crash in between loses this run rather than running
    /// it twice after the restart.
    fn fire(&mut self, f: Firing, ctx: &mut Context<Self>) {
        let id = f.id;
        let store = self.store.clone();
        let changes = ScheduleChanges {
            next_run: Some(f.next.map(|t| t.naive_utc())),
            enabled: f.once.then_some(false),
            ..Default::default()
        };
        let intended = f.intended;
        let waits = f.missed.is_none();
        // one container's action: inspected now, so that at the instant only the action is sent
        let inspect_first = (waits && f.steps.is_none()).then(|| f.target.clone());
        let preparer = self.runner.clone();
        let prepare = async move {
            if let Err(e) = store::schedules::update(&store, ScheduleId(id), changes).await {
                log::warn!("schedule {id}: cannot record its next run ({e}); not firing");
                return false;
            }
            let left = (intended - Utc::now()).to_std().unwrap_or_default();
            if let (Some(target), true) = (inspect_first, left > PREPARE_MIN) {
                preparer.prepare(&target).await;
            }
            let left = (intended - Utc::now()).to_std().unwrap_or_default();
            if waits && !left.is_zero() {
                tokio::time::sleep(left).await;
            }
            true
        };
        let runner = self.runner.clone();
        let metrics = self.metrics.clone();
        let run = async move {
            if let Err(e) = run_firing(&runner, &metrics, f).await {
                log::error!("schedule {id}: {e}");
            }
        };
        let handle = ctx.spawn(prepare.into_actor(self).map(move |ready, act, ctx| {
            act.pending.remove(&id);
            if ready {
                // from here on the action is under way: nothing cancels it halfway
                ctx.spawn(run.into_actor(act));
            }
        }));
        self.pending.insert(id, handle);
    }
}

/// Acts (or logs the miss) for one firing, through the Runner, which also records its last run.
async fn run_firing(runner: &Runner, metrics: &Metrics, f: Firing) -> Result<Outcome, AppError> {
    let Some(count) = f.missed else {
        let delay_us = (Utc::now() - f.intended).num_microseconds().unwrap_or(0);
        metrics.observe_fire_delay(delay_us as f64 / 1e6);
        // read by the fire-delay benchmark
        log::debug!("schedule {} fire delay {delay_us} us", f.id);
        if let Some(steps) = f.steps {
            return run_chain(runner, steps, Trigger::Schedule, ScheduleId(f.id), None, f.guard).await;
        }
        let request = Request {
            target: f.target,
            action: f.action,
            trigger: Trigger::Schedule,
            schedule_id: Some(ScheduleId(f.id)),
            requested_by: None,
        };
        let mut result = runner.act_guarded(request, f.guard).await?;
        if f.late > chrono::Duration::seconds(1) {
            result.message = format!(
                "{} (ran {} s late; it was due at {})",
                result.message,
                f.late.num_seconds(),
                rfc3339(&f.intended)
            );
        }
        return runner.record(result, None).await;
    };
    runner.record(missed_result(&f, count), None).await
}

/// A chain's steps under one run_id, `guard` judged per step; the answer is its last entry (the
/// failed one, if one failed).
async fn run_chain(
    runner: &Runner,
    steps: Vec<Step>,
    trigger: Trigger,
    id: ScheduleId,
    requested_by: Option<String>,
    guard: Guard,
) -> Result<Outcome, AppError> {
    let run = chain::Run { steps, trigger, schedule_id: Some(id), requested_by, guard };
    let mut report = chain::run(runner, run).await?;
    let entry =
        report.log.pop().ok_or_else(|| AppError::Internal(format!("schedule {id}: a chain of no steps")))?;
    Ok(Outcome { entry, failure: None })
}

fn steps_of(row: &ScheduleRow) -> Option<Vec<Step>> {
    row.chain().map(|steps| steps.iter().map(|s| s.to_step(&row.host)).collect())
}

/// A schedule's target: its container by name, else by compose project and service, resolved
/// when it fires.
pub(super) fn target_of(row: &ScheduleRow) -> Target {
    if let Some(service) = &row.service {
        return Target { host: row.host.clone(), kind: TargetKind::Service(service.clone()) };
    }
    Target {
        host: row.host.clone(),
        kind: TargetKind::Container(ContainerRef::Named {
            name: row.container_name.clone(),
            compose_project: row.compose_project.clone(),
            compose_service: row.compose_service.clone(),
        }),
    }
}

fn missed_result(f: &Firing, count: u32) -> RunResult {
    let runs = if count >= MAX_MISSED_COUNT {
        format!("at least {count} runs")
    } else if count == 1 {
        "1 run".to_string()
    } else {
        format!("{count} runs")
    };
    let next = f.next.map(|t| format!("; next run at {}", rfc3339(&t))).unwrap_or_default();
    RunResult {
        host: f.target.host.clone(),
        schedule_id: Some(ScheduleId(f.id)),
        container_name: f.target.display_name().to_string(),
        container_id: None,
        action: f.action,
        trigger: Trigger::Schedule,
        status: RunStatus::Missed,
        message: format!(
            "missed {runs} since {} (Chrontainer was not running, or the clock jumped){next}",
            rfc3339(&f.intended)
        ),
        duration_ms: 0,
        started_at: Utc::now(),
        failure: None,
    }
}

impl Actor for SchedulerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.notify(ReloadAll);
    }
}

impl Supervised for SchedulerActor {
    fn restarting(&mut self, ctx: &mut Context<Self>) {
        log::warn!("scheduler restarting: reloading every schedule from the store");
        self.armed.clear();
        ctx.notify(ReloadAll);
    }
}

/// The instant a row should be armed for: its stored `next_run` (which may be past, so that a
/// run missed while Chrontainer was down is caught up or logged as missed), else the first
/// instant after now.
fn intended_for(row: &ScheduleRow, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, AppError> {
    if !row.enabled {
        return Ok(None);
    }
    match row.next_run {
        Some(next) => Ok(Some(to_utc(next))),
        None => Ok(when_of(row)?.next_after(now)),
    }
}

/// Loads every schedule from the store and arms the enabled ones.
#[derive(Message)]
#[rtype(result = "Result<usize, AppError>")]
pub struct ReloadAll;

impl Handler<ReloadAll> for SchedulerActor {
    type Result = AtomicResponse<Self, Result<usize, AppError>>;

    fn handle(&mut self, _: ReloadAll, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        AtomicResponse::new(Box::pin(
            async move { store::schedules::list(&store).await }.into_actor(self).map(|rows, act, ctx| {
                let rows = rows?;
                let ids: Vec<i32> = act.armed.keys().copied().collect();
                for id in ids {
                    act.disarm(id, ctx);
                }
                let now = Utc::now();
                let mut unrecorded = Vec::new();
                for row in &rows {
                    match intended_for(row, now) {
                        Ok(intended) => {
                            if let (None, Some(t)) = (row.next_run, intended) {
                                unrecorded.push((row.id, t.naive_utc()));
                            }
                            act.arm(row, intended, ctx)
                        }
                        Err(e) => log::error!("schedule {} cannot be armed: {e}", row.id),
                    }
                }
                // rows written by something else than the scheduler (an import, an older version)
                // get their next_run now, so the store and the pages know it too
                if !unrecorded.is_empty() {
                    let store = act.store.clone();
                    ctx.spawn(
                        async move {
                            if let Err(e) = store::schedules::set_next_runs(&store, unrecorded).await {
                                log::warn!("cannot record the next run of reloaded schedules: {e}");
                            }
                        }
                        .into_actor(act),
                    );
                }
                log::info!("scheduler: {} of {} schedules armed", act.armed.len(), rows.len());
                Ok(act.armed.len())
            }),
        ))
    }
}

/// A validated new schedule.
#[derive(Message)]
#[rtype(result = "Result<Schedule, AppError>")]
pub struct Create(pub NewSchedule);

impl Handler<Create> for SchedulerActor {
    type Result = AtomicResponse<Self, Result<Schedule, AppError>>;

    fn handle(&mut self, Create(mut new): Create, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let now = Utc::now();
        let limits = self.limits;
        let first = match new_when(&new).and_then(|when| limits.check_interval(&when, now).map(|()| when)) {
            Ok(when) => when.next_after(now),
            Err(e) => return AtomicResponse::new(Box::pin(actix::fut::ready(Err(e)))),
        };
        new.next_run = if new.enabled { first.map(|t| t.naive_utc()) } else { None };
        new.created_at = now.naive_utc();
        new.updated_at = now.naive_utc();
        // counted and inserted in one transaction, and creates are serial here (AtomicResponse):
        // a burst of requests cannot pass the limit together
        let allowed = move |count: i64| limits.check_count(count);
        AtomicResponse::new(Box::pin(
            async move { store::schedules::insert_counted(&store, new, allowed).await }
                .into_actor(self)
                .map(|row, act, ctx| Ok(act.arm_and_publish(row?, ctx))),
        ))
    }
}

fn new_when(new: &NewSchedule) -> Result<When, AppError> {
    let timetable = Timetable {
        id: 0,
        cron: new.cron_expression.clone(),
        run_at: new.run_at.map(to_utc),
        timezone: new.timezone.clone(),
    };
    timetable.when()
}

/// A validated edit: the changed columns. The scheduler recomputes `next_run` and re-arms.
#[derive(Message)]
#[rtype(result = "Result<Schedule, AppError>")]
pub struct Update {
    pub id: i32,
    pub changes: ScheduleChanges,
}

impl Handler<Update> for SchedulerActor {
    type Result = AtomicResponse<Self, Result<Schedule, AppError>>;

    fn handle(&mut self, Update { id, mut changes }: Update, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let now = Utc::now();
        let limits = self.limits;
        changes.updated_at = Some(now.naive_utc());
        // next_run follows from the edited row: a new cron, zone or date, or enable/disable; an
        // edit that makes it fire too often is refused, and the edit rolled back with it
        let next = move |row: &ScheduleRow| -> Result<_, AppError> {
            let when = when_of(row)?;
            limits.check_interval(&when, now)?;
            Ok(if row.enabled { when.next_after(now) } else { None }.map(|t| t.naive_utc()))
        };
        AtomicResponse::new(Box::pin(
            async move { store::schedules::edit(&store, ScheduleId(id), changes, next).await }
                .into_actor(self)
                .map(|row, act, ctx| Ok(act.arm_and_publish(row?, ctx))),
        ))
    }
}

/// Deletes a schedule; its timer is gone before the reply, its log rows stay.
#[derive(Message)]
#[rtype(result = "Result<(), AppError>")]
pub struct Delete(pub i32);

impl Handler<Delete> for SchedulerActor {
    type Result = AtomicResponse<Self, Result<(), AppError>>;

    fn handle(&mut self, Delete(id): Delete, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        AtomicResponse::new(Box::pin(
            async move { store::schedules::delete(&store, ScheduleId(id)).await }.into_actor(self).map(
                move |deleted, act, ctx| {
                    deleted?;
                    act.disarm(id, ctx);
                    act.bus.publish(Event::ScheduleDeleted { id });
                    Ok(())
                },
            ),
        ))
    }
}

/// Runs a schedule's action now, outside its timetable (trigger `run_now`).
#[derive(Message)]
#[rtype(result = "Result<Outcome, AppError>")]
pub struct RunNow {
    pub id: i32,
    /// Who asked (a user or an API token).
    pub requested_by: Option<String>,
}

impl Handler<RunNow> for SchedulerActor {
    type Result = ResponseFuture<Result<Outcome, AppError>>;

    fn handle(&mut self, RunNow { id, requested_by }: RunNow, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let runner = self.runner.clone();
        Box::pin(async move {
            let row = store::schedules::get(&store, ScheduleId(id)).await?;
            if let Some(steps) = steps_of(&row) {
                // a person asked: no guard, as for a single target
                let guard = Guard::NONE;
                return run_chain(&runner, steps, Trigger::RunNow, ScheduleId(id), requested_by, guard).await;
            }
            let request = Request {
                target: target_of(&row),
                action: row.action,
                trigger: Trigger::RunNow,
                schedule_id: Some(ScheduleId(id)),
                requested_by,
            };
            runner.run(request).await
        })
    }
}
