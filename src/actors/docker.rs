//! DockerActor: the bollard client, the container cache fed by Docker's `/events` stream, and the
//! set of containers with an action in flight. Its helpers are in `crate::docker`.
//!
//! Life of the connection: `connect` negotiates the API version and takes a full snapshot (one
//! list, one inspect per container) before the actor says "ok"; then the `/events` stream keeps
//! the cache fresh (one inspect per relevant event), and a light resync every minute inspects
//! only containers whose listed state differs from the cache. When the stream ends or a call
//! cannot reach the Engine, `connect` runs again; while it fails, the actor reports unreachable
//! and retries with back-off.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::fut::{self, ActorFutureExt, ActorStreamExt, LocalBoxActorFuture};
use actix::prelude::*;
use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{oneshot, watch, Semaphore};

use crate::action::{Action, RunStatus, Trigger};
use crate::docker::actions::{self, Observation};
use crate::docker::cache::{Cache, Change};
use crate::docker::connect::{self, classify, describe, Connection, Failure};
use crate::docker::convert::Entry;
use crate::docker::filter::{self, Relevance};
use crate::docker::resolve::{self, Resolved};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;

/// API.md's `Container`. `status` is Docker's text ("Up 5 minutes"), computed when it is shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: String,
    pub status: String,
    pub health: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    #[serde(with = "crate::time::serde_utc")]
    pub created: DateTime<Utc>,
    /// When it last started, kept after it stops (with `status` that tells how long ago it
    /// exited); `null` only when it has never run.
    #[serde(with = "crate::time::serde_utc::option")]
    pub started_at: Option<DateTime<Utc>>,
}

/// `GET /healthz`'s `docker` object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DockerHealth {
    /// `ok` or `unreachable`.
    pub status: &'static str,
    pub api_version: Option<String>,
    pub engine_version: Option<String>,
    pub error: Option<String>,
}

/// What an action is aimed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A name, a full ID or a unique ID prefix (manual actions).
    Ref(String),
    /// A schedule's target: its container name, else the container with these compose labels.
    Schedule { name: String, compose_project: Option<String>, compose_service: Option<String> },
}

impl Target {
    /// The name to show in the log when no container could be resolved.
    pub fn display_name(&self) -> &str {
        match self {
            Target::Ref(r) => r,
            Target::Schedule { name, .. } => name,
        }
    }
}

/// Why an action did not reach Docker or was refused, so an HTTP caller can answer with the right code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunFailure {
    NotFound,
    Busy,
    Docker,
    Unreachable,
}

/// The outcome of one `RunAction`, success or not. Every one ends as a log entry.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub schedule_id: Option<i32>,
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

/// All containers, from the cache. Err(DockerUnreachable) while the Engine cannot be reached.
#[derive(Message)]
#[rtype(result = "Result<Vec<Container>, AppError>")]
pub struct ListContainers;

/// One container by name, full ID or unique ID prefix. 404 `container_not_found`.
#[derive(Message)]
#[rtype(result = "Result<Container, AppError>")]
pub struct GetContainer(pub String);

/// Do `action` to `target` now. Never queued behind another action on the same container.
#[derive(Message)]
#[rtype(result = "RunResult")]
pub struct RunAction {
    pub target: Target,
    pub action: Action,
    pub trigger: Trigger,
    pub schedule_id: Option<i32>,
}

#[derive(Message)]
#[rtype(result = "DockerHealth")]
pub struct Health;

/// How many actions are in flight (graceful shutdown waits for zero).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct InFlight;

/// The first retry comes quickly; then the wait doubles up to the cap.
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Safety net for events missed (there should be none while the stream is up).
const RESYNC_EVERY: Duration = Duration::from_secs(60);
/// Actions on different containers running at once.
const MAX_PARALLEL_ACTIONS: usize = 8;
/// How long a request made during start-up waits for the first connection attempt, so that it
/// does not see an empty or "unreachable" Docker only because it came a few milliseconds early.
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(5);

