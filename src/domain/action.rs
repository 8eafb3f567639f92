//! The vocabulary shared by every actor: what can be done to a container, who asked, how it ended.

use std::fmt;
use std::str::FromStr;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Something Chrontainer can do to a container. Stored as its name (`store/columns.rs`).
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
pub enum Action {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Action::Start, Action::Stop, Action::Restart, Action::Pause, Action::Unpause];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Pause => "pause",
            Action::Unpause => "unpause",
        }
    }

    /// Stop, restart and pause interrupt a service: the dashboard asks before doing them.
    pub fn is_disruptive(self) -> bool {
        matches!(self, Action::Stop | Action::Restart | Action::Pause)
    }
}

impl FromStr for Action {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, AppError> {
        super::parse_word(s, Action::ALL, Action::as_str, "invalid_action", "action")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who started an action. Stored as its name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, AsExpression, FromSqlRow, utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Manual,
    Schedule,
    RunNow,
    /// A time window's boundary (or its re-application at start-up, after a reconnect, on an edit).
    Window,
    /// An autoheal rule: a container that stayed unhealthy.
    Health,
}

impl Trigger {
    pub const ALL: [Trigger; 5] =
        [Trigger::Manual, Trigger::Schedule, Trigger::RunNow, Trigger::Window, Trigger::Health];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::RunNow => "run_now",
            Trigger::Window => "window",
            Trigger::Health => "health",
        }
    }
}

/// How an action ended, as recorded in the activity log. Stored as its name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, AsExpression, FromSqlRow, utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Success,
    Error,
    Skipped,
    Missed,
    /// Autoheal stopped trying: the restarts allowed within its period did not make it healthy.
    GaveUp,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] =
        [RunStatus::Success, RunStatus::Error, RunStatus::Skipped, RunStatus::Missed, RunStatus::GaveUp];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Error => "error",
            RunStatus::Skipped => "skipped",
            RunStatus::Missed => "missed",
            RunStatus::GaveUp => "gave_up",
        }
    }
}

impl FromStr for Trigger {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, AppError> {
        super::parse_word(s, Trigger::ALL, Trigger::as_str, "invalid_parameter", "trigger")
    }
}

impl FromStr for RunStatus {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Self, AppError> {
        super::parse_word(s, RunStatus::ALL, RunStatus::as_str, "invalid_parameter", "status")
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_from_their_names_only() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), a);
        }
        let e = "explode".parse::<Action>().unwrap_err();
        assert_eq!(e.code(), "invalid_action");
        assert!(e.to_string().contains("explode"));
        assert!("Restart".parse::<Action>().is_err());
    }

    #[test]
    fn triggers_and_statuses_parse_from_their_names_only() {
        for t in Trigger::ALL {
            assert_eq!(t.as_str().parse::<Trigger>().unwrap(), t);
        }
        for r in RunStatus::ALL {
            assert_eq!(r.as_str().parse::<RunStatus>().unwrap(), r);
        }
        assert_eq!("cron".parse::<Trigger>().unwrap_err().field(), Some("trigger"));
        assert_eq!("failed".parse::<RunStatus>().unwrap_err().field(), Some("status"));
    }
}
