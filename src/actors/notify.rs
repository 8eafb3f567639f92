//! NotifyActor: notification channels, their delivery queues, retries and the delivery log.
//!
//! The LogActor hands it each recorded result with `try_send` and never waits: a full mailbox
//! drops the notification (and says so in the log), so a slow or dead endpoint never delays an
//! action or a page. Each channel has its own bounded queue and one worker that delivers in
//! order, retrying with back-off (429 honours `Retry-After`; 5xx, timeouts and refused
//! connections retry; other 4xx are final), so one dead channel delays only itself.
//!
//! Host outages: one message when a host stops answering and one when it is back; a result that
//! failed only because that host does not answer is not notified on its own meanwhile.
//!
//! Batching: after a notification for a schedule's failure, identical failures (same schedule,
//! status and message) within the batch window are counted instead of sent; when the window
//! closes, one message tells how many there were.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;
use chrono_tz::Tz;
use tokio::sync::mpsc;

use crate::docker::{Health, Hosts, NotifyAllowed};
use crate::domain::{HostId, RunFailure, RunStatus, ScheduleId};
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use crate::notify::message::Run;
use crate::notify::{deliver, ChannelUrl, Failure, Message, Sent};
use crate::outbound::Outbound;
use crate::store::channels::ChannelRow;
use crate::store::deliveries::DeliveryStatus;
use crate::store::{self, LogEntry, Store};

/// Results waiting in the actor's mailbox at most.
const MAILBOX: usize = 256;
/// Messages waiting for one channel at most.
const CHANNEL_QUEUE: usize = 64;
/// Attempts per message, and the back-off between them (doubling).
const ATTEMPTS: i32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Settings of the notifier.
#[derive(Clone, Debug)]
pub struct NotifySettings {
    pub public_url: Option<String>,
    /// The zone of a result without a schedule.
    pub default_tz: Tz,
    pub batch_window: Duration,
}

/// What makes two results "the same failure".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BatchKey {
    schedule: ScheduleId,
    status: &'static str,
    message: String,
}

struct Batch {
    /// Identical results since the last message.
    more: u32,
    last: Option<(LogEntry, Tz)>,
}

/// One message for one channel.
struct Job {
    channel: ChannelRow,
    url: ChannelUrl,
    message: Message,
    log_id: Option<i32>,
}

pub struct NotifyActor {
    store: Store,
    metrics: Arc<Metrics>,
    /// Every host's DockerActor: a container's opt-out label is asked of its own host.
    hosts: Hosts,
    bus: EventBus,
    settings: NotifySettings,
    http: Outbound,
    queues: HashMap<i32, mpsc::Sender<Job>>,
    batches: HashMap<BatchKey, Batch>,
    /// Hosts last seen unreachable: one message when an outage starts, one when it ends, per
    /// host (a host's DockerActor may say "unreachable" again with a new reason meanwhile).
    down: HashMap<HostId, bool>,
}

impl NotifyActor {
    pub fn new(
        store: Store,
        metrics: Arc<Metrics>,
        hosts: Hosts,
        bus: EventBus,
        settings: NotifySettings,
    ) -> NotifyActor {
        NotifyActor {
            store,
            metrics,
            hosts,
            bus,
            settings,
            http: Outbound::new(),
            queues: HashMap::new(),
            batches: HashMap::new(),
            down: HashMap::new(),
        }
    }

    fn link(&self, entry: &LogEntry) -> Option<String> {
        self.settings
            .public_url
            .as_ref()
            .map(|base| format!("{base}/logs?container={}#log-{}", urlencode(&entry.container), entry.id))
    }

    fn message(&self, entry: &LogEntry, tz: Tz, count: u32) -> Message {
        Message::of_run(Run {
            action: entry.action,
            container: &entry.container,
            host: &entry.host,
            status: entry.status.as_str(),
            at: entry.timestamp,
            timezone: tz,
            detail: &entry.message,
            count,
            link: self.link(entry),
            entry: serde_json::to_value(entry).ok(),
        })
    }

    /// Hands `message` to every enabled channel in `channels`, each on its own queue.
    fn enqueue(&mut self, channels: Vec<ChannelRow>, message: Message, log_id: Option<i32>) {
        for channel in channels {
            let url = match ChannelUrl::parse(&channel.url) {
                Ok(url) => url,
                Err(e) => {
                    log::warn!("notification channel {:?} has an unusable URL: {e}", channel.name);
                    continue;
                }
            };
            let name = channel.name.clone();
            let queue = self.queues.entry(channel.id).or_insert_with(|| {
                let (tx, rx) = mpsc::channel(CHANNEL_QUEUE);
                actix::spawn(worker(rx, self.store.clone(), self.metrics.clone(), self.http.clone()));
                tx
            });
            let job = Job { channel, url, message: message.clone(), log_id };
            if queue.try_send(job).is_err() {
                log::warn!("notification channel {name:?} has {CHANNEL_QUEUE} messages waiting: one dropped");
                self.metrics.count_notification(&name, "dropped");
            }
        }
    }

