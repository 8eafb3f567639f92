//! The DockerActor, one per Docker host: its bollard client, the container cache fed by Docker's
//! `/events` stream, and the set of containers with an action in flight. Its messages sit beside
//! their handlers below; the rest of the room is one idea per file.
//!
//! Life of the connection (`link`): `connect` negotiates the API version and takes a full
//! snapshot (one list, one inspect per container) before the actor says "ok"; then the `/events`
//! stream keeps the cache fresh (one inspect per relevant event), and a light resync every minute
//! inspects only containers whose listed state differs from the cache. When the stream ends or a
//! call cannot reach the Engine, `connect` runs again; while it fails, the actor reports
//! unreachable and retries with back-off. Actions (`run`) resolve their target in the cache and
//! run beside the mailbox, never two on one container.

mod actions;
mod by_hand;
mod cache;
pub mod connect;
mod endpoint;
mod entry;
mod filter;
mod link;
pub mod logs;
mod own;
mod prepared;
mod registry;
mod resolve;
mod run;
mod services;
pub mod stacks;
mod status;

pub use endpoint::{DockerEndpoint, TlsFiles};
pub use own::OwnContainer;
pub use registry::{ask_hosts, Hosts};
pub use services::{GetService, ListServices};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::fut::{self, ActorFutureExt, LocalBoxActorFuture};
use actix::prelude::*;
use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, watch, Semaphore};

use crate::domain::{
    Action, Container, DockerHealth, Guard, HostId, HostState, RunResult, ScheduleId, Target, Trigger,
};
use crate::domain::{Readiness, Stack};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use cache::{Cache, Change};
use connect::Connection;
use entry::Entry;
use run::Report;

/// The first retry comes quickly; then the wait doubles up to the cap.
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Safety net for events missed (there should be none while the stream is up).
const RESYNC_EVERY: Duration = Duration::from_secs(60);
/// Actions on different containers running at once: enough for the nightly case, every
/// container's restart due at 03:00, to reach the Engine together (20 due at once, measured in
/// BENCHMARKS.md "Timers"), and a bound on the connections one host is sent.
const MAX_PARALLEL_ACTIONS: usize = 32;
/// How long a request made during start-up waits for the first connection attempt, so that it
/// does not see an empty or "unreachable" Docker only because it came a few milliseconds early.
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(5);

enum Link {
    /// Not connected; why.
    Down(String),
    Up(Connection),
}

/// The one actor that talks to one Docker host. Start it under a `Supervisor`: a restart keeps
/// the cache and connects again.
pub struct DockerActor {
    /// Which host this is; every `Container` and `RunResult` it answers carries it.
    host: HostId,
    endpoint: DockerEndpoint,
    /// Chrontainer's own container, which it will not stop or pause.
    own: OwnContainer,
    bus: EventBus,
    metrics: Arc<Metrics>,
    stop_timeout: Duration,
    link: Link,
    cache: Cache,
    /// Container IDs with an action in flight.
    in_flight: HashSet<String>,
    /// Inspects taken at a schedule's early wake, for its action at the instant (`prepared.rs`).
    prepared: prepared::Prepared,
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
    /// Who stopped what: containers stopped or paused outside Chrontainer, and when
    /// Chrontainer's own actions ran (`by_hand.rs`).
    hands: by_hand::Hands,
    /// Where a Swarm service's replicas are remembered while it is scaled to 0.
    store: Option<crate::store::Store>,
    /// When the Engine last answered (a connection, an event, a resync).
    last_seen: Option<DateTime<Utc>>,
    /// The host was removed: the actor connects no more and ends once nobody holds its address.
    retired: bool,
}

impl DockerActor {
    /// An actor for `host`, reached at `endpoint`; it connects when started. `own` is how it
    /// recognises Chrontainer's own container there. Stops and restarts give the container
    /// `stop_timeout` before Docker kills it.
    pub fn new(
        host: HostId,
        endpoint: DockerEndpoint,
        own: OwnContainer,
        bus: EventBus,
        metrics: Arc<Metrics>,
        stop_timeout: Duration,
    ) -> Self {
        DockerActor {
            host,
            endpoint,
            own,
            bus,
            metrics,
            stop_timeout,
            link: Link::Down("connecting to the Docker Engine".into()),
            cache: Cache::default(),
            in_flight: HashSet::new(),
            prepared: Default::default(),
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
            hands: by_hand::Hands::default(),
            store: None,
            last_seen: None,
            retired: false,
        }
    }

