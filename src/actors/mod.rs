//! The actors and the one path every action takes: a trigger asks the [`runner::Runner`], which
//! has the host's DockerActor act and the LogActor record the result.

pub mod chain;
pub mod log_actor;
pub mod notify;
pub mod restore;
pub mod runner;
pub mod scheduler;
pub mod watch;

use actix::Addr;

use crate::docker::{DockerActor, Hosts};

/// Addresses of the running actors; cheap to clone into handlers.
#[derive(Clone)]
pub struct Actors {
    pub store: crate::store::Store,
    /// The `local` host's DockerActor (also in `hosts`); code that takes `?host=` uses `hosts`.
    pub docker: Addr<DockerActor>,
    /// Every host's DockerActor, by name.
    pub hosts: Hosts,
    pub scheduler: Addr<scheduler::SchedulerActor>,
    pub runner: runner::Runner,
    pub watch: Addr<watch::WatchActor>,
    pub notify: Addr<notify::NotifyActor>,
}
