//! What the cache keeps of one container ([`Entry`]): read from bollard's models, shown as API.md's
//! `Container`. [`ListKey`] is the part of it that Docker's list call also shows.

use std::collections::BTreeMap;

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use chrono::{DateTime, Datelike, Utc};

use super::stacks::{Links, COMPOSE_DEPENDS_ON};
use crate::domain::{Container, HostId};

pub const COMPOSE_PROJECT: &str = "com.docker.compose.project";
pub const COMPOSE_SERVICE: &str = "com.docker.compose.service";
/// The Swarm service a task container belongs to.
pub const SWARM_SERVICE: &str = "com.docker.swarm.service.name";

/// What the cache keeps of one container: everything a `Container` shows, with the raw times
/// its status text is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    /// Without Docker's leading '/'.
    pub name: String,
    pub image: String,
    pub state: String,
    pub health: Option<String>,
    pub compose_project: Option<String>,
    pub compose_service: Option<String>,
    pub created: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: i64,
    /// The Swarm service this container is a task of: its actions go to the service instead.
    pub swarm_service: Option<String>,
    /// Its `chrontainer.*` labels (untrusted text, read by `crate::labels`), see [`our_labels`].
    pub labels: BTreeMap<String, String>,
    /// Its compose dependencies and whose network it shares (`stacks.rs`); boxed, as most
    /// containers have none and the cache's changes move entries around.
    pub links: Box<Links>,
}

/// Labels kept per container: the grammar reads at most `labels::MAX_LABELS` and reports more.
const KEPT_LABELS: usize = crate::labels::MAX_LABELS + 1;

/// The `chrontainer.*` labels among `labels`, at most [`KEPT_LABELS`] of them (the first by name).
fn our_labels(labels: &std::collections::HashMap<String, String>) -> BTreeMap<String, String> {
    let mut ours: Vec<(&String, &String)> =
        labels.iter().filter(|(k, _)| k.starts_with(crate::labels::PREFIX)).collect();
    ours.sort_unstable();
    ours.into_iter().take(KEPT_LABELS).map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Entry {
    /// The API's view of this container on `host`, with the status text of `now`.
    pub fn to_container(&self, host: &HostId, now: DateTime<Utc>) -> Container {
        Container {
            host: host.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            image: self.image.clone(),
            state: self.state.clone(),
            status: super::status::status_text(self, now),
            health: self.health.clone(),
            compose_project: self.compose_project.clone(),
            compose_service: self.compose_service.clone(),
            created: self.created,
            started_at: self.started_at,
            labels: self.labels.clone(),
        }
    }

    /// What the list call can tell about this entry, to decide whether a resync must inspect it again.
    pub fn list_key(&self) -> ListKey {
        ListKey {
            name: self.name.clone(),
            state: self.state.clone(),
            health: if self.state == "running" { self.health.clone() } else { None },
        }
    }
}

/// The part of a container that `GET /containers/json` shows on every Engine version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListKey {
    pub name: String,
    pub state: String,
    pub health: Option<String>,
}

impl ListKey {
    /// API 1.41 has no `Health` in the list: the health is read from the status text, and only
    /// running containers show it there.
    pub fn of_summary(s: &ContainerSummary) -> Option<(String, ListKey)> {
        let id = s.id.clone()?;
        let name = s.names.as_ref().and_then(|n| n.first()).map(|n| n.trim_start_matches('/').to_string());
        let state = s.state.map(|s| s.to_string()).unwrap_or_default();
        let status = s.status.as_deref().unwrap_or("");
        let health = if state != "running" {
            None
        } else if status.ends_with("(healthy)") {
            Some("healthy".to_string())
        } else if status.ends_with("(unhealthy)") {
            Some("unhealthy".to_string())
        } else if status.ends_with("(health: starting)") {
            Some("starting".to_string())
        } else {
            None
        };
        Some((id, ListKey { name: name.unwrap_or_default(), state, health }))
    }
}

/// Docker writes `0001-01-01T00:00:00Z` for "never".
fn docker_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(raw?).ok()?.with_timezone(&Utc);
    (t.year() > 1).then_some(t)
}

/// `None` when Docker's answer lacks an ID (it never does in practice).
pub fn from_inspect(r: ContainerInspectResponse) -> Option<Entry> {
    let id = r.id?;
    let config = r.config.unwrap_or_default();
    let labels = config.labels.unwrap_or_default();
    let state = r.state.unwrap_or_default();
    let network_mode = r.host_config.and_then(|h| h.network_mode);
    let links = Links::read(labels.get(COMPOSE_DEPENDS_ON).map(String::as_str), network_mode.as_deref());
    let health = state
        .health
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .filter(|s| matches!(s.as_str(), "starting" | "healthy" | "unhealthy"));
    Some(Entry {
        name: r.name.as_deref().unwrap_or("").trim_start_matches('/').to_string(),
        image: config.image.or(r.image).unwrap_or_default(),
        state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        health,
        compose_project: labels.get(COMPOSE_PROJECT).cloned(),
        compose_service: labels.get(COMPOSE_SERVICE).cloned(),
        created: docker_time(r.created.as_deref()).unwrap_or_default(),
        started_at: docker_time(state.started_at.as_deref()),
        finished_at: docker_time(state.finished_at.as_deref()),
        exit_code: state.exit_code.unwrap_or(0),
        swarm_service: labels.get(SWARM_SERVICE).cloned(),
        labels: our_labels(&labels),
        links: Box::new(links),
        id,
    })
}