    /// Sends now, or counts into the open batch of an identical failure.
    fn notify(&mut self, entry: LogEntry, tz: Tz, channels: Vec<ChannelRow>, ctx: &mut Context<Self>) {
        let batchable = entry.status != RunStatus::Success && entry.status != RunStatus::Skipped;
        if let (Some(schedule), true) = (entry.schedule_id, batchable) {
            let key = BatchKey { schedule, status: entry.status.as_str(), message: entry.message.clone() };
            if let Some(batch) = self.batches.get_mut(&key) {
                batch.more += 1;
                batch.last = Some((entry, tz));
                return;
            }
            self.batches.insert(key.clone(), Batch { more: 0, last: None });
            ctx.run_later(self.settings.batch_window, move |act, ctx| act.close_batch(key, ctx));
        }
        let message = self.message(&entry, tz, 1);
        self.enqueue(channels, message, Some(entry.id));
    }

    fn close_batch(&mut self, key: BatchKey, ctx: &mut Context<Self>) {
        let Some(Batch { more, last: Some((entry, tz)) }) = self.batches.remove(&key) else { return };
        let message = self.message(&entry, tz, more);
        let store = self.store.clone();
        let event = entry.status.as_str();
        ctx.spawn(async move { store::channels::list(&store).await }.into_actor(self).map(
            move |channels, act, _| match channels {
                Ok(all) => {
                    let wanted = all.into_iter().filter(|c| c.wants(event)).collect();
                    act.enqueue(wanted, message, Some(entry.id));
                }
                Err(e) => log::warn!("notifications: the channels cannot be read: {}", e.cause()),
            },
        ));
    }

    /// A result that failed because its host does not answer, while that host is known down: the
    /// outage's one "unreachable" message covers it (it is still in the log).
    fn covered_by_outage(&self, entry: &LogEntry, failure: Option<&RunFailure>) -> bool {
        failure == Some(&RunFailure::Unreachable) && self.down.get(&entry.host).copied().unwrap_or(false)
    }

    fn host_changed(&mut self, host: HostId, up: bool, detail: String, ctx: &mut Context<Self>) {
        let was_down = self.down.get(&host).copied().unwrap_or(false);
        let now_down = !up;
        if was_down == now_down {
            return;
        }
        self.down.insert(host.clone(), now_down);
        let link = self.settings.public_url.as_ref().map(|base| format!("{base}/hosts"));
        let message = Message::of_host(&host, up, &crate::text::clip(&detail, 300), link);
        let store = self.store.clone();
        ctx.spawn(async move { store::channels::list(&store).await }.into_actor(self).map(
            move |channels, act, _| {
                if let Ok(all) = channels {
                    act.enqueue(all.into_iter().filter(|c| c.wants("error")).collect(), message, None);
                }
            },
        ));
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Actor for NotifyActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX);
        // What each host's Engine was doing before the subscription below: a host unreachable
        // from the start published its change before this actor was listening. An event that
        // arrives first wins (the host is then known).
        for (host, docker) in self.hosts.all() {
            ctx.spawn(docker.send(Health).into_actor(self).map(move |health, act, ctx| {
                if let (Ok(health), false) = (health, act.down.contains_key(&host)) {
                    let up = health.status == "ok";
                    act.host_changed(host, up, health.error.unwrap_or_default(), ctx);
                }
            }));
        }
        // Every host's Engine up and down, from the live bus: each host's DockerActor publishes
        // each change of its link once, with its name.
        let mut rx = self.bus.subscribe();
        let me = ctx.address();
        actix::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(Event::Docker { host, health }) => {
                        let up = health.status == "ok";
                        let detail = health.error.unwrap_or_default();
                        if me.try_send(HostHealth { host, up, detail }).is_err() && !me.connected() {
                            break;
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }
}

impl Supervised for NotifyActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        log::warn!("notify actor restarting");
        self.queues.clear();
        self.batches.clear();
    }
}

/// A recorded result, from the LogActor, with why the action did not happen (the log row keeps
/// only the message).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Notify {
    pub entry: LogEntry,
    pub failure: Option<RunFailure>,
}

impl Handler<Notify> for NotifyActor {
    type Result = ();

