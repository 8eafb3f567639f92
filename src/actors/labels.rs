//! LabelActor: keeps one schedule row (`origin = label`) per job that the containers of every host
//! define with `chrontainer.*` labels (the grammar is `crate::labels`). A label schedule belongs to
//! the host whose container carries the labels.
//!
//! It reads the containers each host's DockerActor publishes on the live bus (created, started,
//! changed, removed; a host that connects, at start-up or added later, publishes all of its own)
//! and every host's list at start-up (`Hosts::list_all`, so a host that does not answer delays no
//! other), and changes rows only through the SchedulerActor, so timers follow at once. A host that
//! cannot be reached is logged once, and its label schedules are kept until it answers again. One event is handled at a time (`ctx.wait`), so two events for one
//! container cannot create its job twice.
//!
//! A job is known by its identity on the host (`compose:<project>/<service>` for a compose service,
//! so replicas share one job, else `name:<container>`) and its id (`restart`, `job.<name>`): a
//! re-created container finds its rows again. A row nobody overrode follows the labels; an
//! overridden one keeps the person's values and is marked `label_changed`. A row whose container
//! has been gone for `CHRONTAINER_LABEL_GRACE` is removed, logged once. A refused label is one
//! `error` entry (trigger `label`) per container, label and problem, and stops nothing else.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;

use super::runner::Runner;
use super::scheduler::{Create, Delete, SchedulerActor, Update};
use crate::docker::Hosts;
use crate::domain::{Action, Container, HostId, RunResult, RunStatus, ScheduleId, ScheduleOrigin, Trigger};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::labels::{self, quote, JobSpec, LabelError, Labels};
use crate::store::{self, NewSchedule, ScheduleChanges, ScheduleRow, Store};

/// A sweep after a removal comes this much after the grace, so the container is surely past it.
const SWEEP_SLACK: Duration = Duration::from_millis(200);
/// Sweeps also come this often, for containers that went while Docker could not be reached (no
/// removal event tells of those).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Where a job's container is on its host: its compose service, else its name.
pub fn identity(c: &Container) -> String {
    match (&c.compose_project, &c.compose_service) {
        (Some(project), Some(service)) => format!("compose:{project}/{service}"),
        _ => format!("name:{}", c.name),
    }
}

/// `(identity, job id)` of a stored `label_key`.
fn split_key(key: &str) -> Option<(&str, &str)> {
    key.rsplit_once('#')
}

