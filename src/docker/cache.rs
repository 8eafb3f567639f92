//! The container cache. Observations (an inspect, a list, a `destroy` event) arrive out of order:
//! an inspect sent before a `destroy` may answer after it. Each observation therefore carries the
//! tick of the [`Clock`] taken when it was sent, and an entry only changes for a newer observation.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::entry::Entry;
use super::status::status_text;
use crate::domain::{Container, HostId};

/// Orders observations; shared with the futures that talk to Docker.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicU64>);

impl Clock {
    /// Take this just before sending a request whose answer will be observed.
    pub fn tick(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A change worth telling live subscribers about.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Boxed: an entry is large beside a removal.
    Updated(Box<Entry>),
    Removed {
        id: String,
        name: String,
    },
}

/// What a list (plus inspects) found. `present` is every ID the list returned; `inspected` the
/// entries that were inspected again (all of them on a full sync, the changed ones on a resync).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub seen_at: u64,
    pub present: HashSet<String>,
    pub inspected: Vec<Entry>,
}

struct Slot {
    entry: Entry,
    seen_at: u64,
}

#[derive(Default)]
pub struct Cache {
    clock: Clock,
    slots: HashMap<String, Slot>,
    /// Removed IDs and when, so that an older answer cannot bring them back.
    removed: HashMap<String, u64>,
    /// Counts the changes to `slots`, for [`Cache::version`].
    changes: u64,
}

