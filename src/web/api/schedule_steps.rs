//! The target part of a schedule's body beside `container`: `stack` (one compose project in
//! dependency order) or `steps` (a chain), validated into the `ChainStep`s the schedule keeps.
//! Each step names its own host (the schedule's by default) and is checked on that host.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::docker::stacks;
use crate::domain::{Action, ChainStep, HostId, Wait};
use crate::error::AppError;
use crate::web::input::{not_null, optional_text, required_text};
use crate::web::AppState;

/// At most this many steps in one chain.
pub const MAX_STEPS: usize = 20;
const MAX_NAME: usize = 256;

/// One step of `steps`: exactly one of `container`, `service` and `stack`, on `host`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// The step's Docker host (by name); default the schedule's host.
    #[serde(default, deserialize_with = "not_null::host")]
    #[schema(nullable = false, max_length = 63)]
    pub host: Option<String>,
    #[serde(default, deserialize_with = "not_null::container")]
    #[schema(nullable = false, max_length = 256)]
    pub container: Option<String>,
    /// A compose project: its containers in dependency order (restart, stop or start).
    #[serde(default, deserialize_with = "not_null::stack")]
    #[schema(nullable = false, max_length = 256)]
    pub stack: Option<String>,
    /// A Swarm service (name or ID): start, stop or restart.
    #[serde(default, deserialize_with = "not_null::service")]
    #[schema(nullable = false, max_length = 256)]
    pub service: Option<String>,
    #[serde(default, deserialize_with = "not_null::action")]
    #[schema(value_type = Action)]
    pub action: Option<String>,
    /// What to wait for before the next step: none (default), running, healthy or completed
    /// (exited with code 0).
    #[serde(default, deserialize_with = "not_null::wait")]
    #[schema(value_type = Option<Wait>, nullable = false)]
    pub wait: Option<String>,
    /// How long the wait may take, 1 to 3600 s; default 60.
    #[serde(default, deserialize_with = "not_null::timeout_s")]
    #[schema(nullable = false, minimum = 1, maximum = 3600)]
    pub timeout_s: Option<i64>,
    /// A container restart only: also restart those that restart with it (sharing its network,
    /// or depending on it with `restart: true`), stopped before it and started after it.
    #[serde(default, deserialize_with = "not_null::with_dependents")]
    #[schema(nullable = false)]
    pub with_dependents: Option<bool>,
}

fn invalid(message: String) -> AppError {
    AppError::invalid("invalid_steps", Some("steps"), message)
}

fn wait_of(raw: Option<String>, n: usize) -> Result<Wait, AppError> {
    let all = [Wait::None, Wait::Running, Wait::Healthy, Wait::Completed];
    match raw {
        None => Ok(Wait::None),
        Some(w) => all.into_iter().find(|a| a.as_str() == w.trim()).ok_or_else(|| {
            invalid(format!(
                "steps[{n}].wait: {:?} is not one of none, running, healthy, completed",
                crate::text::clip(&w, 40)
            ))
        }),
    }
}

/// Validates the steps; every container, service and stack they name must exist now on the
/// step's host (404 otherwise).
pub async fn parse(
    state: &AppState,
    host: &HostId,
    steps: Vec<StepBody>,
) -> Result<Vec<ChainStep>, AppError> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return Err(invalid(format!("steps: give 1 to {MAX_STEPS} steps, not {}", steps.len())));
    }
    let mut out = Vec::with_capacity(steps.len());
    for (n, step) in steps.into_iter().enumerate() {
        let action = required_text(step.action, "action", 40)?.parse::<Action>()?;
        let step_host = optional_text(step.host, "host", 63)?.map_or_else(|| host.clone(), HostId);
        let docker = state.actors.hosts.get(&step_host)?;
        let container = optional_text(step.container, "container", MAX_NAME)?;
        let service = optional_text(step.service, "service", MAX_NAME)?;
        let stack = optional_text(step.stack, "stack", MAX_NAME)?;
        let (container, service, stack) = match (container, service, stack) {
            (Some(c), None, None) => {
                let found = docker.send(crate::docker::GetContainer(c)).await??;
                (Some(found.name), None, None)
            }
            (None, Some(s), None) => {
                crate::web::api::services::service_action(action.as_str())?;
                let found = docker.send(crate::docker::GetService(s)).await??;
                (None, Some(found.name), None)
            }
            (None, None, Some(s)) => {
                stacks::ordered(action)?;
                state.actors.runner.stack(&step_host, &s).await?;
                (None, None, Some(s))
            }
            _ => {
                return Err(invalid(format!("steps[{n}]: give exactly one of container, service and stack")))
            }
        };
        let timeout_s = step.timeout_s.unwrap_or(60);
        if !(1..=3600).contains(&timeout_s) {
            return Err(invalid(format!("steps[{n}].timeout_s: {timeout_s} is not from 1 to 3600")));
        }
        let wait = wait_of(step.wait, n)?;
        let with_dependents = step.with_dependents.unwrap_or(false);
        if with_dependents && (container.is_none() || action != Action::Restart) {
            return Err(invalid(format!(
                "steps[{n}].with_dependents: only a container's restart has dependents"
            )));
        }
        let host = Some(step_host);
        let timeout_s = timeout_s as u64;
        out.push(ChainStep { host, container, service, stack, action, wait, timeout_s, with_dependents });
    }
    Ok(out)
}

/// The JSON the `steps` column keeps.
pub fn to_column(steps: &[ChainStep]) -> Result<String, AppError> {
    serde_json::to_string(steps).map_err(|e| AppError::Internal(format!("steps as JSON: {e}")))
}
