//! LogActor: every action's result goes through here, once, from the Runner: into the store, to
//! live subscribers, to the metrics and to the notifier (handed over, never awaited). It also
//! prunes old rows (log entries and notification deliveries) once a day.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;

use super::notify::{Notify, NotifyActor};
use crate::domain::RunFailure;
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use crate::store::{self, LogEntry, NewLog, Store};

pub struct LogActor {
    store: Store,
    bus: EventBus,
    metrics: Arc<Metrics>,
    retention_days: u32,
    notify: Option<Addr<NotifyActor>>,
}

impl LogActor {
    pub fn new(store: Store, bus: EventBus, metrics: Arc<Metrics>, retention_days: u32) -> Self {
        LogActor { store, bus, metrics, retention_days, notify: None }
    }

    /// Hands every recorded result to `notify` too.
    pub fn with_notifier(mut self, notify: Addr<NotifyActor>) -> Self {
        self.notify = Some(notify);
        self
    }

    fn prune(&self, ctx: &mut Context<Self>) {
        let store = self.store.clone();
        let cutoff = (Utc::now() - chrono::Duration::days(i64::from(self.retention_days))).naive_utc();
        ctx.spawn(
            async move {
                match store::logs::prune(&store, cutoff).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("pruned {n} activity-log rows older than {cutoff} UTC"),
                    Err(e) => log::warn!("pruning the activity log failed: {e}"),
                }
                match store::deliveries::prune(&store, cutoff).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("pruned {n} notification deliveries older than {cutoff} UTC"),
                    Err(e) => log::warn!("pruning the notification deliveries failed: {e}"),
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for LogActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.prune(ctx);
        ctx.run_interval(Duration::from_secs(24 * 3600), |act, ctx| act.prune(ctx));
    }
}

impl Supervised for LogActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        log::warn!("log actor restarting");
    }
}

/// Record one action's row (made by the Runner): store it, and for a schedule its last run, in
/// one transaction; then publish both and count it. Answers with the stored entry. `failure` (why
/// the action did not happen, which the row does not keep) goes on to the notifier.
#[derive(Message)]
#[rtype(result = "Result<LogEntry, AppError>")]
pub struct Record {
    pub new: NewLog,
    pub failure: Option<RunFailure>,
}

impl Handler<Record> for LogActor {
    type Result = ResponseFuture<Result<LogEntry, AppError>>;

    fn handle(&mut self, Record { new, failure }: Record, _ctx: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let bus = self.bus.clone();
        let metrics = self.metrics.clone();
        let notify = self.notify.clone();
        Box::pin(async move {
            metrics.count_action(
                new.host.as_str(),
                new.action.as_str(),
                new.status.as_str(),
                new.trigger.as_str(),
            );
            let (entry, schedule) = store::logs::record_run(&store, new).await?;
            bus.publish(Event::Log(entry.clone()));
            // never waits: a full notifier drops this one rather than slow the action down
            if let Some(notify) = &notify {
                if notify.try_send(Notify { entry: entry.clone(), failure }).is_err() {
                    log::warn!("the notifier is behind: no notification for log entry {}", entry.id);
                }
            }
            if let Some(schedule) = schedule {
                bus.publish(Event::Schedule(schedule));
            }
            Ok(entry)
        })
    }
}
