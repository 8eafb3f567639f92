//! WatchActor: the rules that are not a clock's (issue 15) — time windows and autoheal. It
//! follows the live bus (container changes, schedule edits, Docker coming back) and its own
//! boundary timers, reads every host's container list at start-up, after a lag and when a host
//! comes back (Docker tells a health change only once), and acts only through the Runner
//! (triggers `window` and `health`), so the log, the live bus and the metrics see every action.
//!
//! Windows are level-triggered: at each boundary, at start-up, after Docker reconnects and when a
//! window is created or edited, the container is put in the state the window says it should be in
//! now. What the window changed is remembered in `window_marks`, so its end restores only that; a
//! person starting the container inside the window is respected until the window's end. A
//! boundary woken later than the misfire grace is logged `missed` and not acted on late.
//!
//! Autoheal: a container that opted in and stays unhealthy for `after_s` is restarted (the guard
//! re-checks, on a fresh inspect, that it is still running and unhealthy and was not stopped by
//! hand), with exponential back-off, until `max_restarts` within `per_minutes`: then it gives up
//! (`gave_up` in the log) until the container has been healthy for a while.

use std::collections::HashMap;
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::runner::{Outcome, Request, Runner};
use crate::cron::when::Wake;
use crate::docker::Hosts;
use crate::domain::{
    Action, AutohealLimits, AutohealRules, Container, ContainerRef, Guard, HostId, OnlyIf, RunFailure,
    RunResult, RunStatus, ScheduleId, Target, TargetKind, Trigger, Window,
};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::store::window_marks::WindowMark;
use crate::store::{self, Schedule, Store};
use crate::time::to_utc;

/// No boundary timer sleeps longer than this without reading the wall clock again.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Wake this much after a boundary, so that the clock read then is past it.
const AFTER_BOUNDARY: Duration = Duration::from_millis(5);
/// Healthy this long, a container's autoheal starts afresh (its restarts forgotten, a give-up lifted).
const HEALTHY_RESET: chrono::Duration = chrono::Duration::minutes(5);

/// What a window schedule says, parsed; two rules with the same are the same rule.
#[derive(Clone, Debug, PartialEq)]
struct WindowSpec {
    target: Target,
    container: String,
    window: Window,
    tz: Tz,
    enabled: bool,
}

impl WindowSpec {
    fn of(s: &Schedule) -> Option<WindowSpec> {
        let window = s.window.as_ref()?.to_window().ok()?;
        let tz = crate::cron::parse_timezone(&s.timezone).ok()?;
        let target = Target {
            host: s.host.clone(),
            kind: TargetKind::Container(ContainerRef::Named {
                name: s.container.clone(),
                compose_project: s.compose_project.clone(),
                compose_service: s.compose_service.clone(),
            }),
        };
        Some(WindowSpec { target, container: s.container.clone(), window, tz, enabled: s.enabled })
    }
}

/// One window, armed.
struct WindowRule {
    spec: WindowSpec,
    mark: WindowMark,
    timer: Option<SpawnHandle>,
    next: Option<DateTime<Utc>>,
    /// An action of this window is under way; an evaluation asked for meanwhile runs after it.
    busy: bool,
    again: bool,
    /// Inside the window, the container was seen in the window's state: a later `running` is a
    /// person starting it.
    seen_held: bool,
}

/// Which way a window acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Apply,
    Restore,
}

/// One container's autoheal bookkeeping.
#[derive(Default)]
struct Heal {
    timer: Option<SpawnHandle>,
    /// Restarts within the rule's period.
    restarts: Vec<DateTime<Utc>>,
    gave_up: bool,
    healthy_since: Option<DateTime<Utc>>,
    busy: bool,
}

/// What the dashboard shows of a container's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleText {
    pub host: HostId,
    pub container: String,
    pub lines: Vec<String>,
}

/// A container on a host: how the WatchActor knows containers and their autoheal bookkeeping.
type Key = (HostId, String);

