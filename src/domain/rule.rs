//! Rules beyond the clock (issue 15): a schedule's guard (`only_if`, and leaving alone what a
//! person stopped or paused) and the autoheal rule set. Pure words and checks, so that the API,
//! the label parser, the DockerActor (which judges a guard on a fresh inspect) and the WatchActor
//! read them one way.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use super::{Action, HostId};
use crate::error::AppError;

/// The state a schedule's container must be in when it fires (`only_if`); otherwise the run is
/// `skipped`, naming the state found.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum OnlyIf {
    Running,
    Stopped,
    /// Running, with a health check that says healthy.
    Healthy,
    /// Running, with a health check that says unhealthy.
    Unhealthy,
}

impl OnlyIf {
    pub const ALL: [OnlyIf; 4] = [OnlyIf::Running, OnlyIf::Stopped, OnlyIf::Healthy, OnlyIf::Unhealthy];

    pub fn as_str(self) -> &'static str {
        match self {
            OnlyIf::Running => "running",
            OnlyIf::Stopped => "stopped",
            OnlyIf::Healthy => "healthy",
            OnlyIf::Unhealthy => "unhealthy",
        }
    }

    /// `Err(reason)` when a container in Docker's `state` with `health` does not meet it.
    pub fn check(self, state: &str, health: Option<&str>) -> Result<(), String> {
        let stopped = matches!(state, "exited" | "created" | "dead");
        let met = match self {
            OnlyIf::Running => state == "running",
            OnlyIf::Stopped => stopped,
            OnlyIf::Healthy => state == "running" && health == Some("healthy"),
            OnlyIf::Unhealthy => state == "running" && health == Some("unhealthy"),
        };
        if met {
            return Ok(());
        }
        let found = match (self, health) {
            (OnlyIf::Healthy | OnlyIf::Unhealthy, _) if state != "running" => format!("it is {state}"),
            (OnlyIf::Healthy | OnlyIf::Unhealthy, None) => "it has no health check".to_string(),
            (OnlyIf::Healthy | OnlyIf::Unhealthy, Some(h)) => format!("it is {h}"),
            _ => format!("it is {state}"),
        };
        Err(format!("only if {}: {found}", self.as_str()))
    }
}

impl FromStr for OnlyIf {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, AppError> {
        super::parse_word(s, OnlyIf::ALL, OnlyIf::as_str, "invalid_only_if", "only_if")
    }
}

impl fmt::Display for OnlyIf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What must hold before a rule (a schedule, a window, autoheal) acts: judged by the DockerActor
/// on a fresh inspect, so the state is the one of the moment it fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guard {
    pub only_if: Option<OnlyIf>,
    /// Leave alone a container that someone stopped or paused outside Chrontainer: start,
    /// restart and unpause skip until a person starts it again.
    pub respect_manual: bool,
}

impl Guard {
    /// No condition: a person asked, or the rule keeps its own books (a window).
    pub const NONE: Guard = Guard { only_if: None, respect_manual: false };

    /// Why `action` must not happen to a container in `state` with `health`; `by_hand` says
    /// whether its last stop or pause was made outside Chrontainer.
    pub fn refusal(
        &self,
        action: Action,
        state: &str,
        health: Option<&str>,
        by_hand: bool,
    ) -> Option<String> {
        let wakes = matches!(action, Action::Start | Action::Restart | Action::Unpause);
        if self.respect_manual && by_hand && wakes {
            let how = if state == "paused" { "paused" } else { "stopped" };
            return Some(format!("{how} by hand: schedules leave it alone until someone starts it"));
        }
        self.only_if.and_then(|o| o.check(state, health).err())
    }
}

/// How autoheal treats one container: how long it must stay unhealthy, and how many restarts
/// within how many minutes before it gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutohealLimits {
    /// Seconds a container must stay unhealthy before the first restart (1–86400).
    #[schema(minimum = 1, maximum = 86400, example = 60)]
    pub after_s: u32,
    /// Restarts allowed within `per_minutes` before autoheal gives up (1–100).
    #[schema(minimum = 1, maximum = 100, example = 3)]
    pub max_restarts: u32,
    #[schema(minimum = 1, maximum = 10080, example = 60)]
    pub per_minutes: u32,
}