impl Cache {
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn tick(&self) -> u64 {
        self.clock.tick()
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> + Clone {
        self.slots.values().map(|s| &s.entry)
    }

    /// Every container, sorted by name (then ID, for stable output).
    pub fn containers(&self, host: &HostId, now: DateTime<Utc>) -> Vec<Container> {
        let mut all: Vec<&Entry> = self.entries().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        all.into_iter().map(|e| e.to_container(host, now)).collect()
    }

    /// A number that changes whenever [`Cache::containers`] would answer differently: with every
    /// change to an entry, and when a status text ("Up 5 minutes") moves on with the clock. It
    /// clones nothing, so a client that has the list already is answered without building it.
    pub fn version(&self, now: DateTime<Utc>) -> u64 {
        self.version_of(self.entries().map(|e| (e.id.as_str(), status_text(e, now))))
    }

    /// [`Cache::containers`] with its [`Cache::version`], each status text written once.
    pub fn versioned_containers(&self, host: &HostId, now: DateTime<Utc>) -> (u64, Vec<Container>) {
        let list = self.containers(host, now);
        (self.version_of(list.iter().map(|c| (c.id.as_str(), &c.status))), list)
    }

    /// The changes counted, plus a hash of each entry's ID and status text: a sum, so that the
    /// map's order does not matter.
    fn version_of<'a>(&self, statuses: impl Iterator<Item = (&'a str, impl Hash)>) -> u64 {
        statuses.fold(self.changes, |sum, entry| {
            let mut hasher = std::hash::DefaultHasher::new();
            entry.hash(&mut hasher);
            sum.wrapping_add(hasher.finish())
        })
    }

    /// Whether Docker has said something of `id` later than `seen_at`.
    pub fn stale(&self, id: &str, seen_at: u64) -> bool {
        self.slots.get(id).is_some_and(|s| s.seen_at > seen_at)
            || self.removed.get(id).is_some_and(|&t| t > seen_at)
    }

    /// One container as Docker described it at `seen_at`.
    pub fn observe(&mut self, entry: Entry, seen_at: u64) -> Option<Change> {
        if self.stale(&entry.id, seen_at) {
            return None;
        }
        self.removed.remove(&entry.id);
        let slot = Slot { entry: entry.clone(), seen_at };
        match self.slots.insert(entry.id.clone(), slot) {
            Some(old) if old.entry == entry => None,
            _ => {
                self.changes += 1;
                Some(Change::Updated(Box::new(entry)))
            }
        }
    }

    /// Docker said at `seen_at` that this container does not exist.
    pub fn forget(&mut self, id: &str, seen_at: u64) -> Option<Change> {
        if self.stale(id, seen_at) {
            return None;
        }
        self.removed.insert(id.to_string(), seen_at);
        let old = self.slots.remove(id)?;
        self.changes += 1;
        Some(Change::Removed { id: old.entry.id, name: old.entry.name })
    }

    /// Applies a list's view: inspected entries are observed, cached IDs the list no longer had
    /// are forgotten. Forgetting older tombstones keeps `removed` from growing.
    pub fn merge(&mut self, snapshot: Snapshot) -> Vec<Change> {
        let Snapshot { seen_at, present, inspected } = snapshot;
        let mut changes: Vec<Change> =
            inspected.into_iter().filter_map(|e| self.observe(e, seen_at)).collect();
        let gone: Vec<String> = self.slots.keys().filter(|id| !present.contains(*id)).cloned().collect();
        changes.extend(gone.iter().filter_map(|id| self.forget(id, seen_at)));
        self.removed.retain(|_, &mut t| t > seen_at);
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Cache {
        fn get(&self, id: &str) -> Option<&Entry> {
            self.slots.get(id).map(|s| &s.entry)
        }

        fn len(&self) -> usize {
            self.slots.len()
        }
    }

    fn entry(id: &str, name: &str, state: &str) -> Entry {
        crate::docker::entry::test_entry(id, name, state)
    }

    fn snapshot(seen_at: u64, entries: &[Entry]) -> Snapshot {
        Snapshot {
            seen_at,
            present: entries.iter().map(|e| e.id.clone()).collect(),
            inspected: entries.to_vec(),
        }
    }

    #[test]
    fn only_real_changes_are_reported() {
        let mut cache = Cache::default();
        let t = cache.tick();
        assert_eq!(
            cache.observe(entry("a", "web", "running"), t),
            Some(Change::Updated(Box::new(entry("a", "web", "running"))))
        );
        let t = cache.tick();
        assert_eq!(cache.observe(entry("a", "web", "running"), t), None);
        let t = cache.tick();
        assert!(cache.observe(entry("a", "web", "exited"), t).is_some());
        assert_eq!(cache.get("a").unwrap().state, "exited");
    }

    #[test]
    fn an_older_answer_does_not_overwrite_a_newer_one() {
        let mut cache = Cache::default();
        let early = cache.tick();
        let late = cache.tick();
        cache.observe(entry("a", "web", "exited"), late);
        assert_eq!(cache.observe(entry("a", "web", "running"), early), None);
        assert_eq!(cache.get("a").unwrap().state, "exited");
    }

    #[test]
    fn a_removed_container_is_not_brought_back_by_an_older_inspect() {
        let mut cache = Cache::default();
        let t = cache.tick();
        cache.observe(entry("a", "web", "running"), t);
        let inspect_sent = cache.tick();
        let destroyed = cache.tick();
        assert_eq!(
            cache.forget("a", destroyed),
            Some(Change::Removed { id: "a".into(), name: "web".into() })
        );
        assert_eq!(cache.observe(entry("a", "web", "exited"), inspect_sent), None);
        assert!(cache.get("a").is_none());
        // but a container re-created later under the same ID (never happens, but harmless) shows
        let t = cache.tick();
        assert!(cache.observe(entry("a", "web", "created"), t).is_some());
    }

    #[test]
    fn merge_adds_updates_and_removes() {
        let mut cache = Cache::default();
        let t = cache.tick();
        cache.merge(snapshot(t, &[entry("a", "web", "running"), entry("b", "db", "running")]));
        assert_eq!(cache.len(), 2);
        let t = cache.tick();
        let changes = cache.merge(snapshot(t, &[entry("a", "web", "paused"), entry("c", "new", "created")]));
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(changes.contains(&Change::Removed { id: "b".into(), name: "db".into() }));
        let names: Vec<String> =
            cache.containers(&HostId::local(), Utc::now()).into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["new", "web"], "sorted by name");
    }

    #[test]
    fn merge_keeps_what_changed_after_the_list_was_sent() {
        let mut cache = Cache::default();
        let t = cache.tick();
        cache.merge(snapshot(t, &[entry("a", "web", "running")]));
        let list_sent = cache.tick();
        // while the list was on its way: a new container started, and "a" was paused
        let t = cache.tick();
        cache.observe(entry("n", "fresh", "running"), t);
        cache.observe(entry("a", "web", "paused"), t);
        let changes = cache.merge(snapshot(list_sent, &[entry("a", "web", "running")]));
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(cache.get("a").unwrap().state, "paused");
        assert!(cache.get("n").is_some());
    }

    #[test]
    fn the_version_moves_with_each_change_and_with_the_clock_only() {
        let mut cache = Cache::default();
        let now = Utc::now();
        let empty = cache.version(now);
        let t = cache.tick();
        cache.observe(entry("a", "web", "created"), t);
        let one = cache.version(now);
        assert_ne!(one, empty);
        let t = cache.tick();
        cache.observe(entry("a", "web", "created"), t);
        assert_eq!(cache.version(now), one, "the same observation again changes nothing");
        assert_eq!(cache.version(now + chrono::Duration::hours(3)), one, "\"Created\" has no age");

        let mut up = entry("a", "web", "running");
        up.started_at = Some(now);
        let t = cache.tick();
        cache.observe(up, t);
        let running = cache.version(now);
        assert_ne!(running, one);
        assert_eq!(cache.versioned_containers(&HostId::local(), now).0, running, "both ways agree");
        assert_eq!(cache.version(now + chrono::Duration::milliseconds(300)), running);
        assert_ne!(cache.version(now + chrono::Duration::seconds(5)), running, "\"Up 5 seconds\" now");

        let t = cache.tick();
        cache.forget("a", t);
        assert_ne!(cache.version(now), running);
    }

    #[test]
    fn a_resync_keeps_listed_entries_it_did_not_inspect() {
        let mut cache = Cache::default();
        let t = cache.tick();
        cache.merge(snapshot(t, &[entry("a", "web", "running"), entry("b", "db", "running")]));
        let t = cache.tick();
        let light =
            Snapshot { seen_at: t, present: ["a".to_string(), "b".to_string()].into(), inspected: vec![] };
        assert!(cache.merge(light).is_empty());
        assert_eq!(cache.len(), 2);
    }
}
