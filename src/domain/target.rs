//! What an action is aimed at: always a host and a name, never a bound ID, resolved when the
//! action runs (ARCHITECTURE.md, "Targets are named").

use super::HostId;

/// A host and what on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: HostId,
    pub kind: TargetKind,
}

/// The kinds of thing an action can be aimed at. Swarm services and compose stacks join here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Container(ContainerRef),
    /// A Swarm service, by name or ID: its actions go through the orchestrator.
    Service(String),
    /// A compose project, acted on in dependency order as steps (`actors/chain.rs`), each step
    /// a container.
    Stack(String),
}

/// How a container is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerRef {
    /// A name, a full ID or a unique ID prefix (manual actions).
    Ref(String),
    /// A schedule's container: its name, else the one container with these compose labels.
    Named { name: String, compose_project: Option<String>, compose_service: Option<String> },
}

impl Target {
    /// A container on a host, by name, full ID or unique ID prefix.
    pub fn container(host: HostId, reference: impl Into<String>) -> Target {
        Target { host, kind: TargetKind::Container(ContainerRef::Ref(reference.into())) }
    }

    /// A Swarm service on a host.
    pub fn service(host: HostId, name: impl Into<String>) -> Target {
        Target { host, kind: TargetKind::Service(name.into()) }
    }

    /// A compose project on a host.
    pub fn stack(host: HostId, name: impl Into<String>) -> Target {
        Target { host, kind: TargetKind::Stack(name.into()) }
    }

    /// The name to show in the log when nothing could be resolved.
    pub fn display_name(&self) -> &str {
        match &self.kind {
            TargetKind::Container(c) => c.display_name(),
            TargetKind::Service(s) => s,
            TargetKind::Stack(name) => name,
        }
    }
}

impl ContainerRef {
    /// The name (or reference) as it was given.
    pub fn display_name(&self) -> &str {
        match self {
            ContainerRef::Ref(r) => r,
            ContainerRef::Named { name, .. } => name,
        }
    }
}
