//! Swarm services as targets, on a manager node. Every action goes through the orchestrator:
//! restart is a forced update (`TaskTemplate.ForceUpdate` + 1, the whole inspected spec sent back
//! with its version), stop scales a replicated service to 0 and remembers its replicas in the
//! store, start restores them. Pause and unpause mean nothing to a service.

use actix::fut::{self, ActorFutureExt, LocalBoxActorFuture};
use actix::prelude::*;
use bollard::models::{Service as SwarmService, ServiceSpec};
use bollard::query_parameters::{ListServicesOptionsBuilder, UpdateServiceOptionsBuilder};
use bollard::Docker;

use super::connect::{classify, describe, Failure};
use super::run::Report;
use super::{DockerActor, Link, RunAction};
use crate::domain::{Action, HostId, RunFailure, RunResult, RunStatus, Service, STACK_LABEL};
use crate::error::AppError;
use crate::store::{service_replicas, Store};

/// Every service, when this host is a Swarm manager; 409 `not_a_swarm_manager` otherwise.
#[derive(Message)]
#[rtype(result = "Result<Vec<Service>, AppError>")]
pub struct ListServices;

impl Handler<ListServices> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Vec<Service>, AppError>>;

    fn handle(&mut self, _: ListServices, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().then(|(), act, _| act.list_services()))
    }
}

/// One service by name or ID; 404 `service_not_found`.
#[derive(Message)]
#[rtype(result = "Result<Service, AppError>")]
pub struct GetService(pub String);

impl Handler<GetService> for DockerActor {
    type Result = ResponseActFuture<Self, Result<Service, AppError>>;

    fn handle(&mut self, GetService(wanted): GetService, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.when_settled().then(|(), act, _| act.list_services()).map(move |list, act, _| {
            list?.into_iter().find(|s| s.name == wanted || s.id == wanted).ok_or_else(|| {
                AppError::not_found(
                    "service_not_found",
                    format!(
                        "No Swarm service on host {} is named {:?}",
                        act.host,
                        crate::text::clip(&wanted, 64)
                    ),
                )
            })
        }))
    }
}

impl DockerActor {
    /// The client of a connected Swarm manager, or why there is none.
    fn manager(&self) -> Result<Docker, AppError> {
        match &self.link {
            Link::Down(e) => Err(AppError::DockerUnreachable(e.clone())),
            Link::Up(c) if c.swarm == Some("manager") => Ok(c.client.clone()),
            Link::Up(c) => Err(AppError::conflict(
                "not_a_swarm_manager",
                format!(
                    "Host {} is {}; Swarm services are listed and changed on a manager node",
                    self.host,
                    match c.swarm {
                        Some(role) => format!("a Swarm {role}"),
                        None => "not part of a Swarm".to_string(),
                    }
                ),
            )),
        }
    }

    fn list_services(&mut self) -> LocalBoxActorFuture<Self, Result<Vec<Service>, AppError>> {
        let client = match self.manager() {
            Ok(client) => client,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        let host = self.host.clone();
        let list = async move {
            let options = ListServicesOptionsBuilder::new().status(true).build();
            let mut list: Vec<Service> = client
                .list_services(Some(options))
                .await
                .map_err(|e| AppError::Docker(describe(&e)))?
                .into_iter()
                .filter_map(|s| service_of(&host, s))
                .collect();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(list)
        };
        Box::pin(fut::wrap_future(list))
    }

    /// A `RunAction` on a service: checked here, done beside the mailbox, never two at once on
    /// one service.
    pub(super) fn run_service(
        &mut self,
        name: String,
        m: &RunAction,
        report: Report,
    ) -> LocalBoxActorFuture<Self, RunResult> {
        let refused =
            |failure, message| Box::pin(fut::ready(report.finish(&name, None, Err(failure), message)));
        let client = match self.manager() {
            Ok(client) => client,
            Err(AppError::DockerUnreachable(e)) => return refused(RunFailure::Unreachable, e),
            Err(e) => return refused(RunFailure::NotAManager, e.to_string()),
        };
        if matches!(m.action, Action::Pause | Action::Unpause) {
            let message =
                format!("{} is not an action for a Swarm service (start, stop or restart)", m.action);
            return refused(RunFailure::Docker, message);
        }
        let key = format!("service:{name}");
        if !self.in_flight.insert(key.clone()) {
            return refused(RunFailure::Busy, format!("another action on service {name} is still running"));
        }
        let work = act(client, self.store.clone(), self.host.clone(), name.clone(), m.action);
        Box::pin(fut::wrap_future(work).map(move |done: Done, act: &mut Self, ctx| {
            act.in_flight.remove(&key);
            if let Some(cause) = &done.lost {
                log::warn!("service {name}: Docker did not answer ({cause}); reconnecting");
                act.connect(ctx);
            }
            report.finish(&name, done.id, done.status, done.message)
        }))
    }
}

/// API.md's `Service`; `None` for an answer without an ID or a spec (never in practice).
fn service_of(host: &HostId, s: SwarmService) -> Option<Service> {
    let spec = s.spec?;
    let status = s.service_status.unwrap_or_default();
    let (mode, replicas) = match spec.mode.as_ref().and_then(|m| m.replicated.as_ref()) {
        Some(r) => ("replicated", u64::try_from(r.replicas.unwrap_or(1)).unwrap_or(0)),
        None => ("global", status.desired_tasks.unwrap_or(0)),
    };
    let image =
        spec.task_template.as_ref().and_then(|t| t.container_spec.as_ref()).and_then(|c| c.image.clone());
    Some(Service {
        host: host.clone(),
        id: s.id?,
        name: spec.name.clone().unwrap_or_default(),
        mode,
        replicas,
        running: status.running_tasks.unwrap_or(0),
        // without the digest the orchestrator pinned
        image: image.unwrap_or_default().split('@').next().unwrap_or("").to_string(),
        stack: spec.labels.as_ref().and_then(|l| l.get(STACK_LABEL).cloned()),
    })
}

/// How a service action ended.
struct Done {
    id: Option<String>,
    status: Result<RunStatus, RunFailure>,
    message: String,
    /// The Engine stopped answering: reconnect.
    lost: Option<String>,
}

impl Done {
    fn new(id: &Option<String>, status: Result<RunStatus, RunFailure>, message: impl Into<String>) -> Done {
        Done { id: id.clone(), status, message: message.into(), lost: None }
    }