pub struct WatchActor {
    store: Store,
    runner: Runner,
    hosts: Hosts,
    bus: EventBus,
    /// A boundary whose timer wakes later than this is missed (CHRONTAINER_MISFIRE_GRACE).
    grace: Duration,
    windows: HashMap<i32, WindowRule>,
    /// Every host's containers as the bus (or the host's list, [`WatchActor::seed`]) last told,
    /// by host and name.
    containers: HashMap<Key, Container>,
    links: Links,
    autoheal: AutohealRules,
    heals: HashMap<Key, Heal>,
}

impl WatchActor {
    pub fn new(store: Store, runner: Runner, hosts: Hosts, bus: EventBus, grace: Duration) -> Self {
        WatchActor {
            store,
            runner,
            hosts,
            bus,
            grace,
            windows: HashMap::new(),
            containers: HashMap::new(),
            links: Links::default(),
            autoheal: AutohealRules::default(),
            heals: HashMap::new(),
        }
    }

    fn save_mark(&self, mark: WindowMark, ctx: &mut Context<Self>) {
        let store = self.store.clone();
        ctx.spawn(
            async move {
                if let Err(e) = store::window_marks::save(&store, mark).await {
                    log::warn!("window of schedule {}: cannot record what it changed: {e}", mark.schedule_id);
                }
            }
            .into_actor(self),
        );
    }

    /// A window schedule was loaded, created or edited (or stopped being one).
    fn upsert(&mut self, schedule: &Schedule, mark: Option<WindowMark>, ctx: &mut Context<Self>) {
        let id = schedule.id.0;
        let spec = WindowSpec::of(schedule).filter(|s| s.enabled);
        match (spec, self.windows.get_mut(&id)) {
            // the scheduler wrote the opening cron's next run over the row's: the window's is kept
            (Some(spec), Some(rule)) if rule.spec == spec => {
                if let Some(next) = rule.next {
                    self.write_next(id, next, ctx);
                }
            }
            (Some(spec), Some(rule)) => {
                rule.spec = spec;
                self.evaluate(id, ctx);
            }
            (Some(spec), None) => {
                let mark = mark.unwrap_or(WindowMark::new(schedule.id));
                let rule = WindowRule {
                    spec,
                    mark,
                    timer: None,
                    next: None,
                    busy: false,
                    again: false,
                    seen_held: false,
                };
                self.windows.insert(id, rule);
                self.evaluate(id, ctx);
            }
            (None, Some(_)) => self.release(id, ctx),
            (None, None) => {}
        }
    }

    /// A window goes (deleted, disabled, made a cron schedule): it gives back what it changed.
    fn release(&mut self, id: i32, ctx: &mut Context<Self>) {
        let Some(mut rule) = self.windows.remove(&id) else { return };
        if let Some(handle) = rule.timer.take() {
            ctx.cancel_future(handle);
        }
        if rule.mark.changed && !rule.busy {
            // a window disabled now and enabled later starts afresh (a deleted one's mark is gone)
            self.save_mark(WindowMark::new(rule.mark.schedule_id), ctx);
            let request = Request {
                target: rule.spec.target.clone(),
                action: rule.spec.window.state.undo(),
                trigger: Trigger::Window,
                schedule_id: None,
                requested_by: None,
            };
            let runner = self.runner.clone();
            ctx.spawn(
                async move {
                    if let Err(e) = runner.run(request).await {
                        log::warn!("window of schedule {id} ended early: cannot restore its container: {e}");
                    }
                }
                .into_actor(self),
            );
        }
    }

    fn arm(&mut self, id: i32, ctx: &mut Context<Self>) {
        let Some(rule) = self.windows.get_mut(&id) else { return };
        if let Some(handle) = rule.timer.take() {
            ctx.cancel_future(handle);
        }
        let now = Utc::now();
        let before = rule.next;
        rule.next = rule.spec.window.next_boundary(rule.spec.tz, now);
        let Some(next) = rule.next else { return };
        let wait = (next - now).to_std().unwrap_or_default().min(MAX_SLEEP) + AFTER_BOUNDARY;
        rule.timer = Some(ctx.run_later(wait, move |act, ctx| act.wake(id, ctx)));
        if before != Some(next) {
            self.write_next(id, next, ctx);
        }
    }

