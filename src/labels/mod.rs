//! The `chrontainer.*` label grammar (DEPLOYMENT.md, "Schedules from labels"), parsed into typed
//! values. Pure: the LabelActor (`actors/labels.rs`) feeds it a container's labels and turns the
//! jobs into schedule rows. Label text is untrusted: every key and value is bounded, control
//! characters are refused, and what an error quotes back is clipped and printable.

mod grammar;
#[cfg(test)]
mod tests;

pub use grammar::{autoheal_wanted, notify_allowed, parse};

use serde::{Deserialize, Serialize};

use crate::domain::Action;

/// The prefix of every label this grammar reads; others are ignored.
pub const PREFIX: &str = "chrontainer.";
/// The label by which a container opts out of notifications (API.md): `chrontainer.notify=false`.
pub const NOTIFY: &str = "chrontainer.notify";
/// The label by which a container opts in to autoheal (API.md): `chrontainer.autoheal=true`.
pub const AUTOHEAL: &str = "chrontainer.autoheal";
/// A key longer than this is refused (Docker allows far more).
pub const MAX_KEY: usize = 128;
/// A value longer than this is refused.
pub const MAX_VALUE: usize = 256;
/// `chrontainer.*` labels read from one container; the rest are refused with one error.
pub const MAX_LABELS: usize = 32;
/// How much of a key or a value an error quotes.
const QUOTE: usize = 40;

/// A job's guard (`.only_if`) is the schedule's own (`domain::OnlyIf`).
pub use crate::domain::OnlyIf;

/// What one label job asks for: the values a schedule row takes from the labels, and what
/// "revert to the label" restores. Stored as JSON in `schedules.label_spec`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub action: Action,
    /// Validated against CRON.md.
    pub cron: String,
    /// A valid IANA zone, or `None` for the configured default.
    pub timezone: Option<String>,
    pub only_if: Option<OnlyIf>,
    /// A `chrontainer.window.*` job: the window the WatchActor keeps (its `cron` is the window's
    /// opening, as for a window made in the dashboard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<crate::domain::WindowJson>,
}

/// One job: `chrontainer.<action>.*` (id `<action>`) or `chrontainer.job.<name>.*` (id `job.<name>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub spec: JobSpec,
}

/// The state a window label keeps its container in is the dashboard's (`domain::WindowState`).
pub use crate::domain::WindowState;

/// `chrontainer.window.stopped|paused=<days> <from>-<to> [zone]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub state: WindowState,
    /// `Mon-Fri`, `Sat,Sun`, or `*` for every day, as written (validated).
    pub days: String,
    /// `HH:MM` or `HH:MM:SS`.
    pub from: String,
    pub to: String,
    pub timezone: Option<String>,
}

impl Window {
    /// The job of a window label (id `window.stopped` or `window.paused`): the window checked by
    /// the same rules as one made in the dashboard.
    pub fn job(&self) -> Result<Job, String> {
        let state = self.state;
        let days = (self.days != "*").then_some(self.days.as_str());
        let window = crate::domain::Window::parse(state.as_str(), &self.from, &self.to, days)
            .map_err(|e| e.to_string())?;
        let timezone = self.timezone.clone().unwrap_or_default();
        Ok(Job {
            id: format!("window.{}", state.as_str()),
            spec: JobSpec {
                action: state.action(),
                cron: window.opening_cron(),
                timezone: self.timezone.clone(),
                only_if: None,
                window: Some(window.to_json(&timezone)),
            },
        })
    }
}

/// A label that was refused, and why: one `error` entry in the activity log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelError {
    /// The key, clipped and with anything unprintable replaced.
    pub label: String,
    pub problem: String,
}

/// Everything a container's `chrontainer.*` labels say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// Sorted by id.
    pub jobs: Vec<Job>,
    pub windows: Vec<Window>,
    pub autoheal: Option<bool>,
    pub notify: Option<bool>,
    pub errors: Vec<LabelError>,
    /// Ids of jobs some of whose labels were refused: not scheduled, and an existing schedule for
    /// one is left as it is rather than removed over a typo.
    pub refused: Vec<String>,
}

/// Text from a label, safe to quote in a message: at most [`QUOTE`] characters, control
/// characters shown as `?`. Pages escape it again when they show it.
pub fn quote(text: &str) -> String {
    let printable: String =
        text.chars().take(QUOTE + 1).map(|c| if c.is_control() { '?' } else { c }).collect();
    crate::text::clip(&printable, QUOTE)
}