enum Link {
    /// Not connected; why.
    Down(String),
    Up(Connection),
}

pub struct DockerActor {
    bus: EventBus,
    metrics: Arc<Metrics>,
    stop_timeout: Duration,
    link: Link,
    cache: Cache,
    /// Container IDs with an action in flight.
    in_flight: HashSet<String>,
    permits: Arc<Semaphore>,
    /// Container IDs being inspected after an event → whether another event came meanwhile.
    refreshing: HashMap<String, bool>,
    /// Bumped whenever the events stream is replaced, so the old one's last items are ignored.
    generation: u64,
    connecting: bool,
    resyncing: bool,
    backoff: Duration,
    events: Option<SpawnHandle>,
    retry: Option<SpawnHandle>,
    /// Requests waiting for the next resync.
    sync_waiters: Vec<oneshot::Sender<()>>,
    /// True once the first connection attempt has ended, either way.
    settled: watch::Sender<bool>,
}

impl DockerActor {
    pub fn new(bus: EventBus, metrics: Arc<Metrics>, stop_timeout: Duration) -> Self {
        DockerActor {
            bus,
            metrics,
            stop_timeout,
            link: Link::Down("connecting to the Docker Engine".into()),
            cache: Cache::default(),
            in_flight: HashSet::new(),
            permits: Arc::new(Semaphore::new(MAX_PARALLEL_ACTIONS)),
            refreshing: HashMap::new(),
            generation: 0,
            connecting: false,
            resyncing: false,
            backoff: BACKOFF_START,
            events: None,
            retry: None,
            sync_waiters: Vec::new(),
            settled: watch::channel(false).0,
        }
    }

    fn client(&self) -> Option<&bollard::Docker> {
        match &self.link {
            Link::Up(c) => Some(&c.client),
            Link::Down(_) => None,
        }
    }

    fn health(&self) -> DockerHealth {
        match &self.link {
            Link::Up(c) => DockerHealth {
                status: "ok",
                api_version: Some(c.api_version.clone()),
                engine_version: Some(c.engine_version.clone()),
                error: None,
            },
            Link::Down(e) => DockerHealth {
                status: "unreachable",
                api_version: None,
                engine_version: None,
                error: Some(e.clone()),
            },
        }
    }

    /// (Re)connects and takes a full snapshot; the link stays as it is until that ends, so a
    /// stream that merely ended does not flash "unreachable".
    fn connect(&mut self, ctx: &mut Context<Self>) {
        if self.connecting {
            return;
        }
        self.connecting = true;
        if let Some(handle) = self.retry.take() {
            ctx.cancel_future(handle);
        }
        let seen_at = self.cache.tick();
        // events from here on are replayed by Docker, so none falls between snapshot and stream
        let since = Utc::now().timestamp() - 2;
        let attempt = async move {
            let conn = connect::connect().await?;
            let snapshot =
                connect::snapshot(&conn.client, HashMap::new(), seen_at).await.map_err(|e| describe(&e))?;
            Ok::<_, String>((conn, snapshot))
        };
        ctx.spawn(fut::wrap_future(attempt).map(move |result, act: &mut Self, ctx| {
            act.connecting = false;
            match result {
                Ok((conn, snapshot)) => act.up(conn, snapshot, since, ctx),
                Err(e) => act.down(e, ctx),
            }
            act.settled.send_replace(true);
        }));
    }