    /// The schedule's `next_run` is the window's next boundary, for the API and the dashboard.
    fn write_next(&self, id: i32, next: DateTime<Utc>, ctx: &mut Context<Self>) {
        let (store, bus) = (self.store.clone(), self.bus.clone());
        ctx.spawn(
            async move {
                match store::schedules::set_next_runs(&store, vec![(ScheduleId(id), next.naive_utc())]).await
                {
                    Ok(()) => bus.touch(),
                    Err(e) => log::warn!("window of schedule {id}: cannot record its next change: {e}"),
                }
            }
            .into_actor(self),
        );
    }

    fn wake(&mut self, id: i32, ctx: &mut Context<Self>) {
        let Some(rule) = self.windows.get_mut(&id) else { return };
        rule.timer = None;
        let Some(next) = rule.next else { return self.arm(id, ctx) };
        match crate::cron::when::decide(next, Utc::now(), self.grace) {
            Wake::Early(_) => self.arm(id, ctx),
            Wake::Fire { .. } => self.evaluate(id, ctx),
            Wake::Missed => {
                self.missed(id, next, ctx);
                self.arm(id, ctx);
            }
        }
    }

    /// A boundary woke too late (host asleep, process stalled, clock jumped): as a cron run
    /// would be, it is logged `missed` and not acted on late. The window's state is applied
    /// again at the next start-up, reconnect of its host, edit or boundary.
    fn missed(&mut self, id: i32, at: DateTime<Utc>, ctx: &mut Context<Self>) {
        let Some(rule) = self.windows.get(&id) else { return };
        let (spec, starts) = (&rule.spec, rule.spec.window.current(rule.spec.tz, at).is_some());
        let result = RunResult {
            host: spec.target.host.clone(),
            schedule_id: Some(ScheduleId(id)),
            container_name: spec.container.clone(),
            container_id: None,
            action: if starts { spec.window.state.action() } else { spec.window.state.undo() },
            trigger: Trigger::Window,
            status: RunStatus::Missed,
            message: format!(
                "missed the window's {} at {} (the host was asleep, or the clock jumped); it is applied \
                 again when Chrontainer or the host's Docker restarts",
                if starts { "start" } else { "end" },
                crate::time::rfc3339(&at)
            ),
            duration_ms: 0,
            started_at: Utc::now(),
            failure: None,
        };
        let runner = self.runner.clone();
        ctx.spawn(
            async move {
                if let Err(e) = runner.record(result, None).await {
                    log::warn!("window of schedule {id}: cannot record a missed boundary: {e}");
                }
            }
            .into_actor(self),
        );
    }

    fn evaluate_all(&mut self, ctx: &mut Context<Self>) {
        let ids: Vec<i32> = self.windows.keys().copied().collect();
        for id in ids {
            self.evaluate(id, ctx);
        }
    }

    /// Puts the container in the state the window says it should be in now, and arms the timer
    /// for the next boundary.
    fn evaluate(&mut self, id: i32, ctx: &mut Context<Self>) {
        self.arm(id, ctx);
        let now = Utc::now();
        let Some(rule) = self.windows.get_mut(&id) else { return };
        if rule.busy {
            rule.again = true;
            return;
        }
        let spec = &rule.spec;
        let step = match spec.window.current(spec.tz, now) {
            Some(_) if rule.mark.overridden_until.is_some_and(|t| to_utc(t) > now) => return,
            Some(_) => {
                let key = (spec.target.host.clone(), spec.container.clone());
                let state = self.containers.get(&key).map(|c| c.state.as_str());
                rule.seen_held = state.is_some_and(|s| spec.window.state.holds(s));
                Step::Apply
            }
            None => {
                let overridden = rule.mark.overridden_until.take().is_some();
                if !rule.mark.changed {
                    if overridden {
                        let mark = rule.mark;
                        self.save_mark(mark, ctx);
                    }
                    return;
                }
                Step::Restore
            }
        };
        let action = match step {
            Step::Apply => spec.window.state.action(),
            Step::Restore => spec.window.state.undo(),
        };
        rule.busy = true;
        let request = Request {
            target: spec.target.clone(),
            action,
            trigger: Trigger::Window,
            schedule_id: Some(ScheduleId(id)),
            requested_by: None,
        };
        let runner = self.runner.clone();
        ctx.spawn(
            async move { runner.run(request).await }
                .into_actor(self)
                .map(move |outcome, act, ctx| act.applied(id, step, outcome, ctx)),
        );
    }

