//! The DockerActor's interface: what it answers (`Container`, `DockerHealth`, `RunResult`) and
//! the messages it takes. The actor itself, and how it keeps its cache, is in `crate::docker`.

use actix::prelude::*;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::action::{Action, RunStatus, Trigger};
use crate::error::AppError;

pub use crate::docker::actor::DockerActor;

/// API.md's `Container`. `status` is Docker's text ("Up 5 minutes"), computed when it is shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: String,
    pub status: String,
    pub health: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    #[serde(with = "crate::time::serde_utc")]
    pub created: DateTime<Utc>,
    /// When it last started, kept after it stops (with `status` that tells how long ago it
    /// exited); `null` only when it has never run.
    #[serde(with = "crate::time::serde_utc::option")]
    pub started_at: Option<DateTime<Utc>>,
}

/// `GET /healthz`'s `docker` object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DockerHealth {
    /// `ok` or `unreachable`.
    pub status: &'static str,
    pub api_version: Option<String>,
    pub engine_version: Option<String>,
    pub error: Option<String>,
}

/// What an action is aimed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A name, a full ID or a unique ID prefix (manual actions).
    Ref(String),
    /// A schedule's target: its container name, else the container with these compose labels.
    Schedule { name: String, compose_project: Option<String>, compose_service: Option<String> },
}

impl Target {
    /// The name to show in the log when no container could be resolved.
    pub fn display_name(&self) -> &str {
        match self {
            Target::Ref(r) => r,
            Target::Schedule { name, .. } => name,
        }
    }
}

/// Why an action did not reach Docker or was refused, so an HTTP caller can answer with the right code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunFailure {
    NotFound,
    Busy,
    Docker,
    Unreachable,
}

/// The outcome of one `RunAction`, success or not. Every one ends as a log entry.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub schedule_id: Option<i32>,
    pub container_name: String,
    pub container_id: Option<String>,
    pub action: Action,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub message: String,
    pub duration_ms: i64,
    pub started_at: DateTime<Utc>,
    pub failure: Option<RunFailure>,
}

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
    pub schedule_id: Option<i32>,
}

#[derive(Message)]
#[rtype(result = "DockerHealth")]
pub struct Health;

/// How many actions are in flight (graceful shutdown waits for zero).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct InFlight;
