//! Compose stacks and ordered runs: API.md's `Stack`, the dependency conditions compose writes in
//! `com.docker.compose.depends_on`, and the [`Step`] that stack actions and chains are made of.
//! Here rather than in `docker/`, because the actors run the steps and the web shows the stacks.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Action, HostId, Target};

/// When a dependency counts as ready for its dependents (compose's `depends_on` conditions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }

    /// What a step that starts the dependency waits for before its dependents start. Started
    /// is what the start itself did.
    pub fn wait(self) -> Wait {
        match self {
            Condition::ServiceStarted => Wait::None,
            Condition::ServiceHealthy => Wait::Healthy,
            Condition::ServiceCompletedSuccessfully => Wait::Completed,
        }
    }
}

/// One edge of a stack: the service depended on, when it is ready, and whether a restart of it
/// restarts the dependent too (compose's `restart: true`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
    pub restart: bool,
}

/// One container of a stack's service.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StackService {
    pub service: String,
    /// The container's name.
    pub container: String,
    pub container_id: String,
    pub state: String,
    pub health: Option<String>,
    /// From the compose labels, and `network_mode: service:`/`container:` (condition
    /// `service_started`).
    pub depends_on: Vec<Dependency>,
}

/// API.md's `Stack`: a compose project on a host, read from its containers' labels.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stack {
    pub host: HostId,
    pub name: String,
    /// Its containers, in `order` (by name where the order does not decide).
    pub services: Vec<StackService>,
    /// The services, every one after those it depends on; empty when there is a cycle.
    pub order: Vec<String>,
    /// The services of a dependency cycle (the first one again at the end), `null` without one.
    pub cycle: Option<Vec<String>>,
}

/// What a step waits for after its action, before the next step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    None,
    Running,
    Healthy,
    /// Exited with code 0 (a one-shot job).
    Completed,
}

impl Wait {
    pub fn as_str(self) -> &'static str {
        match self {
            Wait::None => "none",
            Wait::Running => "running",
            Wait::Healthy => "healthy",
            Wait::Completed => "completed",
        }
    }
}

/// One step of a run: an action on a target, then a wait of at most `timeout`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub target: Target,
    pub action: Action,
    pub wait: Wait,
    pub timeout: Duration,
    /// A container restart that takes along those that restart with it (`stacks::dependents`):
    /// it becomes their steps when its turn comes, like a stack step.
    pub with_dependents: bool,
}

/// One step of a schedule's chain as API.md writes it (and the `steps` column keeps it):
/// `{host, container | service | stack, action, wait, timeout_s}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainStep {
    /// The step's host; the schedule's host when `null` (rows written before steps had hosts).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub host: Option<HostId>,
    /// A container's name; `null` for a stack or service step.
    pub container: Option<String>,
    /// A Swarm service (name); `null` for a container or stack step.
    #[serde(default)]
    pub service: Option<String>,
    /// A compose project, run in dependency order; `null` for a container step.
    pub stack: Option<String>,
    pub action: Action,
    pub wait: Wait,
    /// 1 to 3600.
    pub timeout_s: u64,
    /// A container restart with its dependents (stopped before it, started after it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub with_dependents: bool,
}

impl ChainStep {
    /// The step to run: on its own host, else on `host` (the schedule's).
    pub fn to_step(&self, host: &HostId) -> Step {
        let host = self.host.clone().unwrap_or_else(|| host.clone());
        let target = match (&self.container, &self.service, &self.stack) {
            (_, _, Some(stack)) => Target::stack(host, stack.clone()),
            (_, Some(service), None) => Target::service(host, service.clone()),
            (container, None, None) => Target::container(host, container.clone().unwrap_or_default()),
        };
        let timeout = Duration::from_secs(self.timeout_s);
        Step { target, action: self.action, wait: self.wait, timeout, with_dependents: self.with_dependents }
    }