    fn applied(&mut self, id: i32, step: Step, outcome: Result<Outcome, AppError>, ctx: &mut Context<Self>) {
        let Some(rule) = self.windows.get_mut(&id) else { return };
        rule.busy = false;
        let done = match &outcome {
            Ok(o) => (o.entry.status, o.failure.is_none()),
            Err(e) => {
                log::warn!("window of schedule {id}: {e}");
                (RunStatus::Error, false)
            }
        };
        // skipped for its state (already stopped, already running) is done; busy is not
        let changed = match (step, done) {
            (Step::Apply, (RunStatus::Success, _)) => Some(true),
            (Step::Restore, (RunStatus::Success, _) | (RunStatus::Skipped, true)) => Some(false),
            _ => None,
        };
        if let Some(changed) = changed.filter(|c| *c != rule.mark.changed) {
            rule.mark.changed = changed;
            let mark = rule.mark;
            self.save_mark(mark, ctx);
        }
        if let Some(rule) = self.windows.get_mut(&id) {
            if std::mem::take(&mut rule.again) {
                self.evaluate(id, ctx);
            }
        }
    }

    /// A container changed: a person may have started it inside its window, and its health may
    /// call for autoheal.
    fn on_container(&mut self, c: Container, ctx: &mut Context<Self>) {
        let now = Utc::now();
        let mut marks = Vec::new();
        let on_it = |r: &&mut WindowRule| r.spec.container == c.name && r.spec.target.host == c.host;
        for rule in self.windows.values_mut().filter(on_it) {
            let spec = &rule.spec;
            let Some(period) = spec.window.current(spec.tz, now) else { continue };
            if rule.mark.overridden_until.is_some_and(|t| to_utc(t) > now) {
                continue;
            }
            if spec.window.state.holds(&c.state) {
                rule.seen_held = true;
            } else if c.state == "running" && rule.seen_held && !rule.busy {
                log::info!(
                    "{} was started inside its window: left running until {}",
                    c.name,
                    crate::time::rfc3339(&period.end)
                );
                rule.seen_held = false;
                rule.mark.overridden_until = Some(period.end.naive_utc());
                rule.mark.changed = false;
                marks.push(rule.mark);
            }
        }
        for mark in marks {
            self.save_mark(mark, ctx);
        }
        let key = (c.host.clone(), c.name.clone());
        self.containers.insert(key.clone(), c);
        self.follow_health(&key, ctx);
    }

    /// Learns every host's containers from its DockerActor's cache, and follows their health as
    /// if just told. Docker tells a health change once: a container that turned unhealthy before
    /// this actor listened (at start-up, after its own restart, events lost in a lag) or while a
    /// host was away would otherwise never be healed.
    fn seed(&mut self, ctx: &mut Context<Self>) {
        let hosts = self.hosts.clone();
        ctx.spawn(async move { hosts.list_all().await }.into_actor(self).map(|listed, act, ctx| {
            for (host, containers) in listed {
                let Ok(containers) = containers else { continue };
                // what a lost event removed is gone from the list too
                let names: std::collections::HashSet<&str> =
                    containers.iter().map(|c| c.name.as_str()).collect();
                let gone: Vec<Key> = act
                    .containers
                    .keys()
                    .filter(|(h, name)| *h == host && !names.contains(name.as_str()))
                    .cloned()
                    .collect();
                for key in gone {
                    act.forget(&key, ctx);
                }
                for c in containers {
                    let key = (c.host.clone(), c.name.clone());
                    act.containers.insert(key.clone(), c);
                    act.follow_health(&key, ctx);
                }
            }
            act.bus.touch();
        }));
    }

