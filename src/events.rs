//! The live-update bus: actors publish, every `/api/events` subscriber receives. A slow
//! subscriber that falls behind loses old events rather than slowing anyone down. The bus also
//! counts changes: what is rendered from the state (the dashboard) is kept until the count moves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::domain::{Container, DockerHealth, HostId};
use crate::store::{LogEntry, Schedule};

/// One live update; the SSE event name is [`Event::name`], the data its JSON.
#[derive(Clone, Debug)]
pub enum Event {
    Container(Container),
    /// A container that is gone (removed) from `host`.
    ContainerRemoved {
        host: HostId,
        id: String,
        name: String,
    },
    Log(LogEntry),
    Schedule(Schedule),
    ScheduleDeleted {
        id: i32,
    },
    /// A host's Engine stopped answering or answers again (published once per change).
    Docker {
        host: HostId,
        health: DockerHealth,
    },
}

#[derive(Serialize)]
struct Deleted<'a, T: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a HostId>,
    id: &'a T,
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

/// A `docker` event's data: the host's `/healthz`-style object with its name.
#[derive(Serialize)]
struct HostHealth<'a> {
    host: &'a HostId,
    #[serde(flatten)]
    health: &'a DockerHealth,
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Container(_) | Event::ContainerRemoved { .. } => "container",
            Event::Log(_) => "log",
            Event::Schedule(_) | Event::ScheduleDeleted { .. } => "schedule",
            Event::Docker { .. } => "docker",
        }
    }

    pub fn data(&self) -> String {
        let value = match self {
            Event::Container(c) => serde_json::to_string(c),
            Event::ContainerRemoved { host, id, name } => {
                serde_json::to_string(&Deleted { host: Some(host), id, deleted: true, name: Some(name) })
            }
            Event::Log(l) => serde_json::to_string(l),
            Event::Schedule(s) => serde_json::to_string(s),
            Event::ScheduleDeleted { id } => {
                serde_json::to_string(&Deleted { host: None, id, deleted: true, name: None })
            }
            Event::Docker { host, health } => serde_json::to_string(&HostHealth { host, health }),
        };
        value.unwrap_or_else(|_| "{}".into())
    }
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    changes: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus { tx: broadcast::channel(256).0, changes: Arc::default() }
    }
}

impl EventBus {
    /// Counts the change before anyone hears of it, so that a client reloading on the event
    /// never gets a page rendered before it.
    pub fn publish(&self, event: Event) {
        self.touch();
        // No subscriber is not an error.
        let _ = self.tx.send(event);
    }

    /// A change to what the pages show that has no event of its own (a refused label, a rule's
    /// words, a host added).
    pub fn touch(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// How many changes there have been: what was rendered at one count holds until it moves.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_event_names_its_host() {
        let health = DockerHealth {
            status: "unreachable",
            api_version: None,
            engine_version: None,
            error: Some("connection refused".into()),
        };
        let event = Event::Docker { host: HostId("pi".into()), health };
        assert_eq!(event.name(), "docker");
        let data: serde_json::Value = serde_json::from_str(&event.data()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"host": "pi", "status": "unreachable", "api_version": null,
                "engine_version": null, "error": "connection refused"})
        );
    }
}
