//! API.md's `Service`: a Swarm service as a DockerActor on a manager node lists it.

use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::HostId;

/// The stack label `docker stack deploy` puts on its services.
pub const STACK_LABEL: &str = "com.docker.stack.namespace";

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Service {
    pub host: HostId,
    pub id: String,
    pub name: String,
    /// `replicated` or `global`.
    #[schema(schema_with = mode_schema)]
    pub mode: &'static str,
    /// The replicas asked for (for a global service, the tasks the orchestrator wants).
    pub replicas: u64,
    /// Tasks running now.
    pub running: u64,
    pub image: String,
    /// The `docker stack` it belongs to, if any.
    pub stack: Option<String>,
}

fn mode_schema() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["replicated", "global"])).build()
}
