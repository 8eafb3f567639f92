//! The dashboard's recent activity: the newest log entries, the entries of one run (a stack
//! action, a chain, a restart with dependents, a restore) gathered into one item that expands
//! into its steps. A step is one container's part in the run: a stack restart of three services
//! is one run of three steps, each "stop → start". A failed run that stopped something offers
//! "Restore" (`POST /api/runs/{run_id}/restore`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::format::{capitalize, run_status, url_encode, TimeView};
use crate::actors::restore::stopped_by;
use crate::domain::{HostId, RunStatus, Trigger};
use crate::store::LogEntry;

/// How many entries the dashboard reads for its recent activity.
pub const ENTRIES: i64 = 60;
/// How many items it shows.
const ITEMS: usize = 8;
/// Messages are the Engine's words (and a container's): shown cut.
const MESSAGE: usize = 300;

/// One item: a run, or a single action.
#[derive(Debug, Serialize)]
pub struct Item {
    /// The element's id: `run-<run_id>` or `entry-<id>`.
    dom_id: String,
    run: bool,
    run_id: String,
    run_href: String,
    time: TimeView,
    status_class: &'static str,
    status_label: String,
    /// `3 steps: web, api, db`, or `Restart web`.
    summary: String,
    trigger: String,
    /// Why it failed (a run: its failed step's message), or what a single action said.
    message: String,
    steps: Vec<StepView>,
    restorable: bool,
}

/// One container's part in a run.
#[derive(Debug, Serialize)]
pub struct StepView {
    container: String,
    /// Shown only when it is not `local`.
    host: String,
    /// `stop → start`.
    actions: String,
    status_class: &'static str,
    status_label: String,
    message: String,
}

/// The newest items of `entries` (newest first, as the store pages them).
pub fn recent(entries: Vec<LogEntry>, tz: Tz, now: DateTime<Utc>) -> Vec<Item> {
    // each item's entries, newest first; a run's entries join its first (newest) one
    let mut groups: Vec<Vec<LogEntry>> = Vec::new();
    for e in entries {
        let at = e.run_id.as_ref().and_then(|r| groups.iter().position(|g| g[0].run_id.as_ref() == Some(r)));
        match at {
            Some(i) => groups[i].push(e),
            None if groups.len() < ITEMS => groups.push(vec![e]),
            None => {}
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.reverse();
            item(g, tz, now)
        })
        .collect()
}

/// The worst of the statuses: a failure, else a success, else what the first one was.
fn overall(entries: &[&LogEntry]) -> RunStatus {
    let has = |s: RunStatus| entries.iter().any(|e| e.status == s);
    if has(RunStatus::Error) {
        RunStatus::Error
    } else if has(RunStatus::Success) {
        RunStatus::Success
    } else {
        entries.first().map_or(RunStatus::Skipped, |e| e.status)
    }
}

fn trigger(e: &LogEntry) -> String {
    let what = match e.trigger {
        Trigger::Manual => "Manual".to_string(),
        other => capitalize(&other.as_str().replace('_', " ")),
    };
    let schedule = e.schedule_id.map(|id| format!(", schedule #{id}")).unwrap_or_default();
    let who =
        e.requested_by.as_deref().map(|w| format!(" ({})", crate::text::clip(w, 64))).unwrap_or_default();
    format!("{what}{schedule}{who}")
}