    /// With a store to remember a Swarm service's replicas in while it is stopped.
    pub fn with_store(mut self, store: crate::store::Store) -> Self {
        self.store = Some(store);
        self
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

    fn state(&self) -> HostState {
        let health = self.health();
        let swarm = match &self.link {
            Link::Up(c) => c.swarm,
            Link::Down(_) => None,
        };
        HostState {
            status: health.status,
            engine_version: health.engine_version,
            api_version: health.api_version,
            swarm,
            containers: self.cache.entries().count(),
            last_seen: self.last_seen,
            error: health.error,
        }
    }

    fn observe(&mut self, id: &str, found: Option<Entry>, seen_at: u64) {
        self.prepared.forget(id);
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
                Change::Updated(entry) => Event::Container(entry.to_container(&self.host, now)),
                Change::Removed { id, name } => Event::ContainerRemoved { host: self.host.clone(), id, name },
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

    /// `answer` from the cache once settled, at one instant; Err(DockerUnreachable) while the
    /// Engine cannot be reached.
    fn when_cached<T: 'static>(
        &self,
        answer: fn(&Self, DateTime<Utc>) -> T,
    ) -> ResponseActFuture<Self, Result<T, AppError>> {
        Box::pin(self.when_settled().map(move |(), act, _| match &act.link {
            Link::Down(e) => Err(AppError::DockerUnreachable(e.clone())),
            Link::Up(_) => Ok(answer(act, Utc::now())),
        }))
    }
}

impl Actor for DockerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.retired {
            // restarted by its Supervisor after `Retire`: stay idle until the last address is gone
            return;
        }
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
        self.metrics.set_docker_up(&self.host, false);
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

/// All containers, from the cache, sorted by name. Err(DockerUnreachable) while the Engine
/// cannot be reached.
#[derive(Message)]
#[rtype(result = "Result<Vec<Container>, AppError>")]
pub struct ListContainers;

impl Handler<ListContainers> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Vec<Container>, AppError>>;

    fn handle(&mut self, _: ListContainers, _: &mut Context<Self>) -> Self::Result {
        self.when_cached(|act, now| act.cache.containers(&act.host, now))
    }
}

/// [`ListContainers`] with the cache's version at the same instant (`Cache::version`).
#[derive(Message)]
#[rtype(result = "Result<(u64, Vec<Container>), AppError>")]
pub struct ListContainersVersioned;

impl Handler<ListContainersVersioned> for DockerActor {
    type Result = ResponseActFuture<Self, Result<(u64, Vec<Container>), AppError>>;

    fn handle(&mut self, _: ListContainersVersioned, _: &mut Context<Self>) -> Self::Result {
        self.when_cached(|act, now| act.cache.versioned_containers(&act.host, now))
    }
}

/// Only the version [`ListContainersVersioned`] would answer with: whether a client's copy of
/// the list is current, without building the list.
#[derive(Message)]
#[rtype(result = "Result<u64, AppError>")]
pub struct ContainersVersion;

impl Handler<ContainersVersion> for DockerActor {
    type Result = ResponseActFuture<Self, Result<u64, AppError>>;

    fn handle(&mut self, _: ContainersVersion, _: &mut Context<Self>) -> Self::Result {
        self.when_cached(|act, now| act.cache.version(now))
    }
}

/// One container by name, full ID or unique ID prefix. 404 `container_not_found`; a miss is
/// checked with Docker once (the container may be a moment old).
#[derive(Message)]
#[rtype(result = "Result<Container, AppError>")]
pub struct GetContainer(pub String);

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

/// A container's output: the container (resolved as [`GetContainer`] does) and its log stream
/// from the Engine, which lives beside the actor and ends when it is dropped.
#[derive(Message)]
#[rtype(result = "Result<(Container, logs::ContainerLogs), AppError>")]
pub struct OpenLogs {
    pub reference: String,
    pub query: logs::LogQuery,
}