    fn up(
        &mut self,
        conn: Connection,
        snapshot: crate::docker::cache::Snapshot,
        since: i64,
        ctx: &mut Context<Self>,
    ) {
        let before = self.health();
        if let Link::Down(_) = self.link {
            log::info!(
                "Docker Engine {} answers, API {} ({} containers)",
                conn.engine_version,
                conn.api_version,
                snapshot.present.len()
            );
        }
        let client = conn.client.clone();
        self.link = Link::Up(conn);
        self.backoff = BACKOFF_START;
        self.metrics.set_docker_up(true);
        let changes = self.cache.merge(snapshot);
        self.publish(changes);
        if self.health() != before {
            self.bus.publish(Event::Docker(self.health()));
        }
        self.watch(client, since, ctx);
        if !self.sync_waiters.is_empty() {
            self.resync(ctx);
        }
    }

    fn down(&mut self, error: String, ctx: &mut Context<Self>) {
        if let Some(handle) = self.events.take() {
            ctx.cancel_future(handle);
        }
        self.generation += 1;
        let changed = match &self.link {
            Link::Up(_) => true,
            Link::Down(old) => *old != error,
        };
        self.link = Link::Down(error);
        self.metrics.set_docker_up(false);
        self.sync_waiters.clear();
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        if changed {
            let health = self.health();
            log::warn!(
                "Docker is unreachable: {}; retrying in {delay:?}",
                health.error.as_deref().unwrap_or("")
            );
            self.bus.publish(Event::Docker(health));
        }
        self.retry = Some(ctx.run_later(delay, |act, ctx| {
            act.retry = None;
            act.connect(ctx);
        }));
    }

    fn watch(&mut self, client: bollard::Docker, since: i64, ctx: &mut Context<Self>) {
        if let Some(handle) = self.events.take() {
            ctx.cancel_future(handle);
        }
        self.generation += 1;
        let generation = self.generation;
        let options =
            EventsOptionsBuilder::new().since(&since.to_string()).filters(&filter::server_filter()).build();
        let stream = Box::pin(client.events(Some(options)));
        let handle = ctx.spawn(
            fut::wrap_stream::<_, Self>(stream)
                .fold((), move |(), item, act, ctx| {
                    if act.generation == generation {
                        act.on_event(item, ctx);
                    }
                    fut::ready(())
                })
                .map(move |(), act, ctx| {
                    if act.generation == generation {
                        log::info!("the Docker events stream ended; reconnecting");
                        act.events = None;
                        act.connect(ctx);
                    }
                }),
        );
        self.events = Some(handle);
    }

