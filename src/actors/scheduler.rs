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
use chrono_tz::Tz;

use super::docker::{DockerActor, RunAction, Target};
use super::log::{LogActor, Record};
use crate::cron::CronExpr;
use crate::domain::{Action, ContainerRef, HostId, RunStatus, ScheduleId, TargetKind, Trigger};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use crate::store::{self, LogEntry, NewSchedule, Schedule, ScheduleChanges, ScheduleRow, Store};
use crate::time::{rfc3339, to_utc};

/// No timer sleeps longer than this without reading the wall clock again.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// A timer wakes this long before its instant to write the next one to the store, then waits for
/// the instant itself: the write (queued behind others when many schedules share an instant) is
/// then off the path from the timer to Docker.
const FIRE_LEAD: Duration = Duration::from_millis(250);
/// Counting missed runs stops here; the log then says "at least".
const MAX_MISSED_COUNT: u32 = 10_000;

/// When a schedule fires.
#[derive(Clone, Debug)]
pub enum When {
    Cron { expr: CronExpr, tz: Tz },
    Once(DateTime<Utc>),
}

impl When {
    pub fn from_row(row: &ScheduleRow) -> Result<When, AppError> {
        Timetable::of(row).when()
    }

    /// The first intended instant strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            When::Cron { expr, tz } => expr.next_after(*tz, t),
            When::Once(at) => (*at > t).then_some(*at),
        }
    }
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

/// What to do when a timer wakes at `now` for the intended instant `intended`.
#[derive(Debug, PartialEq)]
pub enum Wake {
    /// Woke early (or the clock went back): sleep again for what is left.
    Early(Duration),
    /// Fire now; `late` is how far past the intended instant.
    Fire { late: Duration },
    /// Too late (process down, host asleep, clock jumped): log it as missed, do not replay.
    Missed,
}

