//! What the DockerActors tell about a host's containers: API.md's `Container`, and the `docker`
//! object of `/healthz`. Here rather than in `docker/`, because the live bus and the pages carry them too.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use super::HostId;

/// API.md's `Container`. `status` is Docker's text ("Up 5 minutes"), computed when it is shown.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Container {
    /// The Docker host it runs on (`local` is the one from `DOCKER_HOST`).
    pub host: HostId,
    pub id: String,
    pub name: String,
    pub image: String,
    /// Docker's state.
    #[schema(schema_with = state_schema)]
    pub state: String,
    #[schema(example = "Up 5 minutes")]
    pub status: String,
    /// The health check's verdict; `null` without a health check.
    #[schema(schema_with = health_schema)]
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

/// Docker's container states, which is all `state` can be.
fn state_schema() -> Object {
    let states = ["created", "running", "paused", "restarting", "removing", "exited", "dead"];
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(states)).build()
}

fn health_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Some("starting"), Some("healthy"), Some("unhealthy"), None]))
        .build()
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

/// What a host's DockerActor knows of its Engine: the live half of API.md's `Host`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostState {
    /// `ok` or `unreachable`.
    pub status: &'static str,
    pub engine_version: Option<String>,
    pub api_version: Option<String>,
    /// `manager` or `worker` on a Swarm node, else `null`.
    pub swarm: Option<&'static str>,
    /// How many containers it has (from the cache).
    pub containers: usize,
    /// When the Engine last answered.
    pub last_seen: Option<DateTime<Utc>>,
    pub error: Option<String>,
}