impl Default for AutohealLimits {
    fn default() -> Self {
        AutohealLimits { after_s: 60, max_restarts: 3, per_minutes: 60 }
    }
}

/// The longest wait between two restarts, however often it failed.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

impl AutohealLimits {
    /// How long a container must have been unhealthy before the next restart, after `restarts`
    /// recent ones: `after_s`, then doubling (exponential back-off), at most an hour.
    pub fn delay(&self, restarts: usize) -> Duration {
        let factor = 1u64 << restarts.min(20);
        Duration::from_secs(u64::from(self.after_s).saturating_mul(factor)).min(MAX_BACKOFF.max(self.first()))
    }

    fn first(&self) -> Duration {
        Duration::from_secs(u64::from(self.after_s))
    }

    /// The period restarts are counted in.
    pub fn period(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.per_minutes))
    }

    pub fn validate(&self, field: &'static str) -> Result<(), AppError> {
        in_range(self.after_s, 1, 86_400, field, "after_s")?;
        in_range(self.max_restarts, 1, 100, field, "max_restarts")?;
        in_range(self.per_minutes, 1, 10_080, field, "per_minutes")
    }
}

fn in_range(v: u32, min: u32, max: u32, field: &'static str, name: &str) -> Result<(), AppError> {
    if (min..=max).contains(&v) {
        return Ok(());
    }
    Err(AppError::invalid(
        "invalid_autoheal",
        Some(field),
        format!("{field}: {name} {v} is out of range {min}-{max}"),
    ))
}

/// One container's entry in the autoheal rule set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutohealContainer {
    #[serde(default = "HostId::local")]
    pub host: HostId,
    #[schema(max_length = 256)]
    pub container: String,
    /// `false` keeps autoheal off for it, even with the label `chrontainer.autoheal=true`.
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 86400)]
    pub after_s: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100)]
    pub max_restarts: Option<u32>,
}

/// API.md's autoheal rule set (`GET`/`PUT /api/autoheal`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutohealRules {
    /// The master switch: off, autoheal restarts nothing.
    pub enabled: bool,
    pub default: AutohealLimits,
    /// The containers that opted in (or out); the label `chrontainer.autoheal=true` also opts in.
    pub containers: Vec<AutohealContainer>,
}

/// The most containers a rule set may name.
pub const MAX_AUTOHEAL_CONTAINERS: usize = 1000;

impl AutohealRules {
    /// The limits autoheal applies to `container` on `host`, or `None` when it leaves it alone.
    /// `by_label` says the container carries `chrontainer.autoheal=true`.
    pub fn limits_for(&self, host: &HostId, container: &str, by_label: bool) -> Option<AutohealLimits> {
        if !self.enabled {
            return None;
        }
        match self.containers.iter().find(|c| &c.host == host && c.container == container) {
            Some(c) if c.enabled => Some(AutohealLimits {
                after_s: c.after_s.unwrap_or(self.default.after_s),
                max_restarts: c.max_restarts.unwrap_or(self.default.max_restarts),
                per_minutes: self.default.per_minutes,
            }),
            Some(_) => None,
            None => by_label.then_some(self.default),
        }
    }

