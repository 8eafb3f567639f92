//! The DockerActor's interface: what it answers (`Container`, `DockerHealth`, `RunResult`) and
//! the messages it takes. The actor itself, and how it keeps its cache, is in `crate::docker`.

use crate::domain::{Action, ScheduleId, Trigger};
use crate::error::AppError;
use actix::prelude::*;

pub use crate::docker::actor::DockerActor;
pub use crate::domain::{Container, DockerHealth, RunFailure, RunResult, Target};

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
    pub schedule_id: Option<ScheduleId>,
}

#[derive(Message)]
#[rtype(result = "DockerHealth")]
pub struct Health;

/// How many actions are in flight (graceful shutdown waits for zero).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct InFlight;
