//! Page bodies as last rendered, kept until something they show changes: the bus counts every
//! change (`events.rs`), and [`FRESH_SECS`] bound the rest (the times in words, "in 5 min", and
//! the windows that slide: failures in the last 24 hours). A page open on many phones then costs
//! one render per change, not one per phone per change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::events::EventBus;

/// How long a body is kept when nothing changes.
const FRESH_SECS: i64 = 5;
/// Bodies kept at once (one per filter in the address); more, and all are dropped.
const MAX_KEPT: usize = 16;

/// When a body was rendered: the bus's count of changes and the period of [`FRESH_SECS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    changes: u64,
    period: i64,
}

impl Stamp {
    /// Taken before the page's data is gathered, so that a change during the render is not missed.
    pub fn now(bus: &EventBus, now: DateTime<Utc>) -> Stamp {
        Stamp { changes: bus.changes(), period: now.timestamp().div_euclid(FRESH_SECS) }
    }
}

#[derive(Default)]
pub struct Rendered {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    stamp: Stamp,
    bodies: HashMap<String, Arc<str>>,
}

impl Rendered {
    /// The body rendered for `key` at `stamp`, if there is one.
    pub fn get(&self, stamp: Stamp, key: &str) -> Option<Arc<str>> {
        let kept = self.kept.lock().ok()?;
        (kept.stamp == stamp).then(|| kept.bodies.get(key).cloned()).flatten()
    }

    /// Keeps `body`, rendered for `key` from data gathered at `stamp`; a body older than the kept
    /// ones (a slow render overtaken by a change) is not kept.
    pub fn keep(&self, stamp: Stamp, key: String, body: Arc<str>) {
        let Ok(mut kept) = self.kept.lock() else { return };
        if stamp.changes < kept.stamp.changes || stamp.period < kept.stamp.period {
            return;
        }
        if kept.stamp != stamp || kept.bodies.len() >= MAX_KEPT {
            kept.bodies.clear();
            kept.stamp = stamp;
        }
        kept.bodies.insert(key, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_body_is_kept_until_the_bus_counts_a_change_or_the_period_ends() {
        let bus = EventBus::default();
        let rendered = Rendered::default();
        let first = Stamp::now(&bus, at(0));
        rendered.keep(first, "q=".into(), "<p>one</p>".into());
        assert_eq!(rendered.get(Stamp::now(&bus, at(1)), "q=").as_deref(), Some("<p>one</p>"));
        assert_eq!(rendered.get(first, "q=web"), None, "another filter is another body");
        bus.touch();
        assert_eq!(rendered.get(Stamp::now(&bus, at(1)), "q="), None, "a change");
        let later = Stamp::now(&bus, at(1));
        rendered.keep(later, "q=".into(), "<p>two</p>".into());
        assert_eq!(rendered.get(Stamp::now(&bus, at(FRESH_SECS)), "q="), None, "the period ended");
    }

    #[test]
    fn a_render_overtaken_by_a_change_is_not_kept() {
        let bus = EventBus::default();
        let rendered = Rendered::default();
        let before = Stamp::now(&bus, at(0));
        bus.touch();
        let after = Stamp::now(&bus, at(0));
        rendered.keep(after, "q=".into(), "<p>new</p>".into());
        rendered.keep(before, "q=".into(), "<p>old</p>".into());
        assert_eq!(rendered.get(after, "q=").as_deref(), Some("<p>new</p>"));
    }

    #[test]
    fn many_filters_drop_what_was_kept() {
        let bus = EventBus::default();
        let rendered = Rendered::default();
        let stamp = Stamp::now(&bus, at(0));
        for i in 0..=MAX_KEPT {
            rendered.keep(stamp, format!("q={i}"), "<p></p>".into());
        }
        assert_eq!(rendered.get(stamp, "q=0"), None);
        assert!(rendered.get(stamp, &format!("q={MAX_KEPT}")).is_some());
    }
}
