//! Page bodies as last rendered, kept until something they show changes: the bus counts every
//! change (`events.rs`), and [`FRESH_SECS`] bound the rest (the times in words, "in 5 min", and
//! the windows that slide: failures in the last 24 hours). A page open on many phones then costs
//! one render per change, not one per phone per change; the whole page, kept gzipped too, costs
//! no compression per request either.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::events::EventBus;

/// How long a body is kept when nothing changes.
const FRESH_SECS: i64 = 5;
/// Bodies (one per filter in the address) or pages (one per filter and person) kept at once; more,
/// and all are dropped.
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

/// The dashboard's bodies (the part everyone sees alike) and its whole pages (the layout around
/// a body, which names who is signed in and carries their CSRF token: one per filter and person),
/// plain and gzipped.
#[derive(Default)]
pub struct Rendered {
    bodies: Kept<Arc<str>>,
    pages: Kept<Page>,
}

/// A whole page as it is sent: the HTML, and the same gzipped for browsers that accept it.
#[derive(Clone)]
pub struct Page {
    pub html: Bytes,
    pub gzip: Bytes,
}

impl Page {
    /// The page, gzipped once here (fast compression: about 10× smaller for the dashboard's HTML,
    /// for well under a millisecond) so that the many requests that send it cost no compression.
    pub fn of(html: String) -> Page {
        let mut encoder = GzEncoder::new(Vec::with_capacity(html.len() / 6), Compression::fast());
        let gzip = match encoder.write_all(html.as_bytes()).and_then(|()| encoder.finish()) {
            Ok(gzip) => Bytes::from(gzip),
            // writing to a Vec does not fail; without a gzipped form the page is sent plain
            Err(_) => Bytes::new(),
        };
        Page { html: Bytes::from(html), gzip }
    }
}

/// What was made at one stamp, by key; everything goes when the stamp moves on.
struct Kept<V>(Mutex<Shelf<V>>);

struct Shelf<V> {
    stamp: Stamp,
    items: HashMap<String, V>,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Kept(Mutex::new(Shelf { stamp: Stamp::default(), items: HashMap::new() }))
    }
}

impl<V: Clone> Kept<V> {
    fn get(&self, stamp: Stamp, key: &str) -> Option<V> {
        let shelf = self.0.lock().ok()?;
        (shelf.stamp == stamp).then(|| shelf.items.get(key).cloned()).flatten()
    }

    /// Keeps `item`, made for `key` from data gathered at `stamp`; one older than the kept ones
    /// (a slow render overtaken by a change) is not kept.
    fn keep(&self, stamp: Stamp, key: String, item: V) {
        let Ok(mut shelf) = self.0.lock() else { return };
        if stamp.changes < shelf.stamp.changes || stamp.period < shelf.stamp.period {
            return;
        }
        if shelf.stamp != stamp || shelf.items.len() >= MAX_KEPT {
            shelf.items.clear();
            shelf.stamp = stamp;
        }
        shelf.items.insert(key, item);
    }
}

impl Rendered {
    /// The body rendered for `key` at `stamp`, if there is one.
    pub fn get(&self, stamp: Stamp, key: &str) -> Option<Arc<str>> {
        self.bodies.get(stamp, key)
    }

    /// Keeps `body`, rendered for `key` from data gathered at `stamp`.
    pub fn keep(&self, stamp: Stamp, key: String, body: Arc<str>) {
        self.bodies.keep(stamp, key, body);
    }

    /// The whole page made for `key` (the filter and who asks) at `stamp`, if there is one.
    pub fn page(&self, stamp: Stamp, key: &str) -> Option<Page> {
        self.pages.get(stamp, key)
    }

    /// Keeps `page`, made for `key` from data gathered at `stamp`.
    pub fn keep_page(&self, stamp: Stamp, key: String, page: Page) {
        self.pages.keep(stamp, key, page);
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

    #[test]
    fn pages_are_kept_apart_from_bodies_and_gzipped() {
        use std::io::Read;
        let bus = EventBus::default();
        let rendered = Rendered::default();
        let stamp = Stamp::now(&bus, at(0));
        let html = "<p>the dashboard</p>".repeat(100);
        rendered.keep_page(stamp, "q= alice".into(), Page::of(html.clone()));
        assert_eq!(rendered.get(stamp, "q= alice"), None, "a page is not a body");
        assert!(rendered.page(stamp, "q= bob").is_none(), "another person's page is another page");
        let page = rendered.page(stamp, "q= alice").unwrap();
        assert_eq!(page.html, html.as_bytes());
        assert!(page.gzip.len() < html.len() / 10, "{} bytes gzipped", page.gzip.len());
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&page.gzip[..]).read_to_string(&mut unzipped).unwrap();
        assert_eq!(unzipped, html);
        bus.touch();
        assert!(rendered.page(Stamp::now(&bus, at(0)), "q= alice").is_none(), "a change");
    }
}
