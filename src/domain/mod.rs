//! The bottom floor: the words every other floor shares. It imports nothing from `actors/`,
//! `docker/`, `store/` or `web/`, so anything may import it.

mod action;
mod container;
mod ids;
mod rule;
mod run;
mod service;
mod stack;
mod target;
mod window;

pub use action::{Action, RunStatus, Trigger};
pub use container::{Container, DockerHealth, HostState};
pub use ids::{HostId, ScheduleId, UserId};
pub use rule::{AutohealContainer, AutohealLimits, AutohealRules, Guard, OnlyIf};
pub use run::{RunFailure, RunResult};
pub use service::{Service, STACK_LABEL};
pub use stack::{ChainStep, Check, Condition, Dependency, Readiness, Stack, StackService, Step, Wait};
pub use target::{ContainerRef, Target, TargetKind};
pub use window::{Days, Period, Transition, Window, WindowJson, WindowState};
