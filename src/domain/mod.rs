//! The bottom floor: the words every other floor shares. It imports nothing from `actors/`,
//! `docker/`, `store/` or `web/`, so anything may import it.

mod action;
mod container;
mod ids;
mod rule;
mod run;
mod service;
mod stack;
mod target;
mod window;

pub use action::{Action, RunStatus, Trigger};
pub use container::{Container, DockerHealth, HostState};
pub use ids::{HostId, ScheduleId, UserId};
pub use rule::{AutohealContainer, AutohealLimits, AutohealRules, Guard, OnlyIf};
pub use run::{RunFailure, RunResult};
pub use service::{Service, STACK_LABEL};
pub use stack::{ChainStep, Check, Condition, Dependency, Readiness, Stack, StackService, Step, Wait};
pub use target::{ContainerRef, Target, TargetKind};
pub use window::{Days, Period, Transition, Window, WindowJson, WindowState};

use crate::error::AppError;

/// Reads a word of a closed vocabulary (`all`, each spelt by `word`), or answers 400 `code` naming
/// `field` and every word it may be.
pub(crate) fn parse_word<T: Copy, const N: usize>(
    s: &str,
    all: [T; N],
    word: fn(T) -> &'static str,
    code: &'static str,
    field: &'static str,
) -> Result<T, AppError> {
    all.into_iter().find(|w| word(*w) == s).ok_or_else(|| {
        let words = all.map(word).join(", ");
        AppError::invalid(
            code,
            Some(field),
            format!("{field}: {:?} is not one of {words}", crate::text::clip(s, 40)),
        )
    })
}