/// The hash stored beside a job's values: it changes when the labels ask for something else.
fn hash_of(spec_json: &str) -> String {
    Sha256::digest(spec_json.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The columns that make a row do what `spec` says (a new row, a row following its labels, or
/// "revert to the label"); the override is cleared.
pub fn follow_spec(spec: &JobSpec, default_tz: Tz) -> ScheduleChanges {
    ScheduleChanges {
        action: Some(spec.action),
        cron_expression: Some(Some(spec.cron.clone())),
        run_at: Some(None),
        timezone: Some(spec.timezone.clone().unwrap_or_else(|| default_tz.name().to_string())),
        only_if: Some(spec.only_if),
        time_window: Some(window_of(spec)),
        overridden: Some(false),
        label_changed: Some(false),
        ..Default::default()
    }
}

/// A window job's window (checked when its label was read).
fn window_of(spec: &JobSpec) -> Option<crate::domain::Window> {
    spec.window.as_ref().and_then(|w| w.to_window().ok())
}

/// The job values stored on a label row (`label_spec`).
pub fn stored_spec(row: &ScheduleRow) -> Result<JobSpec, AppError> {
    let text = row.label_spec.as_deref().unwrap_or("");
    serde_json::from_str(text)
        .map_err(|e| AppError::Internal(format!("schedule {}: its label values cannot be read: {e}", row.id)))
}

/// A container on a host: its ID there (or an identity, for `missing`).
type OnHost = (HostId, String);

/// What the actor needs to act, cloned into each piece of work.
#[derive(Clone)]
struct Hands {
    store: Store,
    scheduler: Addr<SchedulerActor>,
    runner: Runner,
    default_tz: Tz,
}

impl Hands {
    /// One entry in the activity log, through the Runner like every result.
    async fn log(
        &self,
        host: &HostId,
        schedule_id: Option<ScheduleId>,
        container: &str,
        action: Action,
        status: RunStatus,
        message: String,
    ) {
        let result = RunResult {
            host: host.clone(),
            schedule_id,
            container_name: container.to_string(),
            container_id: None,
            action,
            trigger: Trigger::Label,
            status,
            message,
            duration_ms: 0,
            started_at: Utc::now(),
            failure: None,
        };
        if let Err(e) = self.runner.record(result, None).await {
            log::warn!("labels: cannot log for container {container}: {e}");
        }
    }

    async fn log_refused(&self, c: &Container, e: &LabelError) {
        // the entry names an action: the one the label names, else restart (what a job does most)
        let action = e
            .label
            .strip_prefix(labels::PREFIX)
            .and_then(|rest| rest.split('.').next())
            .and_then(|word| word.parse::<Action>().ok())
            .unwrap_or(Action::Restart);
        let message = format!("label {} on container {} refused: {}", e.label, c.name, e.problem);
        log::warn!("{message}");
        self.log(&c.host, None, &c.name, action, RunStatus::Error, message).await;
    }

    /// Brings the rows of `c`'s jobs in step with its labels; answers the problems it logged.
    async fn reconcile(
        &self,
        c: Container,
        parsed: Labels,
        reported: HashSet<LabelError>,
    ) -> Vec<LabelError> {
        let mut logged = Vec::new();
        for e in parsed.errors.iter().filter(|e| !reported.contains(*e)) {
            self.log_refused(&c, e).await;
            logged.push(e.clone());
        }
        let rows = match store::schedules::from_labels(&self.store, c.host.clone()).await {
            Ok(rows) => rows,
            Err(e) => {
                log::warn!("labels: cannot read the label schedules: {e}");
                return logged;
            }
        };
        let base = identity(&c);
        let mine: Vec<&ScheduleRow> = rows
            .iter()
            .filter(|r| r.label_key.as_deref().and_then(split_key).is_some_and(|(b, _)| b == base))
            .collect();
        for job in &parsed.jobs {
            let key = format!("{base}#{}", job.id);
            let done = match mine.iter().find(|r| r.label_key.as_deref() == Some(key.as_str())) {
                Some(row) => self.follow(row, &c, &job.spec).await,
                None => self.create(&c, key, &job.spec).await,
            };
            if let Err(e) = done {
                let refused = LabelError {
                    label: quote(&format!("chrontainer.{}.schedule", job.id)),
                    problem: e.to_string(),
                };
                if !reported.contains(&refused) && !logged.contains(&refused) {
                    self.log_refused(&c, &refused).await;
                    logged.push(refused);
                }
            }
        }
        for row in mine {
            let Some((_, id)) = row.label_key.as_deref().and_then(split_key) else { continue };
            if parsed.jobs.iter().any(|j| j.id == id) || parsed.refused.iter().any(|r| r == id) {
                continue;
            }
            let why = format!("the labels of container {} no longer define chrontainer.{id}.*", c.name);
            self.remove(row, why).await;
        }
        logged
    }

    async fn create(&self, c: &Container, key: String, spec: &JobSpec) -> Result<(), AppError> {
        let spec_json = serde_json::to_string(spec).map_err(|e| AppError::Internal(e.to_string()))?;
        let follow = follow_spec(spec, self.default_tz);
        let now = Utc::now().naive_utc();
        let new = NewSchedule {
            host: c.host.clone(),
            container_name: c.name.clone(),
            container_id: Some(c.id.clone()),
            compose_project: c.compose_project.clone(),
            compose_service: c.compose_service.clone(),
            action: spec.action,
            cron_expression: Some(spec.cron.clone()),
            run_at: None,
            timezone: follow.timezone.unwrap_or_else(|| self.default_tz.name().to_string()),
            enabled: true,
            description: None,
            created_at: now,
            updated_at: now,
            next_run: None,
            origin: ScheduleOrigin::Label,
            label_key: Some(key),
            label_hash: Some(hash_of(&spec_json)),
            label_spec: Some(spec_json),
            // `chrontainer.notify=false` is asked of the container when a result is notified
            // (`labels::notify_allowed`), for every schedule alike
            notify: true,
            service: None,
            only_if: spec.only_if,
            respect_manual: true,
            time_window: window_of(spec),
            steps: None,
        };
        let schedule = self.scheduler.send(Create(new)).await??;
        log::info!("labels: {} created from the labels of container {}", schedule.describe(), c.name);
        Ok(())
    }

    /// A row whose job is still defined: follow new label values unless a person overrode it.
    async fn follow(&self, row: &ScheduleRow, c: &Container, spec: &JobSpec) -> Result<(), AppError> {
        let spec_json = serde_json::to_string(spec).map_err(|e| AppError::Internal(e.to_string()))?;
        let hash = hash_of(&spec_json);
        if row.label_hash.as_deref() == Some(hash.as_str()) {
            return Ok(());
        }
        let mut changes = if row.overridden {
            ScheduleChanges { label_changed: Some(true), ..Default::default() }
        } else {
            follow_spec(spec, self.default_tz)
        };
        changes.label_spec = Some(Some(spec_json));
        changes.label_hash = Some(Some(hash));
        if row.container_name == c.name {
            changes.container_id = Some(Some(c.id.clone()));
        }
        let schedule = self.scheduler.send(Update { id: row.id.0, changes }).await??;
        let how = if row.overridden {
            "kept (overridden), its labels changed"
        } else {
            "follows its changed labels"
        };
        log::info!("labels: {} {how}", schedule.describe());
        Ok(())
    }

    async fn remove(&self, row: &ScheduleRow, why: String) {
        if let Err(e) = self.scheduler.send(Delete(row.id.0)).await.map_err(AppError::from).and_then(|r| r) {
            log::warn!("labels: cannot remove schedule {}: {e}", row.id);
            return;
        }
        let message = format!("label schedule #{} removed: {why}", row.id);
        log::info!("{message}");
        self.log(&row.host, Some(row.id), &row.container_name, row.action, RunStatus::Success, message).await;
    }
}

/// The one actor for every host.
pub struct LabelActor {
    hands: Hands,
    hosts: Hosts,
    bus: EventBus,
    /// How long a job outlives its container (a re-created container comes back within it).
    grace: Duration,
    /// Problems already logged, by container (until it is removed).
    reported: HashMap<OnHost, HashSet<LabelError>>,
    /// The problems of each container's labels now, for the dashboard.
    problems: HashMap<OnHost, Vec<String>>,
    /// Identities with label rows and no container, and since when.
    missing: HashMap<OnHost, Instant>,
    /// The identity of each container seen, to know which went when one is removed.
    identities: HashMap<OnHost, String>,
    /// Hosts whose containers could not be read at the last look (logged once, until they answer).
    blind: HashSet<HostId>,
    subscribed: bool,
}

/// The settings a LabelActor runs with.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The zone of a job without `.timezone` (`CHRONTAINER_TIMEZONE`).
    pub default_tz: Tz,
    /// `CHRONTAINER_LABEL_GRACE`.
    pub grace: Duration,
}

impl LabelActor {
    pub fn new(
        store: Store,
        hosts: Hosts,
        scheduler: Addr<SchedulerActor>,
        runner: Runner,
        bus: EventBus,
        Settings { default_tz, grace }: Settings,
    ) -> Self {
        LabelActor {
            hands: Hands { store, scheduler, runner, default_tz },
            hosts,
            bus,
            grace,
            reported: HashMap::new(),
            problems: HashMap::new(),
            missing: HashMap::new(),
            identities: HashMap::new(),
            blind: HashSet::new(),
            subscribed: false,
        }
    }

    /// Forwards every host's container events from the bus into the mailbox.
    fn subscribe(&mut self, ctx: &mut Context<Self>) {
        if std::mem::replace(&mut self.subscribed, true) {
            return;
        }
        let mut rx = self.bus.subscribe();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(Event::Container(c)) => addr.do_send(Seen(c)),
                    Ok(Event::ContainerRemoved { host, id, .. }) => addr.do_send(Gone(host, id)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => addr.do_send(Resync),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    fn seen(&mut self, c: Container, ctx: &mut Context<Self>) {
        let parsed = labels::parse(c.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let shown: Vec<String> =
            parsed.errors.iter().map(|e| format!("{}: {}", e.label, e.problem)).collect();
        let at: OnHost = (c.host.clone(), c.id.clone());
        let changed = self.problems.get(&at).map_or(!shown.is_empty(), |before| *before != shown);
        if shown.is_empty() {
            self.problems.remove(&at);
        } else {
            self.problems.insert(at.clone(), shown);
        }
        if changed {
            self.bus.touch();
        }
        self.missing.remove(&(c.host.clone(), identity(&c)));
        self.identities.insert(at.clone(), identity(&c));
        let reported = self.reported.get(&at).cloned().unwrap_or_default();
        let hands = self.hands.clone();
        ctx.wait(async move { hands.reconcile(c, parsed, reported).await }.into_actor(self).map(
            move |logged, act, _| {
                if !logged.is_empty() {
                    act.reported.entry(at).or_default().extend(logged);
                }
            },
        ));
    }

    /// Whether `host`'s containers could be read: an outage is logged once, and so is the return.
    fn readable(&mut self, host: &HostId, listed: &Result<Vec<Container>, AppError>) -> bool {
        match listed {
            Ok(_) => {
                if self.blind.remove(host) {
                    log::info!(
                        "labels: host {host} answers again; its label schedules follow its containers"
                    );
                }
                true
            }
            Err(e) => {
                if self.blind.insert(host.clone()) {
                    log::warn!(
                        "labels: the containers of host {host} cannot be read ({e}); its label schedules \
                         are kept until it answers"
                    );
                }
                false
            }
        }
    }

    /// Removes the rows whose container has been gone for the grace; comes back for the others.
    /// A host that cannot be read keeps its rows: it has not removed anything.
    fn sweep(&mut self, ctx: &mut Context<Self>) {
        let (hosts, store) = (self.hosts.clone(), self.hands.store.clone());
        let look = async move {
            let mut found = Vec::new();
            for (host, listed) in hosts.list_all().await {
                let rows = match &listed {
                    Ok(_) => store::schedules::from_labels(&store, host.clone()).await,
                    Err(_) => Ok(Vec::new()),
                };
                found.push((host, listed, rows));
            }
            found
        };
        ctx.wait(look.into_actor(self).then(|found, act, ctx| {
            let mut doomed = Vec::new();
            let mut again = None;
            let now = Instant::now();
            for (host, listed, rows) in found {
                if !act.readable(&host, &listed) {
                    continue;
                }
                let (Ok(containers), Ok(rows)) = (listed, rows.map_err(|e| log::warn!("labels: {e}"))) else {
                    continue;
                };
                let present: HashSet<String> = containers.iter().map(identity).collect();
                act.missing.retain(|(h, base), _| *h != host || !present.contains(base));
                for row in rows {
                    let Some((base, _)) = row.label_key.as_deref().and_then(split_key) else { continue };
                    if present.contains(base) {
                        continue;
                    }
                    let since = *act.missing.entry((host.clone(), base.to_string())).or_insert(now);
                    match act.grace.checked_sub(now - since) {
                        Some(left) if !left.is_zero() => {
                            again = Some(again.map_or(left, |a: Duration| a.min(left)))
                        }
                        _ => doomed.push(row),
                    }
                }
            }
            if let Some(left) = again {
                ctx.run_later(left + SWEEP_SLACK, |act, ctx| act.sweep(ctx));
            }
            let hands = act.hands.clone();
            async move {
                for row in doomed {
                    let why = format!("its container {} is gone from host {}", row.container_name, row.host);
                    hands.remove(&row, why).await;
                }
            }
            .into_actor(act)
        }));
    }
}

impl Actor for LabelActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.subscribe(ctx);
        ctx.notify(Resync);
        ctx.run_interval(SWEEP_EVERY, |act, ctx| act.sweep(ctx));
    }
}

impl Supervised for LabelActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        log::warn!("label actor restarting: reading every container's labels again");
    }
}

/// A container as the DockerActor now sees it.
#[derive(Message)]
#[rtype(result = "()")]
struct Seen(Container);

impl Handler<Seen> for LabelActor {
    type Result = ();

    fn handle(&mut self, Seen(c): Seen, ctx: &mut Context<Self>) {
        self.seen(c, ctx);
    }
}

/// A container was removed from a host: its jobs go after the grace unless it comes back.
#[derive(Message)]
#[rtype(result = "()")]
struct Gone(HostId, String);

impl Handler<Gone> for LabelActor {
    type Result = ();

    fn handle(&mut self, Gone(host, id): Gone, ctx: &mut Context<Self>) {
        let at = (host, id);
        self.reported.remove(&at);
        if self.problems.remove(&at).is_some() {
            self.bus.touch();
        }
        if let Some(base) = self.identities.remove(&at) {
            self.missing.entry((at.0, base)).or_insert_with(Instant::now);
        }
        ctx.run_later(self.grace + SWEEP_SLACK, |act, ctx| act.sweep(ctx));
    }
}

/// Reads every container's labels again (at start-up, and when events were lost), then sweeps.
#[derive(Message)]
#[rtype(result = "()")]
struct Resync;

impl Handler<Resync> for LabelActor {
    type Result = ();

    fn handle(&mut self, _: Resync, ctx: &mut Context<Self>) {
        let hosts = self.hosts.clone();
        ctx.wait(async move { hosts.list_all().await }.into_actor(self).map(|listed, act, ctx| {
            for (host, containers) in listed {
                if act.readable(&host, &containers) {
                    for c in containers.into_iter().flatten() {
                        act.seen(c, ctx);
                    }
                }
            }
            act.sweep(ctx);
        }));
    }
}

/// The refused labels of each container now, by host and container ID (the dashboard's rows show
/// them).
#[derive(Message)]
#[rtype(result = "HashMap<(HostId, String), Vec<String>>")]
pub struct Problems;

impl Handler<Problems> for LabelActor {
    type Result = MessageResult<Problems>;

    fn handle(&mut self, _: Problems, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.problems.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, compose: Option<(&str, &str)>) -> Container {
        Container {
            host: HostId::local(),
            id: format!("id-{name}"),
            name: name.into(),
            image: "busybox".into(),
            state: "running".into(),
            status: String::new(),
            health: None,
            compose_project: compose.map(|c| c.0.to_string()),
            compose_service: compose.map(|c| c.1.to_string()),
            created: Utc::now(),
            started_at: None,
            labels: Default::default(),
        }
    }

    #[test]
    fn replicas_of_a_service_share_one_identity_and_others_go_by_name() {
        let a = identity(&container("shop-web-1", Some(("shop", "web"))));
        let b = identity(&container("shop-web-2", Some(("shop", "web"))));
        assert_eq!(a, b);
        assert_eq!(a, "compose:shop/web");
        assert_eq!(identity(&container("db", None)), "name:db");
        assert_eq!(split_key("compose:shop/web#job.nightly"), Some(("compose:shop/web", "job.nightly")));
    }

    #[test]
    fn a_spec_sets_the_timetable_and_clears_the_override() {
        let spec = JobSpec {
            action: Action::Stop,
            cron: "0 3 * * *".into(),
            timezone: None,
            only_if: None,
            window: None,
        };
        let c = follow_spec(&spec, chrono_tz::Europe::Berlin);
        assert_eq!(c.timezone.as_deref(), Some("Europe/Berlin"));
        assert_eq!((c.action, c.overridden, c.label_changed), (Some(Action::Stop), Some(false), Some(false)));
        assert_eq!(c.run_at, Some(None));
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(hash_of(&json).len(), 32);
        assert_ne!(hash_of(&json), hash_of(&json.replace("stop", "start")));
    }
}