    fn on_event(&mut self, item: Result<EventMessage, bollard::errors::Error>, ctx: &mut Context<Self>) {
        let message = match item {
            Ok(message) => message,
            // a broken connection also ends the stream, which reconnects
            Err(e) => return log::debug!("Docker events stream: {}", describe(&e)),
        };
        if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
            return;
        }
        let Some(id) = message.actor.and_then(|a| a.id) else { return };
        match filter::classify(message.action.as_deref().unwrap_or("")) {
            Relevance::Ignore => {}
            Relevance::Refresh => self.refresh(id, ctx),
            Relevance::Removed => {
                let seen_at = self.cache.tick();
                self.observe(&id, None, seen_at);
            }
        }
    }

    /// Inspects one container after an event. A burst of events (a restart sends several) costs
    /// one inspect in flight plus at most one more.
    fn refresh(&mut self, id: String, ctx: &mut Context<Self>) {
        if let Some(again) = self.refreshing.get_mut(&id) {
            *again = true;
            return;
        }
        let Some(client) = self.client().cloned() else { return };
        self.refreshing.insert(id.clone(), false);
        let seen_at = self.cache.tick();
        let inspect = async move {
            let result = connect::inspect(&client, &id).await;
            (id, result)
        };
        ctx.spawn(fut::wrap_future(inspect).map(move |(id, result), act: &mut Self, ctx| {
            let again = act.refreshing.remove(&id).unwrap_or(false);
            match result {
                Ok(found) => act.observe(&id, found, seen_at),
                Err(e) => return act.failed(&e, &format!("inspecting container {id}"), ctx),
            }
            if again {
                act.refresh(id, ctx);
            }
        }));
    }

    /// One list, and an inspect only of containers the list shows differently from the cache:
    /// every minute, and when a lookup misses (see [`Self::sync_now`]).
    fn resync(&mut self, ctx: &mut Context<Self>) {
        if self.connecting || self.resyncing {
            return;
        }
        let Some(client) = self.client().cloned() else {
            self.sync_waiters.clear();
            return;
        };
        let waiters = std::mem::take(&mut self.sync_waiters);
        let known = self.cache.entries().map(|e| (e.id.clone(), e.list_key())).collect();
        let seen_at = self.cache.tick();
        self.resyncing = true;
        let snapshot = async move { connect::snapshot(&client, known, seen_at).await };
        ctx.spawn(fut::wrap_future(snapshot).map(|result, act: &mut Self, ctx| {
            act.resyncing = false;
            match result {
                Ok(snapshot) => {
                    let changes = act.cache.merge(snapshot);
                    act.publish(changes);
                }
                Err(e) => act.failed(&e, "resynchronising the container list", ctx),
            }
            for waiter in waiters {
                let _ = waiter.send(());
            }
            if !act.sync_waiters.is_empty() {
                act.resync(ctx);
            }
        }));
    }

    /// Resolves after a resync whose list was sent after this call: a miss in the cache may be a
    /// container created (or re-created by compose) a moment ago whose event has not arrived.
    /// However many requests miss at once, one list is in flight and one more queued.
    fn sync_now(&mut self, ctx: &mut Context<Self>) -> LocalBoxActorFuture<Self, ()> {
        if self.client().is_none() {
            return Box::pin(fut::ready(()));
        }
        let (tx, rx) = oneshot::channel();
        self.sync_waiters.push(tx);
        self.resync(ctx);
        Box::pin(fut::wrap_future(async move {
            let _ = rx.await;
        }))
    }

    /// A request failed: when the Engine did not answer, check the connection (and report
    /// unreachable if it is gone); anything else is only logged.
    fn failed(&mut self, e: &bollard::errors::Error, doing: &str, ctx: &mut Context<Self>) {
        match classify(e) {
            Failure::Unreachable(cause) => {
                log::warn!("{doing}: Docker did not answer ({cause}); reconnecting");
                self.connect(ctx);
            }
            _ => log::warn!("{doing} failed: {}", describe(e)),
        }
    }

    fn observe(&mut self, id: &str, found: Option<Entry>, seen_at: u64) {
        let change = match found {
            Some(entry) => self.cache.observe(entry, seen_at),
            None => self.cache.forget(id, seen_at),
        };
        self.publish(change.into_iter().collect());
    }

    fn publish(&self, changes: Vec<Change>) {
        let now = Utc::now();
        for change in changes {
            self.bus.publish(match change {
                Change::Updated(entry) => Event::Container(entry.to_container(now)),
                Change::Removed { id, name } => Event::ContainerRemoved { id, name },
            });
        }
    }

    /// Resolves immediately, except while the very first connection attempt is under way.
    fn when_settled(&self) -> LocalBoxActorFuture<Self, ()> {
        if *self.settled.borrow() {
            return Box::pin(fut::ready(()));
        }
        let mut settled = self.settled.subscribe();
        Box::pin(fut::wrap_future(async move {
            let _ = tokio::time::timeout(FIRST_CONNECT_WAIT, settled.wait_for(|s| *s)).await;
        }))
    }

    fn find(&self, reference: &str) -> Result<Container, AppError> {
        if let Link::Down(e) = &self.link {
            return Err(AppError::DockerUnreachable(e.clone()));
        }
        match resolve::by_ref(self.cache.entries(), reference) {
            Resolved::Found(entry) => Ok(entry.to_container(Utc::now())),
            Resolved::Missing(m) | Resolved::Ambiguous(m) => {
                Err(AppError::not_found("container_not_found", m))
            }
        }
    }

    /// The container `target` means now, or the result that says why there is none.
    fn resolve(&self, target: &Target, report: &Report) -> Result<(String, String), RunResult> {
        if let Link::Down(e) = &self.link {
            return Err(report.finish(target.display_name(), None, Err(RunFailure::Unreachable), e.clone()));
        }
        match resolve::by_target(self.cache.entries(), target) {
            Resolved::Found(e) => Ok((e.id.clone(), e.name.clone())),
            Resolved::Missing(m) | Resolved::Ambiguous(m) => {
                Err(report.finish(target.display_name(), None, Err(RunFailure::NotFound), m))
            }
        }
    }

    /// Resolves and acts. A miss, or a container that vanished between the cache and the action
    /// (compose re-created it), gets one more try after a resync.
    fn run(
        &mut self,
        m: RunAction,
        report: Report,
        retried: bool,
        ctx: &mut Context<Self>,
    ) -> LocalBoxActorFuture<Self, RunResult> {
        let retry = |act: &mut Self, m: RunAction, report: Report, ctx: &mut Context<Self>| {
            Box::pin(act.sync_now(ctx).then(move |(), act, ctx| act.run(m, report, true, ctx)))
                as LocalBoxActorFuture<Self, RunResult>
        };
        let worth_a_sync = match &m.target {
            Target::Ref(reference) => resolve::plausible(reference),
            Target::Schedule { .. } => true,
        };
        match self.resolve(&m.target, &report) {
            Ok((id, name)) => {
                Box::pin(self.act_on(id, name, m.action, report.clone()).then(move |result, act, ctx| {
                    match result.failure {
                        Some(RunFailure::NotFound) if !retried => retry(act, m, report, ctx),
                        _ => Box::pin(fut::ready(result)),
                    }
                }))
            }
            Err(result) if result.failure == Some(RunFailure::NotFound) && !retried && worth_a_sync => {
                retry(self, m, report, ctx)
            }
            Err(result) => Box::pin(fut::ready(result)),
        }
    }

    fn act_on(
        &mut self,
        id: String,
        name: String,
        action: Action,
        report: Report,
    ) -> LocalBoxActorFuture<Self, RunResult> {
        let Some(client) = self.client().cloned() else {
            let message = self.health().error.unwrap_or_default();
            return Box::pin(fut::ready(report.finish(
                &name,
                Some(id),
                Err(RunFailure::Unreachable),
                message,
            )));
        };
        if self.in_flight.contains(&id) {
            let message = format!("another action on {name} is still running");
            return Box::pin(fut::ready(report.finish(&name, Some(id), Err(RunFailure::Busy), message)));
        }
        self.in_flight.insert(id.clone());
        // a stop or restart may take the whole stop timeout before Docker answers
        let client =
            client.with_timeout((self.stop_timeout + Duration::from_secs(90)).max(Duration::from_secs(120)));
        let (permits, clock, stop_timeout) = (self.permits.clone(), self.cache.clock(), self.stop_timeout);
        let (target_id, target_name) = (id.clone(), name.clone());
        let work = async move {
            let _permit = permits.acquire_owned().await;
            actions::run(client, clock, target_id, target_name, action, stop_timeout).await
        };
        Box::pin(fut::wrap_future(work).map(move |outcome, act: &mut Self, ctx| {
            act.in_flight.remove(&id);
            for observation in outcome.observations {
                match observation {
                    Observation::Seen(entry, seen_at) => act.observe(&id, Some(entry), seen_at),
                    Observation::Gone(gone, seen_at) => act.observe(&gone, None, seen_at),
                }
            }
            if let Some(cause) = outcome.lost {
                log::warn!("{action} on {name}: Docker did not answer ({cause}); reconnecting");
                act.connect(ctx);
            }
            let status = match outcome.failure {
                Some(failure) => Err(failure),
                None => Ok(outcome.status),
            };
            report.finish(&name, Some(id), status, outcome.message)
        }))
    }
}

