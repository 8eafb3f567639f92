//! One `RunAction`: resolve the target in the cache (with one resync on a miss), refuse to stop or
//! pause Chrontainer's own container, refuse a busy container, and run the action beside the
//! mailbox, bounded by the semaphore.

use std::time::{Duration, Instant};

use actix::fut::{self, ActorFutureExt, LocalBoxActorFuture};
use actix::prelude::*;
use chrono::{DateTime, Utc};

use super::actions::{self, Observation};
use super::own;
use super::resolve::{self, Resolved};
use super::{DockerActor, Link, RunAction};
use crate::domain::{Action, Container, ContainerRef, HostId, RunFailure, RunResult, RunStatus};
use crate::domain::{Guard, ScheduleId, Target, TargetKind, Trigger};
use crate::error::AppError;

impl DockerActor {
    /// `GetContainer`: a container by name, full ID or unique ID prefix, from the cache.
    pub(super) fn find(&self, reference: &str) -> Result<Container, AppError> {
        if let Link::Down(e) = &self.link {
            return Err(AppError::DockerUnreachable(e.clone()));
        }
        match resolve::by_ref(self.cache.entries(), reference) {
            Resolved::Found(entry) => Ok(entry.to_container(&self.host, Utc::now())),
            Resolved::Missing(m) | Resolved::Ambiguous(m) => {
                Err(AppError::not_found("container_not_found", m))
            }
        }
    }

    /// The container `target` means now, or the result that says why there is none.
    #[allow(clippy::result_large_err)] // either way it ends as the one RunResult at once
    fn resolve(&self, target: &Target, report: &Report) -> Result<(String, String), RunResult> {
        if target.host != self.host {
            // a message sent to the wrong host's actor: say so rather than act on a namesake
            let message = format!("No container {:?} on host {}", target.display_name(), self.host);
            return Err(report.finish(target.display_name(), None, Err(RunFailure::NotFound), message));
        }
        if let Link::Down(e) = &self.link {
            return Err(report.finish(target.display_name(), None, Err(RunFailure::Unreachable), e.clone()));
        }
        let target = match &target.kind {
            TargetKind::Container(target) => target,
            TargetKind::Stack(name) => {
                // a stack runs as steps, one container each (actors/chain.rs); never as one action
                let message = format!("{name} is a compose stack, not a container");
                return Err(report.finish(name, None, Err(RunFailure::NotFound), message));
            }
            TargetKind::Service(name) => {
                let message = format!("{name} is a Swarm service, not a container");
                return Err(report.finish(name, None, Err(RunFailure::NotFound), message));
            }
        };
        match resolve::by_target(self.cache.entries(), target) {
            Resolved::Found(e) => Ok((e.id.clone(), e.name.clone())),
            Resolved::Missing(m) | Resolved::Ambiguous(m) => {
                Err(report.finish(target.display_name(), None, Err(RunFailure::NotFound), m))
            }
        }
    }

    /// Resolves and acts. A miss, or a container that vanished between the cache and the action
    /// (compose re-created it), gets one more try after a resync.
    pub(super) fn run(
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
        let worth_a_sync = m.target.host == self.host
            && match &m.target.kind {
                TargetKind::Container(ContainerRef::Ref(reference)) => resolve::plausible(reference),
                TargetKind::Container(ContainerRef::Named { .. }) => true,
                TargetKind::Service(name) => return self.run_service(name.clone(), &m, report),
                TargetKind::Stack(_) => false,
            };
        match self.resolve(&m.target, &report) {
            Ok((id, name)) => Box::pin(self.act_on(id, name, m.action, m.guard, report.clone()).then(
                move |result, act, ctx| match result.failure {
                    Some(RunFailure::NotFound) if !retried => retry(act, m, report, ctx),
                    _ => Box::pin(fut::ready(result)),
                },
            )),
            Err(result) if result.failure == Some(RunFailure::NotFound) && !retried && worth_a_sync => {
                retry(self, m, report, ctx)
            }
            Err(result) => Box::pin(fut::ready(result)),
        }
    }

    /// `Prepare`: inspects the container `target` means now and keeps the answer for its action
    /// in a moment. Nothing to prepare (not a container here, unknown, busy, Docker away): the
    /// action inspects as usual.
    pub(super) fn prepare(&mut self, target: &Target) -> LocalBoxActorFuture<Self, ()> {
        let (Some(client), TargetKind::Container(reference)) = (self.client().cloned(), &target.kind) else {
            return Box::pin(fut::ready(()));
        };
        let found = match resolve::by_target(self.cache.entries(), reference) {
            Resolved::Found(e) if target.host == self.host && !self.in_flight.contains(&e.id) => e.id.clone(),
            _ => return Box::pin(fut::ready(())),
        };
        let seen_at = self.cache.tick();
        let taken = Instant::now();
        Box::pin(
            fut::wrap_future(async move { (super::connect::inspect(&client, &found).await, found) }).map(
                move |(inspected, id), act: &mut Self, _| match inspected {
                    // anything heard of it meanwhile, or its own action already under way: not kept
                    Ok(Some(entry)) if act.unheard_of(&id, seen_at) => act.prepared.keep(entry, taken),
                    Ok(_) => {}
                    Err(e) => log::debug!("preparing an action on {id}: {e}"),
                },
            ),
        )
    }

