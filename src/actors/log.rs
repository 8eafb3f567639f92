//! LogActor: every action's result goes through here, once: into the store, to live subscribers
//! and to the metrics. It also prunes old rows once a day.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;

use super::store::Store;
use crate::domain::RunResult;
use crate::error::AppError;
use crate::events::{Event, EventBus};
use crate::metrics::Metrics;
use crate::store::{queries, LogEntry, NewLog};

pub struct LogActor {
    store: Store,
    bus: EventBus,
    metrics: Arc<Metrics>,
    retention_days: u32,
}

impl LogActor {
    pub fn new(store: Store, bus: EventBus, metrics: Arc<Metrics>, retention_days: u32) -> Self {
        LogActor { store, bus, metrics, retention_days }
    }

    fn prune(&self, ctx: &mut Context<Self>) {
        let store = self.store.clone();
        let cutoff = (Utc::now() - chrono::Duration::days(i64::from(self.retention_days))).naive_utc();
        ctx.spawn(
            async move {
                match store.run(move |c| queries::prune_logs(c, cutoff)).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("pruned {n} activity-log rows older than {cutoff} UTC"),
                    Err(e) => log::warn!("pruning the activity log failed: {e}"),
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

/// Record one result: store it, publish it, count it. Answers with the stored entry.
/// `actor` names who asked (a user or an API token); `None` for the scheduler.
#[derive(Message)]
#[rtype(result = "Result<LogEntry, AppError>")]
pub struct Record {
    pub result: RunResult,
    pub actor: Option<String>,
}

impl Handler<Record> for LogActor {
    type Result = ResponseFuture<Result<LogEntry, AppError>>;

    fn handle(&mut self, Record { result: r, actor }: Record, _ctx: &mut Context<Self>) -> Self::Result {
        let store = self.store.clone();
        let bus = self.bus.clone();
        let metrics = self.metrics.clone();
        Box::pin(async move {
            metrics.count_action(r.action.as_str(), r.status.as_str(), r.trigger.as_str());
            let new = NewLog {
                schedule_id: r.schedule_id.map(|s| s.0),
                container_name: r.container_name,
                container_id: r.container_id,
                action: r.action.as_str().into(),
                trigger: r.trigger.as_str().into(),
                status: r.status.as_str().into(),
                message: r.message,
                duration_ms: r.duration_ms,
                timestamp: r.started_at.naive_utc(),
                actor,
            };
            let entry = LogEntry::from(store.run(move |c| queries::append_log(c, &new)).await?);
            bus.publish(Event::Log(entry.clone()));
            Ok(entry)
        })
    }
}