/// What every `RunResult` of one `RunAction` shares, and the clock of its duration.
#[derive(Clone)]
struct Report {
    schedule_id: Option<i32>,
    action: Action,
    trigger: Trigger,
    started_at: DateTime<Utc>,
    started: Instant,
}

impl Report {
    fn begin(m: &RunAction) -> Self {
        Report {
            schedule_id: m.schedule_id,
            action: m.action,
            trigger: m.trigger,
            started_at: Utc::now(),
            started: Instant::now(),
        }
    }

    /// `Ok(status)` when Docker was asked or nothing needed doing; `Err(failure)` otherwise
    /// (a busy container is skipped, every other failure is an error).
    fn finish(
        &self,
        name: &str,
        id: Option<String>,
        status: Result<RunStatus, RunFailure>,
        message: String,
    ) -> RunResult {
        let (status, failure) = match status {
            Ok(status) => (status, None),
            Err(RunFailure::Busy) => (RunStatus::Skipped, Some(RunFailure::Busy)),
            Err(failure) => (RunStatus::Error, Some(failure)),
        };
        RunResult {
            schedule_id: self.schedule_id,
            container_name: name.to_string(),
            container_id: id,
            action: self.action,
            trigger: self.trigger,
            status,
            message,
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
            started_at: self.started_at,
            failure,
        }
    }
}