impl Handler<OpenLogs> for DockerActor {
    type Result = ResponseActFuture<Self, Result<(Container, logs::ContainerLogs), AppError>>;

    fn handle(&mut self, m: OpenLogs, ctx: &mut Context<Self>) -> Self::Result {
        let found = self.handle(GetContainer(m.reference), ctx);
        Box::pin(found.map(move |found, act, _| {
            let container = found?;
            let client = act.client().ok_or_else(|| AppError::DockerUnreachable("not connected".into()))?;
            let stream = logs::ContainerLogs::open(client, &container.id, &m.query, act.metrics.clone());
            Ok((container, stream))
        }))
    }
}

/// Do `action` to `target` now. Never queued behind another action on the same container: that
/// one is answered `Busy` at once.
#[derive(Message)]
#[rtype(result = "RunResult")]
pub struct RunAction {
    pub target: Target,
    pub action: Action,
    pub trigger: Trigger,
    pub schedule_id: Option<ScheduleId>,
    /// Judged on the fresh inspect just before acting; not met, the run is `skipped`.
    pub guard: Guard,
}

impl Handler<RunAction> for DockerActor {
    type Result = ResponseActFuture<Self, RunResult>;

    fn handle(&mut self, m: RunAction, _: &mut Context<Self>) -> Self::Result {
        let report = Report::begin(&self.host, &m);
        Box::pin(self.when_settled().then(move |(), act, ctx| act.run(m, report, false, ctx)))
    }
}

/// Inspect `target` now for an action due in a moment (a schedule's early wake), so that at the
/// instant only the action goes to the Engine. Answers once the inspect is kept, or when there is
/// nothing to prepare (the action then inspects as usual).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Prepare(pub Target);

impl Handler<Prepare> for DockerActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, Prepare(target): Prepare, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().then(move |(), act, _| act.prepare(&target)))
    }
}

/// Whether the Engine answers, and which versions it speaks (`/healthz`).
#[derive(Message)]
#[rtype(result = "DockerHealth")]
pub struct Health;

impl Handler<Health> for DockerActor {
    type Result = ResponseActFuture<Self, DockerHealth>;

    fn handle(&mut self, _: Health, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(|(), act, _| act.health()))
    }
}

/// The live half of API.md's `Host`: the link, the Engine's versions, the Swarm role, the count.
#[derive(Message)]
#[rtype(result = "HostState")]
pub struct HostStatus;

impl Handler<HostStatus> for DockerActor {
    type Result = ResponseActFuture<Self, HostState>;

    fn handle(&mut self, _: HostStatus, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(|(), act, _| act.state()))
    }
}

/// The host was removed: stop watching it. Later messages are answered "unreachable".
#[derive(Message)]
#[rtype(result = "()")]
pub struct Retire;

impl Handler<Retire> for DockerActor {
    type Result = ();

    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        log::info!("host {} removed: its Docker actor stops", self.host);
        self.retired = true;
        self.link = Link::Down(format!("the host {} was removed", self.host));
        self.metrics.forget_host(&self.host);
        ctx.stop();
    }
}

/// How many actions are in flight (graceful shutdown waits for zero).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct InFlight;

/// The names of the containers stopped or paused outside Chrontainer (the dashboard's "stopped by
/// hand: schedules paused").
#[derive(Message)]
#[rtype(result = "Vec<String>")]
pub struct StoppedByHand;

impl Handler<StoppedByHand> for DockerActor {
    type Result = Vec<String>;

    fn handle(&mut self, _: StoppedByHand, _: &mut Context<Self>) -> Vec<String> {
        self.cache.entries().filter(|e| self.hands.by_hand(&e.id)).map(|e| e.name.clone()).collect()
    }
}

impl Handler<InFlight> for DockerActor {
    type Result = usize;

    fn handle(&mut self, _: InFlight, _: &mut Context<Self>) -> usize {
        self.in_flight.len()
    }
}

/// The host's compose stacks, from the cache (`stacks.rs`). 404 `host_not_found` for another host.
#[derive(Message)]
#[rtype(result = "Result<Vec<Stack>, AppError>")]
pub struct ListStacks(pub HostId);