    /// The container is gone, and its autoheal bookkeeping with it.
    fn forget(&mut self, key: &Key, ctx: &mut Context<Self>) {
        self.containers.remove(key);
        if let Some(handle) = self.heals.remove(key).and_then(|h| h.timer) {
            ctx.cancel_future(handle);
        }
    }

    /// The container's autoheal limits: its entry in the rule set, or the defaults when its
    /// label `chrontainer.autoheal=true` opts it in (both under the rule set's on/off switch).
    fn limits(&self, key: &Key) -> Option<AutohealLimits> {
        let label = self.containers.get(key).and_then(|c| c.labels.get(crate::labels::AUTOHEAL));
        let by_label = crate::labels::autoheal_wanted(label.map(String::as_str));
        self.autoheal.limits_for(&key.0, &key.1, by_label)
    }

    /// Arms, or disarms, the container's autoheal timer for its health now.
    fn follow_health(&mut self, key: &Key, ctx: &mut Context<Self>) {
        let Some(c) = self.containers.get(key) else { return };
        let unhealthy = c.state == "running" && c.health.as_deref() == Some("unhealthy");
        let healthy = c.state == "running" && c.health.as_deref() == Some("healthy");
        let limits = self.limits(key);
        let heal = self.heals.entry(key.clone()).or_default();
        let now = Utc::now();
        let Some(limits) = limits.filter(|_| unhealthy) else {
            if let Some(handle) = heal.timer.take() {
                ctx.cancel_future(handle);
            }
            if healthy {
                heal.healthy_since.get_or_insert(now);
            }
            return;
        };
        if heal.healthy_since.take().is_some_and(|t| now - t >= HEALTHY_RESET) {
            heal.restarts.clear();
            heal.gave_up = false;
        }
        heal.restarts.retain(|t| now - *t < limits.period());
        if heal.timer.is_none() && !heal.busy && !heal.gave_up {
            let key = key.clone();
            let delay = limits.delay(heal.restarts.len());
            heal.timer = Some(ctx.run_later(delay, move |act, ctx| act.heal(key, ctx)));
        }
    }

    /// The container has been unhealthy for its delay: restart it, or give up.
    fn heal(&mut self, key: Key, ctx: &mut Context<Self>) {
        let (Some(c), Some(limits)) = (self.containers.get(&key).cloned(), self.limits(&key)) else {
            return;
        };
        let Some(heal) = self.heals.get_mut(&key) else { return };
        heal.timer = None;
        if c.state != "running" || c.health.as_deref() != Some("unhealthy") {
            return;
        }
        let now = Utc::now();
        heal.restarts.retain(|t| now - *t < limits.period());
        let runner = self.runner.clone();
        if heal.restarts.len() >= usize::try_from(limits.max_restarts).unwrap_or(usize::MAX) {
            heal.gave_up = true;
            let result = gave_up(&c, heal.restarts.len(), &limits);
            ctx.spawn(
                async move {
                    if let Err(e) = runner.record(result, None).await {
                        log::warn!("autoheal of {}: cannot record that it gave up: {e}", c.name);
                    }
                }
                .into_actor(self),
            );
            return;
        }
        heal.busy = true;
        let request = Request {
            target: Target::container(c.host.clone(), c.name.clone()),
            action: Action::Restart,
            trigger: Trigger::Health,
            schedule_id: None,
            requested_by: None,
        };
        let guard = Guard { only_if: Some(OnlyIf::Unhealthy), respect_manual: true };
        ctx.spawn(async move { runner.run_guarded(request, guard).await }.into_actor(self).map(
            move |outcome, act, ctx| {
                if let Some(heal) = act.heals.get_mut(&key) {
                    heal.busy = false;
                    match outcome {
                        Ok(o) if o.entry.status == RunStatus::Success => heal.restarts.push(Utc::now()),
                        Ok(o) if o.failure == Some(RunFailure::NotFound) => return,
                        Ok(_) => {}
                        Err(e) => log::warn!("autoheal of {} on {}: {e}", key.1, key.0),
                    }
                }
                // still unhealthy as far as the bus knows (its new state may be on its way): wait again
                act.follow_health(&key, ctx);
            },
        ));
    }