    fn failed(id: &Option<String>, e: &bollard::errors::Error, name: &str) -> Done {
        match classify(e) {
            Failure::Unreachable(cause) => {
                let mut done = Done::new(id, Err(RunFailure::Unreachable), cause.clone());
                done.lost = Some(cause);
                done
            }
            Failure::Refused { status: 404, .. } => {
                Done::new(id, Err(RunFailure::ServiceNotFound), format!("No Swarm service is named {name:?}"))
            }
            Failure::Refused { message, .. } | Failure::Other(message) => {
                Done::new(id, Err(RunFailure::Docker), message)
            }
        }
    }
}

/// Inspect, change the spec, send it back with the version it was read at.
async fn act(client: Docker, store: Option<Store>, host: HostId, name: String, action: Action) -> Done {
    let service = match client.inspect_service(&name, None).await {
        Ok(service) => service,
        Err(e) => return Done::failed(&None, &e, &name),
    };
    let id = service.id.clone();
    let version = service.version.and_then(|v| v.index).unwrap_or(0);
    let Some(mut spec) = service.spec else {
        return Done::new(&id, Err(RunFailure::Docker), "Docker's answer has no service spec");
    };
    let replicated = spec.mode.as_mut().and_then(|m| m.replicated.as_mut());
    let message = match (action, replicated) {
        (Action::Restart, _) => {
            let template = spec.task_template.get_or_insert_with(Default::default);
            let force = template.force_update.unwrap_or(0) + 1;
            template.force_update = Some(force);
            format!("force-updated: the orchestrator replaces its tasks (ForceUpdate {force})")
        }
        (Action::Stop | Action::Start, None) => {
            let message = "a global service runs one task per node: it cannot be scaled (remove or constrain it instead)";
            return Done::new(&id, Err(RunFailure::Docker), message);
        }
        (Action::Stop, Some(mode)) => {
            let replicas = u64::try_from(mode.replicas.unwrap_or(1)).unwrap_or(0);
            if replicas == 0 {
                return Done::new(&id, Ok(RunStatus::Skipped), "already scaled to 0 replicas");
            }
            let Some(store) = &store else {
                return Done::new(&id, Err(RunFailure::Docker), "no store to remember the replicas in");
            };
            if let Err(e) = service_replicas::remember(store, host.clone(), name.clone(), replicas).await {
                log::error!("remembering the replicas of service {name}: {}", e.cause());
                return Done::new(
                    &id,
                    Err(RunFailure::Docker),
                    "the replicas could not be remembered; not stopped",
                );
            }
            mode.replicas = Some(0);
            format!("scaled from {replicas} to 0 replicas (remembered for start)")
        }
        (Action::Start, Some(mode)) => {
            let replicas = mode.replicas.unwrap_or(1);
            if replicas > 0 {
                return Done::new(
                    &id,
                    Ok(RunStatus::Skipped),
                    format!("already running: {replicas} replica(s)"),
                );
            }
            let remembered = match &store {
                Some(store) => {
                    service_replicas::recall(store, host.clone(), name.clone()).await.ok().flatten()
                }
                None => None,
            };
            let restore = remembered.unwrap_or(1);
            mode.replicas = Some(i64::try_from(restore).unwrap_or(1));
            match remembered {
                Some(_) => format!("scaled from 0 to {restore} replica(s), as before it was stopped"),
                None => format!("scaled from 0 to {restore} replica (none remembered)"),
            }
        }
        (Action::Pause | Action::Unpause, _) => {
            return Done::new(
                &id,
                Err(RunFailure::Docker),
                format!("{action} is not an action for a Swarm service"),
            );
        }
    };
    if let Err(e) = update(&client, &name, spec, version).await {
        return Done::failed(&id, &e, &name);
    }
    if action == Action::Start {
        if let Some(store) = &store {
            let _ = service_replicas::forget(store, host, name).await;
        }
    }
    Done::new(&id, Ok(RunStatus::Success), message)
}

async fn update(
    client: &Docker,
    name: &str,
    spec: ServiceSpec,
    version: u64,
) -> Result<(), bollard::errors::Error> {
    let options =
        UpdateServiceOptionsBuilder::new().version(i32::try_from(version).unwrap_or(i32::MAX)).build();
    client.update_service(name, spec, options, None).await.map(|_| ())
}