    fn handle(&mut self, Notify { entry, failure }: Notify, ctx: &mut Context<Self>) {
        let (store, default_tz) = (self.store.clone(), self.settings.default_tz);
        let docker = self.hosts.get(&entry.host).ok();
        let event = entry.status.as_str();
        let container = entry.container_id.clone().unwrap_or_else(|| entry.container.clone());
        let schedule_id = entry.schedule_id;
        let wanted = async move {
            let channels: Vec<ChannelRow> =
                store::channels::list(&store).await?.into_iter().filter(|c| c.wants(event)).collect();
            if channels.is_empty() {
                return Ok(None);
            }
            let mut tz = default_tz;
            if let Some(id) = schedule_id {
                if let Ok(schedule) = store::schedules::get(&store, id).await {
                    if !schedule.notify {
                        return Ok(None);
                    }
                    tz = schedule.timezone.parse().unwrap_or(default_tz);
                }
            }
            // a host removed since the run has no labels left to ask: notified
            if let Some(docker) = docker {
                if !docker.send(NotifyAllowed(container)).await.unwrap_or(true) {
                    return Ok(None);
                }
            }
            Ok::<_, AppError>(Some((channels, tz)))
        };
        ctx.spawn(wanted.into_actor(self).map(move |found, act, ctx| match found {
            // asked last, after the lookups above, so an outage told meanwhile counts
            Ok(Some(_)) if act.covered_by_outage(&entry, failure.as_ref()) => {}
            Ok(Some((channels, tz))) => act.notify(entry, tz, channels, ctx),
            Ok(None) => {}
            Err(e) => log::warn!("notifications: the channels cannot be read: {}", e.cause()),
        }));
    }
}

/// A Docker host stopped answering, or answers again.
#[derive(Message)]
#[rtype(result = "()")]
struct HostHealth {
    host: HostId,
    up: bool,
    detail: String,
}

impl Handler<HostHealth> for NotifyActor {
    type Result = ();

    fn handle(&mut self, m: HostHealth, ctx: &mut Context<Self>) {
        self.host_changed(m.host, m.up, m.detail, ctx);
    }
}

/// The "Send test" button: one attempt now, recorded as a delivery; answers the remote's status,
/// or 502 `delivery_failed` with its answer.
#[derive(Message)]
#[rtype(result = "Result<Sent, AppError>")]
pub struct TestChannel(pub i32);

impl Handler<TestChannel> for NotifyActor {
    type Result = ResponseFuture<Result<Sent, AppError>>;

    fn handle(&mut self, TestChannel(id): TestChannel, _: &mut Context<Self>) -> Self::Result {
        let (store, metrics, http) = (self.store.clone(), self.metrics.clone(), self.http.clone());
        Box::pin(async move {
            let channel = store::channels::get(&store, id).await?;
            let url = ChannelUrl::parse(&channel.url)?;
            let delivery = store::deliveries::start(&store, channel.id, None, now()).await?;
            let result = deliver(&http, &url.service, &Message::test(&channel.name)).await;
            let (status, error, answer) = match &result {
                Ok(sent) => (DeliveryStatus::Sent, None, Ok(sent.clone())),
                Err(f) => {
                    let reason = f.reason().to_string();
                    (DeliveryStatus::Failed, Some(reason.clone()), Err(AppError::DeliveryFailed(reason)))
                }
            };
            metrics.count_notification(&channel.name, status.as_str());
            store::deliveries::attempted(&store, delivery, status, 1, error, now()).await?;
            answer
        })
    }
}

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// Delivers one channel's messages in order, each with its retries.
async fn worker(mut rx: mpsc::Receiver<Job>, store: Store, metrics: Arc<Metrics>, http: Outbound) {
    while let Some(job) = rx.recv().await {
        let name = job.channel.name.clone();
        let delivery = match store::deliveries::start(&store, job.channel.id, job.log_id, now()).await {
            Ok(id) => id,
            Err(e) => {
                log::warn!("notifications: a delivery cannot be recorded: {}", e.cause());
                continue;
            }
        };
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            let (status, error, wait) = match deliver(&http, &job.url.service, &job.message).await {
                Ok(_) => (DeliveryStatus::Sent, None, None),
                Err(Failure::Retry { after, reason }) if attempt < ATTEMPTS => {
                    let wait = after.unwrap_or(backoff).min(MAX_BACKOFF);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    (DeliveryStatus::Retrying, Some(reason), Some(wait))
                }
                Err(f) => (DeliveryStatus::Failed, Some(f.reason().to_string()), None),
            };
            metrics.count_notification(&name, status.as_str());
            if let (DeliveryStatus::Failed, Some(reason)) = (status, &error) {
                log::warn!("notification to channel {name:?} failed after {attempt} attempt(s): {reason}");
            }
            if let Err(e) =
                store::deliveries::attempted(&store, delivery, status, attempt, error, now()).await
            {
                log::warn!("notifications: a delivery cannot be recorded: {}", e.cause());
            }
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => break,
            }
        }
    }
}