    /// Nothing was heard of `id` after `seen_at`, no inspect after an event of it is under way,
    /// and no action on it either.
    fn unheard_of(&self, id: &str, seen_at: u64) -> bool {
        !self.cache.stale(id, seen_at) && !self.refreshing.contains_key(id) && !self.in_flight.contains(id)
    }

    fn act_on(
        &mut self,
        id: String,
        name: String,
        action: Action,
        guard: Guard,
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
        if self.own.is(self.cache.entries(), &id) {
            if let Some(refusal) = own::refusal(action, &name) {
                return Box::pin(fut::ready(report.finish(
                    &name,
                    Some(id),
                    Err(RunFailure::OwnContainer),
                    refusal,
                )));
            }
            if action == Action::Restart {
                log::warn!(
                    "restarting Chrontainer's own container {name}: this process stops now and Docker starts it again"
                );
            }
        }
        if let Some(service) = self.cache.entries().find(|e| e.id == id).and_then(|e| e.swarm_service.clone())
        {
            let message = format!(
                "{name} is a task of Swarm service {service}: act on the service instead \
                 (POST /api/services/{service}/{action}), so the orchestrator is not worked around"
            );
            return Box::pin(fut::ready(report.finish(&name, Some(id), Err(RunFailure::SwarmTask), message)));
        }
        if self.in_flight.contains(&id) {
            let message = format!("another action on {name} is still running");
            return Box::pin(fut::ready(report.finish(&name, Some(id), Err(RunFailure::Busy), message)));
        }
        self.in_flight.insert(id.clone());
        let prepared = self.prepared.take(&id);
        let by_hand = self.hands.by_hand(&id);
        self.hands.acting(&id);
        // a stop or restart may take the whole stop timeout before Docker answers
        let client =
            client.with_timeout((self.stop_timeout + Duration::from_secs(90)).max(Duration::from_secs(120)));
        let (permits, clock, stop_timeout) = (self.permits.clone(), self.cache.clock(), self.stop_timeout);
        let (target_id, target_name) = (id.clone(), name.clone());
        let work = async move {
            let _permit = permits.acquire_owned().await;
            let guard = (guard, by_hand);
            let target = actions::Target { id: target_id, name: target_name, prepared };
            actions::run(client, clock, target, action, guard, stop_timeout).await
        };
        Box::pin(fut::wrap_future(work).map(move |outcome, act: &mut Self, ctx| {
            act.in_flight.remove(&id);
            act.hands.done(&id);
            for observation in outcome.observations {
                match observation {
                    Observation::Seen(entry, seen_at) => act.observe(&id, Some(*entry), seen_at),
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
pub(super) struct Report {
    host: HostId,
    schedule_id: Option<ScheduleId>,
    action: Action,
    trigger: Trigger,
    started_at: DateTime<Utc>,
    started: Instant,
}

impl Report {
    pub(super) fn begin(host: &HostId, m: &RunAction) -> Self {
        Report {
            host: host.clone(),
            schedule_id: m.schedule_id,
            action: m.action,
            trigger: m.trigger,
            started_at: Utc::now(),
            started: Instant::now(),
        }
    }

    /// `Ok(status)` when Docker was asked or nothing needed doing; `Err(failure)` otherwise (a
    /// busy container, Chrontainer's own, or one a guard leaves alone, is skipped; every other
    /// failure is an error).
    pub(super) fn finish(
        &self,
        name: &str,
        id: Option<String>,
        status: Result<RunStatus, RunFailure>,
        message: String,
    ) -> RunResult {
        let (status, failure) = match status {
            Ok(status) => (status, None),
            Err(
                failure @ (RunFailure::Busy
                | RunFailure::OwnContainer
                | RunFailure::SwarmTask
                | RunFailure::Guard),
            ) => (RunStatus::Skipped, Some(failure)),
            Err(failure) => (RunStatus::Error, Some(failure)),
        };
        RunResult {
            host: self.host.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::DockerEndpoint;
    use crate::events::EventBus;

    #[actix_rt::test]
    async fn an_action_for_another_host_is_refused_not_done_to_a_namesake() {
        let endpoint = DockerEndpoint { url: "unix:///nonexistent/docker.sock".into(), tls: None };
        let pi = HostId("pi".into());
        let actor = DockerActor::new(
            pi.clone(),
            endpoint,
            Default::default(),
            EventBus::default(),
            Default::default(),
            Duration::ZERO,
        )
        .start();
        let run = |host: HostId| RunAction {
            target: Target::container(host, "web"),
            action: Action::Restart,
            trigger: Trigger::Manual,
            schedule_id: None,
            guard: Guard::NONE,
        };
        let elsewhere = actor.send(run(HostId::local())).await.unwrap();
        assert_eq!(elsewhere.failure, Some(RunFailure::NotFound));
        assert_eq!(elsewhere.message, "No container \"web\" on host pi");
        assert_eq!(elsewhere.host, pi, "the result names the host that answered");
        // its own host's action gets as far as the (missing) Engine
        let here = actor.send(run(pi.clone())).await.unwrap();
        assert_eq!((here.failure, here.host), (Some(RunFailure::Unreachable), pi));
    }
}
