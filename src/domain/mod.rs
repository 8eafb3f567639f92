//! The bottom floor: the words every other floor shares. It imports nothing from `actors/`,
//! `docker/`, `store/` or `web/`, so anything may import it.

mod action;
mod container;
mod ids;
mod origin;
mod run;
mod service;
mod stack;
mod target;

pub use action::{Action, RunStatus, Trigger};
pub use container::{Container, DockerHealth, HostState};
pub use ids::{HostId, ScheduleId, UserId};
pub use origin::ScheduleOrigin;
pub use run::{RunFailure, RunResult};
pub use service::{Service, STACK_LABEL};
pub use stack::{ChainStep, Check, Condition, Dependency, Readiness, Stack, StackService, Step, Wait};
pub use target::{ContainerRef, Target, TargetKind};