    /// Refuses numbers out of range, empty or overlong names, duplicates and too many entries.
    pub fn validate(&self) -> Result<(), AppError> {
        self.default.validate("default")?;
        if self.containers.len() > MAX_AUTOHEAL_CONTAINERS {
            return Err(AppError::invalid(
                "too_long",
                Some("containers"),
                format!("containers: at most {MAX_AUTOHEAL_CONTAINERS} entries"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.containers {
            let name = c.container.trim();
            if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    "invalid_autoheal",
                    Some("containers"),
                    format!("containers: {:?} is not a container name", crate::text::clip(name, 40)),
                ));
            }
            if !seen.insert((&c.host, name)) {
                return Err(AppError::invalid(
                    "invalid_autoheal",
                    Some("containers"),
                    format!("containers: {:?} is listed twice", crate::text::clip(name, 40)),
                ));
            }
            let limits = AutohealLimits {
                after_s: c.after_s.unwrap_or(self.default.after_s),
                max_restarts: c.max_restarts.unwrap_or(self.default.max_restarts),
                per_minutes: self.default.per_minutes,
            };
            limits.validate("containers")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_if_names_the_state_it_found() {
        assert_eq!(OnlyIf::Running.check("running", None), Ok(()));
        assert_eq!(OnlyIf::Running.check("exited", None).unwrap_err(), "only if running: it is exited");
        assert_eq!(OnlyIf::Stopped.check("created", None), Ok(()));
        assert_eq!(OnlyIf::Stopped.check("paused", None).unwrap_err(), "only if stopped: it is paused");
        assert_eq!(OnlyIf::Healthy.check("running", Some("healthy")), Ok(()));
        assert_eq!(
            OnlyIf::Healthy.check("running", Some("unhealthy")).unwrap_err(),
            "only if healthy: it is unhealthy"
        );
        assert_eq!(
            OnlyIf::Healthy.check("running", None).unwrap_err(),
            "only if healthy: it has no health check"
        );
        // a paused container keeps its last health verdict: it is not "unhealthy and running"
        assert_eq!(
            OnlyIf::Unhealthy.check("paused", Some("unhealthy")).unwrap_err(),
            "only if unhealthy: it is paused"
        );
        assert_eq!("healthy".parse::<OnlyIf>().unwrap(), OnlyIf::Healthy);
        let e = "sick".parse::<OnlyIf>().unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_only_if", Some("only_if")));
    }

    #[test]
    fn a_hand_stopped_container_is_left_alone_by_rules_that_would_wake_it() {
        let guard = Guard { only_if: None, respect_manual: true };
        for action in [Action::Start, Action::Restart, Action::Unpause] {
            assert!(guard.refusal(action, "exited", None, true).unwrap().starts_with("stopped by hand"));
        }
        assert!(guard.refusal(Action::Unpause, "paused", None, true).unwrap().starts_with("paused by hand"));
        assert_eq!(guard.refusal(Action::Stop, "running", None, true), None, "a stop never wakes it");
        assert_eq!(guard.refusal(Action::Start, "exited", None, false), None);
        let off = Guard { only_if: None, respect_manual: false };
        assert_eq!(off.refusal(Action::Start, "exited", None, true), None);
        let healthy = Guard { only_if: Some(OnlyIf::Healthy), respect_manual: false };
        assert!(healthy.refusal(Action::Restart, "running", Some("unhealthy"), false).is_some());
    }

    #[test]
    fn autoheal_backs_off_exponentially_up_to_an_hour() {
        let limits = AutohealLimits { after_s: 10, max_restarts: 3, per_minutes: 60 };
        let secs: Vec<u64> = (0..4).map(|n| limits.delay(n).as_secs()).collect();
        assert_eq!(secs, [10, 20, 40, 80]);
        assert_eq!(limits.delay(30), Duration::from_secs(3600));
        let slow = AutohealLimits { after_s: 7200, ..limits };
        assert_eq!(slow.delay(3), Duration::from_secs(7200), "never shorter than after_s");
    }

    #[test]
    fn autoheal_applies_to_listed_or_labelled_containers_when_on() {
        let host = HostId::local();
        let mut rules = AutohealRules {
            enabled: true,
            default: AutohealLimits::default(),
            containers: vec![
                AutohealContainer {
                    host: host.clone(),
                    container: "web".into(),
                    enabled: true,
                    after_s: Some(5),
                    max_restarts: None,
                },
                AutohealContainer {
                    host: host.clone(),
                    container: "db".into(),
                    enabled: false,
                    after_s: None,
                    max_restarts: None,
                },
            ],
        };
        assert_eq!(rules.limits_for(&host, "web", false).unwrap().after_s, 5);
        assert_eq!(rules.limits_for(&host, "web", false).unwrap().max_restarts, 3);
        assert_eq!(rules.limits_for(&host, "db", true), None, "listed as off beats the label");
        assert_eq!(rules.limits_for(&host, "cache", true), Some(AutohealLimits::default()));
        assert_eq!(rules.limits_for(&host, "cache", false), None);
        rules.validate().unwrap();
        rules.enabled = false;
        assert_eq!(rules.limits_for(&host, "web", false), None);
        rules.containers[1].container = "web".into();
        assert_eq!(rules.validate().unwrap_err().code(), "invalid_autoheal");
        rules.containers.truncate(1);
        rules.default.after_s = 0;
        assert_eq!(rules.validate().unwrap_err().field(), Some("default"));
    }
}