/// An item from its entries, oldest first.
fn item(entries: Vec<LogEntry>, tz: Tz, now: DateTime<Utc>) -> Item {
    let all: Vec<&LogEntry> = entries.iter().collect();
    let status = overall(&all);
    let (status_class, status_label) = run_status(Some(status));
    let first = &entries[0];
    let last = &entries[entries.len() - 1];
    let failed = entries.iter().find(|e| e.status == RunStatus::Error);
    let message = crate::text::clip(&failed.unwrap_or(last).message, MESSAGE);
    let time = TimeView::new(last.timestamp, tz, now);
    let Some(run_id) = first.run_id.clone() else {
        return Item {
            dom_id: format!("entry-{}", first.id),
            run: false,
            run_id: String::new(),
            run_href: String::new(),
            time,
            status_class,
            status_label,
            summary: format!("{} {}", capitalize(first.action.as_str()), first.container),
            trigger: trigger(first),
            message,
            steps: Vec::new(),
            restorable: false,
        };
    };
    let steps = steps(&entries);
    let names: Vec<&str> = steps.iter().map(|s| s.container.as_str()).collect();
    let count = if steps.len() == 1 { "1 step".to_string() } else { format!("{} steps", steps.len()) };
    Item {
        dom_id: format!("run-{run_id}"),
        run: true,
        run_href: format!("/logs?run_id={}", url_encode(&run_id)),
        restorable: status == RunStatus::Error && !stopped_by(&entries).is_empty(),
        run_id,
        time,
        status_class,
        status_label,
        summary: format!("{count}: {}", names.join(", ")),
        trigger: trigger(first),
        message: if status == RunStatus::Error { message } else { String::new() },
        steps,
    }
}

/// A run's entries (oldest first) as one step per container, in the order each first acted.
fn steps(entries: &[LogEntry]) -> Vec<StepView> {
    let mut keys: Vec<(&HostId, &str)> = Vec::new();
    for e in entries {
        let key = (&e.host, e.container.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(host, container)| {
            let own: Vec<&LogEntry> =
                entries.iter().filter(|e| e.host == *host && e.container == container).collect();
            let (status_class, status_label) = run_status(Some(overall(&own)));
            let actions: Vec<&str> = own.iter().map(|e| e.action.as_str()).collect();
            let failed = own.iter().find(|e| e.status == RunStatus::Error);
            StepView {
                container: container.to_string(),
                host: if host.as_str() == HostId::LOCAL { String::new() } else { host.to_string() },
                actions: actions.join(" → "),
                status_class,
                status_label,
                message: failed.map(|e| crate::text::clip(&e.message, MESSAGE)).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::actors::restore::tests::entry;
    use crate::domain::Action;

    #[test]
    fn a_stack_restart_is_one_item_of_three_steps_and_a_failed_run_offers_restore() {
        use Action::{Start, Stop};
        use RunStatus::{Error, Success};
        // newest first, as the store answers: a failed run, a single action, a stack restart
        let mut entries = vec![
            entry(1, Some("aa"), Stop, "web", Success),
            entry(2, Some("aa"), Stop, "api", Success),
            entry(3, Some("aa"), Stop, "db", Success),
            entry(4, Some("aa"), Start, "db", Success),
            entry(5, Some("aa"), Start, "api", Success),
            entry(6, Some("aa"), Start, "web", Success),
            entry(7, None, Action::Restart, "solo", Success),
            entry(8, Some("bb"), Stop, "app", Success),
            entry(9, Some("bb"), Action::Restart, "db", Error),
        ];
        entries.reverse();
        let now = Utc.with_ymd_and_hms(2026, 7, 5, 3, 1, 0).unwrap();
        let items = recent(entries, chrono_tz::UTC, now);
        assert_eq!(items.len(), 3);
        let (failed, solo, stack) = (&items[0], &items[1], &items[2]);
        assert_eq!((failed.dom_id.as_str(), failed.status_class), ("run-bb", "bad"));
        assert!(failed.restorable);
        assert_eq!(failed.message, "message 9");
        assert_eq!((solo.run, solo.summary.as_str()), (false, "Restart solo"));
        assert_eq!(stack.summary, "3 steps: web, api, db");
        assert!(!stack.restorable && stack.message.is_empty());
        let steps: Vec<(&str, &str)> =
            stack.steps.iter().map(|s| (s.container.as_str(), s.actions.as_str())).collect();
        assert_eq!(steps, [("web", "stop → start"), ("api", "stop → start"), ("db", "stop → start")]);
        assert_eq!(stack.trigger, "Manual (admin)");
    }
}
