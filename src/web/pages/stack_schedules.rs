//! The schedules shown in a compose stack's header on the dashboard: those whose target is the
//! stack on its host (`{"stack": …}`, a chain of that one step), then the chains with a step on
//! the stack or on one of its containers. Each in a few words, linked to its row.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::dashboard::{next_run, when};
use super::format::{capitalize, TimeView};
use crate::domain::ChainStep;
use crate::store::Schedule;

/// One schedule in a stack's header.
#[derive(Debug, Serialize)]
pub(super) struct StackSchedule {
    /// Its row is `#s-{id}`.
    pub(super) id: i32,
    /// "Restart in order", or "Chain of 3 steps".
    pub(super) what: String,
    /// The cron in words, as the schedule rows say it: "at 03:00, only on Monday".
    pub(super) when: String,
    /// The chain's steps in words, for the link's title; empty for a stack schedule.
    pub(super) steps: String,
    pub(super) timezone: String,
    pub(super) next: Option<TimeView>,
    pub(super) enabled: bool,
}

/// The schedules of the stack `project` on `host`, whose containers are named `containers`:
/// the stack's own first, then the chains that include it, each by id.
pub(super) fn of(
    schedules: &[Schedule],
    host: &str,
    project: &str,
    containers: &[&str],
    tz_of: &dyn Fn(&Schedule) -> Tz,
    now: DateTime<Utc>,
) -> Vec<StackSchedule> {
    let on_host = |s: &Schedule, step: &ChainStep| step.host.as_ref().unwrap_or(&s.host).as_str() == host;
    let is_stack =
        |s: &Schedule, step: &ChainStep| on_host(s, step) && step.stack.as_deref() == Some(project);
    let in_stack = |s: &Schedule, step: &ChainStep| {
        is_stack(s, step)
            || (on_host(s, step) && step.container.as_deref().is_some_and(|c| containers.contains(&c)))
    };
    let mut found: Vec<(bool, &Schedule)> = schedules
        .iter()
        .filter_map(|s| {
            let steps = s.steps.as_ref()?;
            let own = matches!(steps.as_slice(), [step] if is_stack(s, step));
            (own || steps.iter().any(|step| in_stack(s, step))).then_some((own, s))
        })
        .collect();
    found.sort_by_key(|(own, s)| (!own, s.id.0));
    found
        .into_iter()
        .map(|(own, s)| {
            let tz = tz_of(s);
            let steps = s.steps.as_deref().unwrap_or_default();
            let (what, words) = match own {
                true => {
                    let action = steps.first().map_or(s.action, |step| step.action);
                    (format!("{} in order", capitalize(action.as_str())), String::new())
                }
                false => {
                    let words: Vec<String> = steps.iter().map(ChainStep::describe).collect();
                    let n = steps.len();
                    (format!("Chain of {n} step{}", if n == 1 { "" } else { "s" }), words.join(", then "))
                }
            };
            StackSchedule {
                id: s.id.0,
                what,
                when: when(s, tz),
                steps: words,
                timezone: s.timezone.clone(),
                next: s.enabled.then(|| next_run(s, tz, now)).flatten().map(|t| TimeView::new(t, tz, now)),
                enabled: s.enabled,
            }
        })
        .collect()
}