    /// "stop app, then wait until healthy (60 s)" words for a schedule's sentence; a step on
    /// another host than `local` says which.
    pub fn describe(&self) -> String {
        let mut what = match (&self.container, &self.service, &self.stack) {
            (_, _, Some(stack)) => format!("stack {stack}"),
            (_, Some(service), None) => format!("service {service}"),
            (container, None, None) => container.clone().unwrap_or_default(),
        };
        if let Some(host) = self.host.as_ref().filter(|h| h.as_str() != HostId::LOCAL) {
            what = format!("{what} on {host}");
        }
        if self.with_dependents {
            what = format!("{what} and its dependents");
        }
        match self.wait {
            Wait::None => format!("{} {what}", self.action),
            wait => {
                format!("{} {what}, wait until {} (at most {} s)", self.action, wait.as_str(), self.timeout_s)
            }
        }
    }
}

/// What a wait looks at: a container's state, health and last exit code, from the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub name: String,
    pub state: String,
    pub health: Option<String>,
    pub exit_code: i64,
}

/// Where a wait stands after one look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Ready,
    NotYet,
    /// It will not get there: why.
    Failed(String),
}

impl Wait {
    /// Whether `r` is what this wait waits for, may still become it, or never will.
    pub fn check(self, r: &Readiness) -> Check {
        let ended = matches!(r.state.as_str(), "exited" | "dead");
        match self {
            Wait::None => Check::Ready,
            Wait::Running if r.state == "running" => Check::Ready,
            Wait::Healthy if r.state == "running" && r.health.as_deref() == Some("healthy") => Check::Ready,
            Wait::Healthy if r.state == "running" && r.health.is_none() => {
                Check::Failed(format!("{} has no health check, so it can never be healthy", r.name))
            }
            Wait::Completed if ended && r.exit_code == 0 => Check::Ready,
            Wait::Completed if ended => Check::Failed(format!("{} exited with code {}", r.name, r.exit_code)),
            Wait::Running | Wait::Healthy if ended => {
                Check::Failed(format!("{} exited (code {}) instead of running", r.name, r.exit_code))
            }
            _ => Check::NotYet,
        }
    }

    /// The end of a wait that timed out, for the log: what it waited for and what it saw last.
    pub fn timed_out(self, r: &Readiness, timeout: Duration) -> String {
        let seen = match &r.health {
            Some(h) => format!("{}, health {h}", r.state),
            None => r.state.clone(),
        };
        let wanted = match self {
            Wait::Completed => "completed",
            Wait::Healthy => "healthy",
            Wait::Running | Wait::None => "running",
        };
        format!("{} was not {wanted} after {} s (it is {seen})", r.name, timeout.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: &str, health: Option<&str>, exit_code: i64) -> Readiness {
        Readiness { name: "db".into(), state: state.into(), health: health.map(String::from), exit_code }
    }

    #[test]
    fn healthy_waits_for_healthy_and_gives_up_on_an_exit_or_no_health_check() {
        assert_eq!(Wait::Healthy.check(&seen("running", Some("healthy"), 0)), Check::Ready);
        assert_eq!(Wait::Healthy.check(&seen("running", Some("starting"), 0)), Check::NotYet);
        assert_eq!(Wait::Healthy.check(&seen("running", Some("unhealthy"), 0)), Check::NotYet);
        assert!(
            matches!(Wait::Healthy.check(&seen("running", None, 0)), Check::Failed(m) if m.contains("no health check"))
        );
        assert!(
            matches!(Wait::Healthy.check(&seen("exited", None, 3)), Check::Failed(m) if m.contains("code 3"))
        );
        let why = Wait::Healthy.timed_out(&seen("running", Some("unhealthy"), 0), Duration::from_secs(4));
        assert_eq!(why, "db was not healthy after 4 s (it is running, health unhealthy)");
    }

    #[test]
    fn completed_wants_exit_code_zero() {
        assert_eq!(Wait::Completed.check(&seen("running", None, 0)), Check::NotYet);
        assert_eq!(Wait::Completed.check(&seen("exited", None, 0)), Check::Ready);
        assert_eq!(
            Wait::Completed.check(&seen("exited", None, 1)),
            Check::Failed("db exited with code 1".into())
        );
        assert_eq!(Wait::Running.check(&seen("created", None, 0)), Check::NotYet);
        assert_eq!(Wait::None.check(&seen("exited", None, 1)), Check::Ready);
    }
}
