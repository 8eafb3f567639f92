//! Which DockerActor answers for which host. One actor per host, each under its own Supervisor
//! with its own cache, in-flight set and reconnect; the Runner, the web handlers and `/healthz`
//! find a host's actor here. Adding a host starts its actor, removing it retires it.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix::{Addr, Handler, Message, Supervisor};

use super::{DockerActor, DockerEndpoint, ListContainers, OwnContainer, Retire};
use crate::domain::{Container, HostId};
use crate::error::AppError;
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::store::Store;

/// What every host's actor is built with.
struct Parts {
    own: OwnContainer,
    bus: EventBus,
    metrics: Arc<Metrics>,
    stop_timeout: Duration,
    store: Store,
}

/// The running DockerActors by host; cheap to clone.
#[derive(Clone)]
pub struct Hosts {
    actors: Arc<RwLock<BTreeMap<HostId, Addr<DockerActor>>>>,
    parts: Arc<Parts>,
}

impl Hosts {
    pub fn new(
        own: OwnContainer,
        bus: EventBus,
        metrics: Arc<Metrics>,
        stop_timeout: Duration,
        store: Store,
    ) -> Hosts {
        let parts = Arc::new(Parts { own, bus, metrics, stop_timeout, store });
        Hosts { actors: Arc::default(), parts }
    }

    /// Starts the actor for `host` (replacing, and retiring, the one it had). Must be called
    /// inside an actix `System`.
    pub fn start(&self, host: HostId, endpoint: DockerEndpoint) {
        let parts = self.parts.clone();
        let name = host.clone();
        let addr = Supervisor::start(move |_| {
            DockerActor::new(
                name,
                endpoint,
                parts.own.clone(),
                parts.bus.clone(),
                parts.metrics.clone(),
                parts.stop_timeout,
            )
            .with_store(parts.store.clone())
        });
        let old = match self.actors.write() {
            Ok(mut map) => map.insert(host, addr),
            Err(_) => None,
        };
        if let Some(old) = old {
            old.do_send(Retire);
        }
        self.parts.bus.touch();
    }

    /// Retires the actor of a removed host.
    pub fn stop(&self, host: &HostId) {
        let old = match self.actors.write() {
            Ok(mut map) => map.remove(host),
            Err(_) => None,
        };
        if let Some(old) = old {
            old.do_send(Retire);
        }
        self.parts.bus.touch();
    }

    /// The actor of `host`; 404 `host_not_found`.
    pub fn get(&self, host: &HostId) -> Result<Addr<DockerActor>, AppError> {
        let found = self.actors.read().ok().and_then(|map| map.get(host).cloned());
        found.ok_or_else(|| {
            AppError::not_found(
                "host_not_found",
                format!("No host is named {:?}", crate::text::clip(host.as_str(), 64)),
            )
        })
    }

    /// Every host's actor, `local` first, then by name.
    pub fn all(&self) -> Vec<(HostId, Addr<DockerActor>)> {
        let mut all: Vec<_> = match self.actors.read() {
            Ok(map) => map.iter().map(|(h, a)| (h.clone(), a.clone())).collect(),
            Err(_) => Vec::new(),
        };
        all.sort_by_key(|(h, _)| h.as_str() != HostId::LOCAL);
        all
    }

    /// Every host's containers, asked of all hosts at once (`local` first).
    pub async fn list_all(&self) -> Vec<(HostId, Result<Vec<Container>, AppError>)> {
        ask_hosts(&self.all(), || ListContainers).await
    }
}

/// Each host's answer to a message, asked of all at once: a host that does not answer is its own
/// error and delays nobody else's.
pub async fn ask_hosts<M, T>(
    hosts: &[(HostId, Addr<DockerActor>)],
    message: impl Fn() -> M,
) -> Vec<(HostId, Result<T, AppError>)>
where
    M: Message<Result = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
    DockerActor: Handler<M>,
{
    futures_util::future::join_all(hosts.iter().map(|(host, actor)| {
        let answer = actor.send(message());
        async move { (host.clone(), answer.await.unwrap_or_else(|e| Err(AppError::from(e)))) }
    }))
    .await
}