/// A plain entry for unit tests elsewhere in `docker/`.
#[cfg(test)]
pub(super) fn test_entry(id: &str, name: &str, state: &str) -> Entry {
    Entry {
        id: id.into(),
        name: name.into(),
        image: "busybox".into(),
        state: state.into(),
        health: None,
        compose_project: None,
        compose_service: None,
        created: DateTime::<Utc>::default(),
        started_at: None,
        finished_at: None,
        exit_code: 0,
        swarm_service: None,
        labels: Default::default(),
        links: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trimmed `docker inspect` of a running container with a health check, from Engine 20.10.
    const INSPECT: &str = r#"{
        "Id": "4f1c3e0b9d8a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291807f6e",
        "Created": "2026-01-05T02:59:58.123456789Z",
        "Name": "/shop-web-1",
        "Image": "sha256:2e7c5bb82ef9",
        "State": {
            "Status": "running", "Running": true, "Paused": false, "Restarting": false,
            "OOMKilled": false, "Dead": false, "Pid": 42, "ExitCode": 0, "Error": "",
            "StartedAt": "2026-01-05T03:00:00.5Z", "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {"Status": "healthy", "FailingStreak": 0, "Log": []}
        },
        "Config": {
            "Image": "chrontainer-test-busybox:latest",
            "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}
        }
    }"#;

    #[test]
    fn inspect_gives_state_health_labels_and_times() {
        let r: ContainerInspectResponse = serde_json::from_str(INSPECT).unwrap();
        let e = from_inspect(r).unwrap();
        assert_eq!(e.name, "shop-web-1");
        assert_eq!(e.image, "chrontainer-test-busybox:latest");
        assert_eq!(e.state, "running");
        assert_eq!(e.health.as_deref(), Some("healthy"));
        assert_eq!(e.compose_project.as_deref(), Some("shop"));
        assert_eq!(e.compose_service.as_deref(), Some("web"));
        assert_eq!(crate::time::rfc3339(&e.created), "2026-01-05T02:59:58.123Z");
        assert_eq!(
            e.started_at.map(|t| crate::time::rfc3339(&t)).as_deref(),
            Some("2026-01-05T03:00:00.500Z")
        );
        assert_eq!(e.finished_at, None, "Docker's zero time means never");
        let c = e.to_container(&HostId::local(), e.started_at.unwrap() + chrono::Duration::seconds(30));
        assert_eq!(c.status, "Up 30 seconds (healthy)");
        assert_eq!(serde_json::to_value(&c).unwrap()["host"], "local");
    }

    #[test]
    fn never_started_has_no_start_time_and_none_health_is_null() {
        let raw = r#"{"Id": "abc", "Name": "/new", "Created": "2026-01-05T03:00:00Z",
            "State": {"Status": "created", "StartedAt": "0001-01-01T00:00:00Z",
                      "FinishedAt": "0001-01-01T00:00:00Z", "Health": {"Status": "none"}},
            "Config": {"Image": "busybox"}}"#;
        let e = from_inspect(serde_json::from_str(raw).unwrap()).unwrap();
        assert_eq!((e.state.as_str(), e.started_at, e.health), ("created", None, None));
        assert_eq!(e.compose_project, None);
    }

    #[test]
    fn list_key_reads_health_from_the_status_text_of_running_containers() {
        let raw = r#"[{"Id": "a", "Names": ["/web"], "State": "running", "Status": "Up 2 minutes (health: starting)"},
                      {"Id": "b", "Names": ["/db"], "State": "paused", "Status": "Up 2 minutes (Paused)"},
                      {"Id": "c", "Names": ["/x"], "State": "exited", "Status": "Exited (0) 1 second ago"}]"#;
        let list: Vec<ContainerSummary> = serde_json::from_str(raw).unwrap();
        let keys: Vec<_> = list.iter().filter_map(ListKey::of_summary).collect();
        assert_eq!(
            keys[0].1,
            ListKey { name: "web".into(), state: "running".into(), health: Some("starting".into()) }
        );
        assert_eq!(keys[1].1, ListKey { name: "db".into(), state: "paused".into(), health: None });
        assert_eq!(keys[2].1.state, "exited");
    }
}