impl Actor for DockerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(RESYNC_EVERY, |act, ctx| act.resync(ctx));
        self.connect(ctx);
    }
}

impl Supervised for DockerActor {
    /// The context's futures (stream, retries, actions) are gone: forget what they were doing
    /// and connect again from scratch. The cache stays, so the first snapshot publishes only
    /// real changes.
    fn restarting(&mut self, _: &mut Context<Self>) {
        log::warn!("Docker actor restarting; reconnecting");
        self.link = Link::Down("reconnecting after a restart of the Docker actor".into());
        self.metrics.set_docker_up(false);
        self.in_flight.clear();
        self.refreshing.clear();
        self.sync_waiters.clear();
        self.generation += 1;
        self.connecting = false;
        self.resyncing = false;
        self.backoff = BACKOFF_START;
        self.events = None;
        self.retry = None;
        self.settled.send_replace(false);
    }
}

impl Handler<ListContainers> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Vec<Container>, AppError>>;

    fn handle(&mut self, _: ListContainers, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(|(), act, _| match &act.link {
            Link::Down(e) => Err(AppError::DockerUnreachable(e.clone())),
            Link::Up(_) => Ok(act.cache.containers(Utc::now())),
        }))
    }
}

impl Handler<GetContainer> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Container, AppError>>;

    fn handle(&mut self, GetContainer(reference): GetContainer, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().then(move |(), act, ctx| match act.find(&reference) {
            Err(AppError::NotFound { .. }) if resolve::plausible(&reference) => {
                Box::pin(act.sync_now(ctx).map(move |(), act, _| act.find(&reference)))
            }
            answer => Box::pin(fut::ready(answer)) as LocalBoxActorFuture<Self, _>,
        }))
    }
}

impl Handler<RunAction> for DockerActor {
    type Result = ResponseActFuture<Self, RunResult>;

    fn handle(&mut self, m: RunAction, _: &mut Context<Self>) -> Self::Result {
        let report = Report::begin(&m);
        Box::pin(self.when_settled().then(move |(), act, ctx| act.run(m, report, false, ctx)))
    }
}

impl Handler<Health> for DockerActor {
    type Result = ResponseActFuture<Self, DockerHealth>;

    fn handle(&mut self, _: Health, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(|(), act, _| act.health()))
    }
}

impl Handler<InFlight> for DockerActor {
    type Result = usize;

    fn handle(&mut self, _: InFlight, _: &mut Context<Self>) -> usize {
        self.in_flight.len()
    }
}
