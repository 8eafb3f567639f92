//! The connection's life: connect, watch the events stream, refresh, resync, and report the
//! Engine unreachable (and retry) when it stops answering.

use std::collections::HashMap;

use actix::fut::{self, ActorFutureExt, ActorStreamExt, LocalBoxActorFuture};
use actix::prelude::*;
use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::cache::Snapshot;
use super::connect::{self, classify, describe, Connection, Failure};
use super::filter::{self, Relevance};
use super::{DockerActor, Link, BACKOFF_MAX, BACKOFF_START};
use crate::events::Event;

impl DockerActor {
    /// (Re)connects and takes a full snapshot; the link stays as it is until that ends, so a
    /// stream that merely ended does not flash "unreachable".
    pub(super) fn connect(&mut self, ctx: &mut Context<Self>) {
        if self.connecting || self.retired {
            return;
        }
        self.connecting = true;
        if let Some(handle) = self.retry.take() {
            ctx.cancel_future(handle);
        }
        let seen_at = self.cache.tick();
        // events from here on are replayed by Docker, so none falls between snapshot and stream
        let since = Utc::now().timestamp() - 2;
        let endpoint = self.endpoint.clone();
        let attempt = async move {
            let conn = connect::connect(&endpoint).await?;
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

    fn up(&mut self, conn: Connection, snapshot: Snapshot, since: i64, ctx: &mut Context<Self>) {
        let before = self.health();
        if let Link::Down(_) = self.link {
            log::info!(
                "Docker Engine {} on host {} answers, API {} ({} containers)",
                conn.engine_version,
                self.host,
                conn.api_version,
                snapshot.present.len()
            );
        }
        let client = conn.client.clone();
        self.link = Link::Up(conn);
        self.last_seen = Some(Utc::now());
        self.backoff = BACKOFF_START;
        self.metrics.set_docker_up(&self.host, true);
        let changes = self.cache.merge(snapshot);
        self.publish(changes);
        if self.health() != before {
            self.bus.publish(Event::Docker { host: self.host.clone(), health: self.health() });
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
        self.metrics.set_docker_up(&self.host, false);
        self.sync_waiters.clear();
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        if changed {
            let health = self.health();
            log::warn!(
                "Docker is unreachable on host {}: {}; retrying in {delay:?}",
                self.host,
                health.error.as_deref().unwrap_or("")
            );
            self.bus.publish(Event::Docker { host: self.host.clone(), health });
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
        self.last_seen = Some(Utc::now());
        let Some(id) = message.actor.and_then(|a| a.id) else { return };
        let at = message.time_nano.map(DateTime::from_timestamp_nanos).unwrap_or_else(Utc::now);
        self.hands.event(&id, message.action.as_deref().unwrap_or(""), at);
        self.prepared.forget(&id);
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
    pub(super) fn resync(&mut self, ctx: &mut Context<Self>) {
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
                    act.last_seen = Some(Utc::now());
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
    pub(super) fn sync_now(&mut self, ctx: &mut Context<Self>) -> LocalBoxActorFuture<Self, ()> {
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
}
