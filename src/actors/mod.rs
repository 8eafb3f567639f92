//! The actors and the one path every action takes: a trigger asks the [`runner::Runner`], which
//! has the host's DockerActor act and the LogActor record the result.

pub mod chain;
pub mod log_actor;
pub mod runner;
pub mod scheduler;
pub mod watch;

use actix::Addr;

use crate::docker::DockerActor;

/// Addresses of the running actors; cheap to clone into handlers.
#[derive(Clone)]
pub struct Actors {
    pub store: crate::store::Store,
    pub docker: Addr<DockerActor>,
    pub scheduler: Addr<scheduler::SchedulerActor>,
    pub runner: runner::Runner,
    pub watch: Addr<watch::WatchActor>,
}
