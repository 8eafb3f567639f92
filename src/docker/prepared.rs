//! Inspects taken ahead of a scheduled action. The SchedulerActor wakes `FIRE_LEAD` before the
//! instant; the DockerActor then inspects the target (`Prepare`), so at the instant only the
//! action itself goes to the Engine. A prepared inspect is used once, only while it is young, and
//! is forgotten as soon as anything is heard of its container (an event, an observation), so the
//! guard and the skip rules are judged on what the container was as late as without it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::entry::Entry;

/// How long a prepared inspect stands in for a fresh one: the scheduler's lead, with room for a
/// busy machine.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// Prepared inspects by container ID.
#[derive(Default)]
pub struct Prepared(HashMap<String, (Entry, Instant)>);

impl Prepared {
    /// Keeps `entry`, inspected at `taken`, for the next action on its container.
    pub fn keep(&mut self, entry: Entry, taken: Instant) {
        self.0.retain(|_, (_, at)| at.elapsed() <= MAX_AGE);
        self.0.insert(entry.id.clone(), (entry, taken));
    }

    /// Something was heard of `id` since: its prepared inspect may be out of date.
    pub fn forget(&mut self, id: &str) {
        self.0.remove(id);
    }

    /// The prepared inspect of `id`, once, if it is young enough to stand in for a fresh one.
    pub fn take(&mut self, id: &str) -> Option<Entry> {
        self.0.remove(id).and_then(|(entry, at)| (at.elapsed() <= MAX_AGE).then_some(entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::entry::test_entry;

    fn entry(id: &str, state: &str) -> Entry {
        test_entry(id, &format!("c-{id}"), state)
    }

    #[test]
    fn a_prepared_inspect_is_used_once() {
        let mut prepared = Prepared::default();
        prepared.keep(entry("a", "running"), Instant::now());
        assert_eq!(prepared.take("a").map(|e| e.state), Some("running".into()));
        assert_eq!(prepared.take("a"), None, "the next action inspects afresh");
    }

    #[test]
    fn anything_heard_of_the_container_since_drops_it() {
        let mut prepared = Prepared::default();
        prepared.keep(entry("a", "running"), Instant::now());
        prepared.keep(entry("b", "running"), Instant::now());
        prepared.forget("a");
        assert_eq!(prepared.take("a"), None);
        assert!(prepared.take("b").is_some(), "only that container's");
    }

    #[test]
    fn an_old_one_is_not_used_and_not_kept() {
        let mut prepared = Prepared::default();
        let old = Instant::now().checked_sub(MAX_AGE * 2).unwrap();
        prepared.keep(entry("a", "running"), old);
        assert_eq!(prepared.take("a"), None);
        prepared.keep(entry("b", "running"), old);
        prepared.keep(entry("c", "running"), Instant::now());
        assert_eq!(prepared.0.len(), 1, "keeping one sweeps out the old");
    }
}