impl Handler<ListStacks> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Vec<Stack>, AppError>>;

    fn handle(&mut self, ListStacks(host): ListStacks, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(move |(), act, _| {
            act.up_on(&host)?;
            Ok(stacks::build(&act.host, act.cache.entries()))
        }))
    }
}

/// The containers that restart with one (`stacks::dependents`): its name and theirs, in the order
/// they start again.
#[derive(Message)]
#[rtype(result = "Result<(String, Vec<String>), AppError>")]
pub struct Dependents(pub HostId, pub String);

impl Handler<Dependents> for DockerActor {
    type Result = ResponseActFuture<Self, Result<(String, Vec<String>), AppError>>;

    fn handle(&mut self, Dependents(host, reference): Dependents, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().map(move |(), act, _| {
            act.up_on(&host)?;
            stacks::dependents(act.cache.entries(), &reference).ok_or_else(|| {
                AppError::not_found(
                    "container_not_found",
                    format!("No container {:?}", crate::text::clip(&reference, 80)),
                )
            })
        }))
    }
}

/// What a step's wait looks at, from the cache.
#[derive(Message)]
#[rtype(result = "Result<Readiness, AppError>")]
pub struct GetReadiness(pub HostId, pub String);

impl Handler<GetReadiness> for DockerActor {
    type Result = Result<Readiness, AppError>;

    fn handle(&mut self, GetReadiness(host, reference): GetReadiness, _: &mut Context<Self>) -> Self::Result {
        self.up_on(&host)?;
        match resolve::by_ref(self.cache.entries(), &reference) {
            resolve::Resolved::Found(e) => Ok(Readiness {
                name: e.name.clone(),
                state: e.state.clone(),
                health: e.health.clone(),
                exit_code: e.exit_code,
            }),
            resolve::Resolved::Missing(m) | resolve::Resolved::Ambiguous(m) => {
                Err(AppError::not_found("container_not_found", m))
            }
        }
    }
}

impl DockerActor {
    /// Err unless `host` is this actor's and its Engine answers.
    fn up_on(&self, host: &HostId) -> Result<(), AppError> {
        if *host != self.host {
            return Err(AppError::not_found(
                "host_not_found",
                format!("No host {:?}", crate::text::clip(host.as_str(), 80)),
            ));
        }
        match &self.link {
            Link::Down(e) => Err(AppError::DockerUnreachable(e.clone())),
            Link::Up(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The room's own rule (ARCHITECTURE.md): data flows down, so nothing here may reach up into
    /// the actors or the web server, and the live bus it publishes on may not either.
    #[test]
    fn the_docker_room_imports_nothing_from_actors_or_web() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut files: Vec<std::path::PathBuf> =
            std::fs::read_dir(format!("{root}/docker")).unwrap().map(|e| e.unwrap().path()).collect();
        files.push(format!("{root}/events.rs").into());
        assert!(files.len() > 5, "{files:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // the needles are built so that this test does not find itself
            for up in ["actors", "web"].map(|floor| format!("crate::{floor}")) {
                assert!(!text.contains(&up), "{} imports {up}", file.display());
            }
        }
    }
}

/// The label by which a container opts out of notifications, read by `crate::labels`.
pub const NOTIFY_LABEL: &str = crate::labels::NOTIFY;

/// Whether a container's labels let its notifications through: asked of Docker (one inspect, only
/// for a result some channel wants). A container that is gone, or a Docker that does not answer,
/// does not silence anything.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct NotifyAllowed(pub String);

impl Handler<NotifyAllowed> for DockerActor {
    type Result = ResponseFuture<bool>;

    fn handle(&mut self, NotifyAllowed(container): NotifyAllowed, _: &mut Context<Self>) -> Self::Result {
        let client = self.client().cloned();
        Box::pin(async move {
            let Some(client) = client else { return true };
            match client.inspect_container(&container, None).await {
                Ok(r) => r.config.and_then(|c| c.labels).is_none_or(|labels| {
                    crate::labels::notify_allowed(labels.get(NOTIFY_LABEL).map(String::as_str))
                }),
                Err(_) => true,
            }
        })
    }
}