pub fn decide(intended: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> Wake {
    match (now - intended).to_std() {
        Err(_) => Wake::Early((intended - now).to_std().unwrap_or_default()),
        Ok(late) if late > grace => Wake::Missed,
        Ok(late) => Wake::Fire { late },
    }
}

/// How many intended instants from `first` (included) up to `now` (included), and the next one after `now`.
pub fn count_missed(when: &When, first: DateTime<Utc>, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
    let mut count = 1;
    let mut t = first;
    loop {
        match when.next_after(t) {
            Some(next) if next <= now && count < MAX_MISSED_COUNT => {
                count += 1;
                t = next;
            }
            Some(next) if next <= now => return (count, when.next_after(now)),
            other => return (count, other),
        }
    }
}

#[derive(Clone)]
struct Armed {
    handle: SpawnHandle,
    intended: DateTime<Utc>,
    timetable: Timetable,
    target: Target,
    action: Action,
    container_name: String,
}

pub struct SchedulerActor {
    store: Store,
    docker: Addr<DockerActor>,
    log: Addr<LogActor>,
    bus: EventBus,
    metrics: Arc<Metrics>,
    grace: Duration,
    armed: HashMap<i32, Armed>,
    /// Firings between their store write and their instant; cancelled on disable, edit or delete.
    pending: HashMap<i32, SpawnHandle>,
}

impl SchedulerActor {
    pub fn new(
        store: Store,
        docker: Addr<DockerActor>,
        log: Addr<LogActor>,
        bus: EventBus,
        metrics: Arc<Metrics>,
        grace: Duration,
    ) -> Self {
        SchedulerActor {
            store,
            docker,
            log,
            bus,
            metrics,
            grace,
            armed: HashMap::new(),
            pending: HashMap::new(),
        }
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
        // parsed once here to refuse a schedule that cannot fire; kept as text (see Timetable)
        if let Err(e) = When::from_row(row) {
            log::error!("schedule {} cannot be armed: {e}", row.id);
            return;
        }
        let action = row.action;
        let target = target_of(row);
        let handle = self.sleep(id, intended, ctx);
        self.armed.insert(
            id,
            Armed {
                handle,
                intended,
                timetable: Timetable::of(row),
                target,
                action,
                container_name: row.container_name.clone(),
            },
        );
        self.metrics.set_schedules(self.armed.len());
    }

    fn sleep(&self, id: i32, intended: DateTime<Utc>, ctx: &mut Context<Self>) -> SpawnHandle {
        let wait =
            (intended - Utc::now()).to_std().unwrap_or_default().saturating_sub(FIRE_LEAD).min(MAX_SLEEP);
        ctx.run_later(wait, move |act, ctx| act.wake(id, ctx))
    }

    fn wake(&mut self, id: i32, ctx: &mut Context<Self>) {
        let Some(armed) = self.armed.get(&id) else { return };
        let intended = armed.intended;
        let now = Utc::now();
        let decision = decide(intended, now, self.grace);
        if matches!(decision, Wake::Early(left) if left > FIRE_LEAD) {
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
        // The next instant counts from the intended one, never from now, so a late wake-up
        // neither skips nor repeats a run; a missed stretch resumes after now.
        let (missed, next) = match decision {
            Wake::Missed => {
                let (count, next) = count_missed(&when, intended, now);
                (Some(count), next)
            }
            _ => (None, when.next_after(intended)),
        };
        let once = matches!(when, When::Once(_));
        let changes = ScheduleChanges {
            next_run: Some(next.map(|t| t.naive_utc())),
            enabled: once.then_some(false),
            ..Default::default()
        };
        if let Some(next) = next {
            let handle = self.sleep(id, next, ctx);
            self.armed.insert(id, Armed { handle, intended: next, ..armed.clone() });
        }
        self.metrics.set_schedules(self.armed.len());

        let store = self.store.clone();
        let docker = self.docker.clone();
        let log = self.log.clone();
        let bus = self.bus.clone();
        let metrics = self.metrics.clone();
        let prepare_store = self.store.clone();
        let prepare = async move {
            // next_run is written before the action is sent: a crash in between loses this run
            // rather than running it twice after the restart.
            if let Err(e) = store::schedules::update(&prepare_store, ScheduleId(id), changes).await {
                log::warn!("schedule {id}: cannot record its next run ({e}); not firing");
                return false;
            }
            if missed.is_none() {
                let left = (intended - Utc::now()).to_std().unwrap_or_default();
                if !left.is_zero() {
                    tokio::time::sleep(left).await;
                }
            }
            true
        };
        let fire = async move {
            let result = match missed {
                Some(count) => missed_result(&armed, id, count, intended, next),
                None => {
                    let delay_us = (Utc::now() - intended).num_microseconds().unwrap_or(0);
                    metrics.observe_fire_delay(delay_us as f64 / 1e6);
                    // read by the fire-delay benchmark
                    log::debug!("schedule {id} fire delay {delay_us} us");
                    let mut result = match docker
                        .send(RunAction {
                            target: armed.target.clone(),
                            action: armed.action,
                            trigger: Trigger::Schedule,
                            schedule_id: Some(ScheduleId(id)),
                        })
                        .await
                    {
                        Ok(result) => result,
                        Err(e) => {
                            log::error!("schedule {id}: the Docker actor did not answer: {e}");
                            return;
                        }
                    };
                    let late = now - intended;
                    if late > chrono::Duration::seconds(1) {
                        result.message = format!(
                            "{} (ran {} s late; it was due at {})",
                            result.message,
                            late.num_seconds(),
                            rfc3339(&intended)
                        );
                    }
                    result
                }
            };
            let status = result.status;
            let container_id = result.container_id.clone();
            let last_run = result.started_at.naive_utc();
            if let Err(e) =
                log.send(Record { result, actor: None }).await.map_err(AppError::from).and_then(|r| r)
            {
                log::error!("schedule {id}: cannot record its result: {e}");
            }
            let mut changes = ScheduleChanges {
                last_run: Some(Some(last_run)),
                last_status: Some(Some(status)),
                ..Default::default()
            };
            if container_id.is_some() {
                changes.container_id = Some(container_id);
            }
            match store::schedules::update(&store, ScheduleId(id), changes).await {
                Ok(row) => bus.publish(Event::Schedule(row.into())),
                // deleted while it ran: its log rows stay, nothing else to do
                Err(AppError::NotFound { .. }) => {}
                Err(e) => log::warn!("schedule {id}: cannot record its last run: {e}"),
            }
        };
        let handle = ctx.spawn(prepare.into_actor(self).map(move |ready, act, ctx| {
            act.pending.remove(&id);
            if ready {
                // from here on the action is under way: nothing cancels it halfway
                ctx.spawn(fire.into_actor(act));
            }
        }));
        self.pending.insert(id, handle);
    }
}

/// A schedule's target: its container by name, else by compose project and service, resolved
/// when it fires.
fn target_of(row: &ScheduleRow) -> Target {
    Target {
        host: HostId::local(),
        kind: TargetKind::Container(ContainerRef::Named {
            name: row.container_name.clone(),
            compose_project: row.compose_project.clone(),
            compose_service: row.compose_service.clone(),
        }),
    }
}

fn missed_result(
    armed: &Armed,
    id: i32,
    count: u32,
    since: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
) -> super::docker::RunResult {
    let runs = if count >= MAX_MISSED_COUNT {
        format!("at least {count} runs")
    } else if count == 1 {
        "1 run".to_string()
    } else {
        format!("{count} runs")
    };
    let next = next.map(|t| format!("; next run at {}", rfc3339(&t))).unwrap_or_default();
    super::docker::RunResult {
        host: armed.target.host.clone(),
        schedule_id: Some(ScheduleId(id)),
        container_name: armed.container_name.clone(),
        container_id: None,
        action: armed.action,
        trigger: Trigger::Schedule,
        status: RunStatus::Missed,
        message: format!(
            "missed {runs} since {} (Chrontainer was not running, or the clock jumped){next}",
            rfc3339(&since)
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
        None => Ok(When::from_row(row)?.next_after(now)),
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
        let first = match new_when(&new) {
            Ok(when) => when.next_after(now),
            Err(e) => return AtomicResponse::new(Box::pin(actix::fut::ready(Err(e)))),
        };
        new.next_run = if new.enabled { first.map(|t| t.naive_utc()) } else { None };
        new.created_at = now.naive_utc();
        new.updated_at = now.naive_utc();
        AtomicResponse::new(Box::pin(
            async move { store::schedules::insert(&store, new).await }
                .into_actor(self)
                .map(|row, act, ctx| Ok(act.arm_and_publish(row?, ctx))),
        ))
    }
}

fn new_when(new: &NewSchedule) -> Result<When, AppError> {
    let probe = ScheduleRow {
        id: ScheduleId(0),
        host: new.host.clone(),
        container_name: String::new(),
        container_id: None,
        compose_project: None,
        compose_service: None,
        action: new.action,
        cron_expression: new.cron_expression.clone(),
        run_at: new.run_at,
        timezone: new.timezone.clone(),
        enabled: new.enabled,
        description: None,
        created_at: new.created_at,
        updated_at: new.updated_at,
        last_run: None,
        last_status: None,
        next_run: None,
    };
    When::from_row(&probe)
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
        changes.updated_at = Some(now.naive_utc());
        // next_run follows from the edited row: a new cron, zone or date, or enable/disable.
        let next = move |row: &ScheduleRow| -> Result<_, AppError> {
            let next = if row.enabled { When::from_row(row)?.next_after(now) } else { None };
            Ok(next.map(|t| t.naive_utc()))
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
#[rtype(result = "Result<(LogEntry, Option<super::docker::RunFailure>), AppError>")]
pub struct RunNow {
    pub id: i32,
    /// Who asked (a user or an API token).
    pub actor: Option<String>,
}

impl Handler<RunNow> for SchedulerActor {
    type Result = ResponseFuture<Result<(LogEntry, Option<super::docker::RunFailure>), AppError>>;

    fn handle(&mut self, RunNow { id, actor }: RunNow, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let docker = self.docker.clone();
        let log = self.log.clone();
        let bus = self.bus.clone();
        Box::pin(async move {
            let row = store::schedules::get(&store, ScheduleId(id)).await?;
            let action = row.action;
            let target = target_of(&row);
            let (entry, failure) = super::run_and_record(
                &docker,
                &log,
                target,
                action,
                Trigger::RunNow,
                Some(ScheduleId(id)),
                actor,
            )
            .await?;
            let mut changes = ScheduleChanges {
                last_run: Some(Some(entry.timestamp.naive_utc())),
                last_status: Some(Some(entry.status)),
                ..Default::default()
            };
            if entry.container_id.is_some() {
                changes.container_id = Some(entry.container_id.clone());
            }
            if let Ok(row) = store::schedules::update(&store, ScheduleId(id), changes).await {
                bus.publish(Event::Schedule(row.into()));
            }
            Ok((entry, failure))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, m, s).unwrap()
    }

    #[test]
    fn an_early_wake_sleeps_again_for_what_is_left() {
        assert_eq!(
            decide(at(3, 0, 0), at(2, 59, 58), Duration::from_secs(60)),
            Wake::Early(Duration::from_secs(2))
        );
    }

    #[test]
    fn on_time_or_within_grace_fires_once_with_its_lateness() {
        let grace = Duration::from_secs(60);
        assert_eq!(decide(at(3, 0, 0), at(3, 0, 0), grace), Wake::Fire { late: Duration::ZERO });
        assert_eq!(decide(at(3, 0, 0), at(3, 0, 59), grace), Wake::Fire { late: Duration::from_secs(59) });
        assert_eq!(decide(at(3, 0, 0), at(3, 1, 1), grace), Wake::Missed);
    }

    #[test]
    fn missed_runs_are_counted_and_resume_after_now() {
        let when = When::Cron { expr: CronExpr::parse("*/15 * * * *").unwrap(), tz: chrono_tz::UTC };
        // due 03:00, back at 04:10: 03:00 03:15 03:30 03:45 04:00 were missed, next is 04:15
        let (count, next) = count_missed(&when, at(3, 0, 0), at(4, 10, 0));
        assert_eq!(count, 5);
        assert_eq!(next, Some(at(4, 15, 0)));
    }

    #[test]
    fn a_one_time_schedule_has_nothing_after_its_instant() {
        let when = When::Once(at(3, 0, 0));
        assert_eq!(when.next_after(at(2, 0, 0)), Some(at(3, 0, 0)));
        assert_eq!(when.next_after(at(3, 0, 0)), None);
        assert_eq!(count_missed(&when, at(3, 0, 0), at(5, 0, 0)), (1, None));
    }

    #[test]
    fn the_next_instant_counts_from_the_intended_one_not_from_now() {
        let when = When::Cron { expr: CronExpr::parse("*/5 * * * * *").unwrap(), tz: chrono_tz::UTC };
        // fired for 03:00:00 but woke at 03:00:07: the next intended is 03:00:05, not 03:00:10
        assert_eq!(when.next_after(at(3, 0, 0)), Some(at(3, 0, 5)));
    }
}