    /// The rules on each container, for the dashboard.
    fn rule_texts(&self) -> Vec<RuleText> {
        let now = Utc::now();
        let mut texts: HashMap<Key, Vec<String>> = HashMap::new();
        for rule in self.windows.values() {
            let spec = &rule.spec;
            let lines = texts.entry((spec.target.host.clone(), spec.container.clone())).or_default();
            lines.push(spec.window.describe());
            if let Some(until) = rule.mark.overridden_until.map(to_utc).filter(|t| *t > now) {
                let local = until.with_timezone(&spec.tz).format("%H:%M");
                lines.push(format!("window overridden until {local}"));
            }
        }
        for key in self.containers.keys() {
            let Some(limits) = self.limits(key) else { continue };
            let heal = self.heals.get(key);
            let recent =
                heal.map_or(0, |h| h.restarts.iter().filter(|t| now - **t < limits.period()).count());
            let period = match limits.per_minutes {
                60 => "the last hour".to_string(),
                m => format!("the last {m} minutes"),
            };
            let line = if heal.is_some_and(|h| h.gave_up) {
                format!("autoheal gave up: {recent} restarts in {period}")
            } else {
                let s = if recent == 1 { "" } else { "s" };
                format!("autoheal on: {recent} restart{s} in {period}")
            };
            texts.entry(key.clone()).or_default().push(line);
        }
        let mut out: Vec<RuleText> =
            texts.into_iter().map(|((host, container), lines)| RuleText { host, container, lines }).collect();
        out.sort_by(|a, b| (&a.host, &a.container).cmp(&(&b.host, &b.container)));
        out
    }
}

/// Whether each host's Docker answered when it last said, so that each host's return is seen,
/// whatever the others do.
#[derive(Default)]
struct Links(HashMap<HostId, bool>);

impl Links {
    /// The host says it is up (or not): true when it is back after being unreachable.
    fn saw(&mut self, host: &HostId, up: bool) -> bool {
        self.0.insert(host.clone(), up) == Some(false) && up
    }
}

fn gave_up(c: &Container, restarts: usize, limits: &AutohealLimits) -> RunResult {
    let s = if restarts == 1 { "" } else { "s" };
    RunResult {
        host: c.host.clone(),
        schedule_id: None,
        container_name: c.name.clone(),
        container_id: Some(c.id.clone()),
        action: Action::Restart,
        trigger: Trigger::Health,
        status: RunStatus::GaveUp,
        message: format!(
            "gave up: {restarts} restart{s} in the last {} minutes did not make it healthy; it is left alone \
             until it has been healthy for a while",
            limits.per_minutes
        ),
        duration_ms: 0,
        started_at: Utc::now(),
        failure: None,
    }
}

impl Actor for WatchActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let events = futures_util::stream::unfold(self.bus.subscribe(), |mut rx| async move {
            use tokio::sync::broadcast::error::RecvError;
            match rx.recv().await {
                Ok(event) => Some((Some(event), rx)),
                Err(RecvError::Lagged(_)) => Some((None, rx)),
                Err(RecvError::Closed) => None,
            }
        });
        ctx.add_stream(events);
        let store = self.store.clone();
        let load = async move {
            let rows = store::schedules::list(&store).await?;
            let marks = store::window_marks::all(&store).await?;
            let autoheal = store::autoheal::load(&store).await?;
            Ok::<_, AppError>((rows, marks, autoheal))
        };
        ctx.wait(load.into_actor(self).map(|loaded, act, ctx| {
            let (rows, marks, autoheal) = match loaded {
                Ok(loaded) => loaded,
                Err(e) => return log::error!("watch: cannot load windows and autoheal rules: {e}"),
            };
            act.autoheal = autoheal;
            let mut marks: HashMap<ScheduleId, WindowMark> =
                marks.into_iter().map(|m| (m.schedule_id, m)).collect();
            for row in rows.into_iter().filter(|r| r.time_window.is_some()) {
                let mark = marks.remove(&row.id);
                act.upsert(&Schedule::from(row), mark, ctx);
            }
            log::info!("watch: {} windows armed", act.windows.len());
            act.seed(ctx);
        }));
    }
}

