//! What the DockerActors tell about a host's containers: API.md's `Container`, and the `docker`
//! object of `/healthz`. Here rather than in `docker/`, because the live bus and the pages carry them too.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::HostId;

/// API.md's `Container`. `status` is Docker's text ("Up 5 minutes"), computed when it is shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Container {
    /// The Docker host it runs on (`local` is the one from `DOCKER_HOST`).
    pub host: HostId,
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