impl Supervised for WatchActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        log::warn!("watch actor restarting: reloading windows and autoheal rules");
        // the context's timers and stream are gone; `started` runs again and reloads
        self.windows.clear();
        self.heals.clear();
        self.containers.clear();
        self.links = Links::default();
    }
}

/// An item of the bus, or `None` when some were lost (this actor fell behind).
impl StreamHandler<Option<Event>> for WatchActor {
    fn handle(&mut self, seen: Option<Event>, ctx: &mut Context<Self>) {
        match seen {
            Some(Event::Container(c)) => self.on_container(c, ctx),
            Some(Event::ContainerRemoved { host, name, .. }) => self.forget(&(host, name), ctx),
            Some(Event::Schedule(s)) => self.upsert(&s, None, ctx),
            Some(Event::ScheduleDeleted { id }) => self.release(id, ctx),
            Some(Event::Docker { host, health }) => {
                // back after being unreachable: what its windows say may have been missed
                if self.links.saw(&host, health.status == "ok") {
                    let ids: Vec<i32> = self
                        .windows
                        .iter()
                        .filter(|(_, r)| r.spec.target.host == host)
                        .map(|(id, _)| *id)
                        .collect();
                    for id in ids {
                        self.evaluate(id, ctx);
                    }
                    self.seed(ctx);
                }
            }
            Some(Event::Log(_)) => return,
            None => {
                self.evaluate_all(ctx);
                self.seed(ctx);
            }
        }
        // the rules' words on the dashboard may have changed after the event was counted
        self.bus.touch();
    }

    /// The bus ends only with the process.
    fn finished(&mut self, _: &mut Context<Self>) {}
}

/// Replaces the autoheal rule set: stored, then followed at once.
#[derive(Message)]
#[rtype(result = "Result<AutohealRules, AppError>")]
pub struct SetAutoheal(pub AutohealRules);

impl Handler<SetAutoheal> for WatchActor {
    type Result = ResponseActFuture<Self, Result<AutohealRules, AppError>>;

    fn handle(&mut self, SetAutoheal(rules): SetAutoheal, _: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        Box::pin(async move { store::autoheal::save(&store, rules).await }.into_actor(self).map(
            |saved, act, ctx| {
                let saved = saved?;
                act.autoheal = saved.clone();
                act.bus.touch();
                let keys: Vec<Key> = act.containers.keys().cloned().collect();
                for key in keys {
                    act.follow_health(&key, ctx);
                }
                Ok(saved)
            },
        ))
    }
}

/// The rules on each container, in words, for the dashboard.
#[derive(Message)]
#[rtype(result = "Vec<RuleText>")]
pub struct RuleTexts;

impl Handler<RuleTexts> for WatchActor {
    type Result = Vec<RuleText>;

    fn handle(&mut self, _: RuleTexts, _: &mut Context<Self>) -> Vec<RuleText> {
        self.rule_texts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_coming_back_is_seen_whatever_the_others_did() {
        let (a, b) = (HostId("a".into()), HostId("b".into()));
        let mut links = Links::default();
        // first news of a host is not a return
        assert!(!links.saw(&a, true));
        assert!(!links.saw(&b, true));
        assert!(!links.saw(&a, false));
        assert!(!links.saw(&b, false));
        assert!(links.saw(&a, true), "a is back");
        assert!(links.saw(&b, true), "b is back, after a came back first");
        assert!(!links.saw(&b, true), "up again is no return");
    }
}
