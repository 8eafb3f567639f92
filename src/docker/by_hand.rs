//! Who stopped what. A stop, kill or pause on the events stream that Chrontainer did not make
//! marks the container "stopped by hand" until it starts again (any start or unpause, a person's
//! through Chrontainer included), so that rules leave it alone (`Guard::respect_manual`).
//! Chrontainer's own actions are told apart by time: an event within the span of one of its
//! actions on that container (with a little slack for the stream) is its own.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::filter::{self, Hand};

/// How far an event may fall outside the span of one of Chrontainer's actions and still be its.
const SLACK: Duration = Duration::seconds(2);

#[derive(Default)]
pub struct Hands {
    marked: HashSet<String>,
    /// When Chrontainer's latest action on each container began and (once it has) ended.
    ours: HashMap<String, (DateTime<Utc>, Option<DateTime<Utc>>)>,
}

impl Hands {
    /// Whether the container's last stop or pause was made outside Chrontainer.
    pub fn by_hand(&self, id: &str) -> bool {
        self.marked.contains(id)
    }

    /// Chrontainer begins an action on the container.
    pub fn acting(&mut self, id: &str) {
        self.ours.insert(id.to_string(), (Utc::now(), None));
    }

    /// That action ended.
    pub fn done(&mut self, id: &str) {
        if let Some(span) = self.ours.get_mut(id) {
            span.1 = Some(Utc::now());
        }
    }

    fn ours_at(&self, id: &str, at: DateTime<Utc>) -> bool {
        self.ours
            .get(id)
            .is_some_and(|&(start, end)| at >= start - SLACK && end.is_none_or(|e| at <= e + SLACK))
    }

    /// One container event (`action` as Docker names it, `at` when Docker says it happened).
    pub fn event(&mut self, id: &str, action: &str, at: DateTime<Utc>) {
        match filter::hand(action) {
            Some(Hand::Stopped) if !self.ours_at(id, at) => {
                if self.marked.insert(id.to_string()) {
                    log::info!("container {id} was {action} outside Chrontainer: its rules leave it alone until it starts again");
                }
            }
            Some(Hand::Started) => {
                self.marked.remove(id);
            }
            Some(Hand::Stopped) | None => {}
            Some(Hand::Gone) => {
                self.marked.remove(id);
                self.ours.remove(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_chrontainer_did_not_make_marks_until_a_start() {
        let mut hands = Hands::default();
        let now = Utc::now();
        hands.event("a", "kill", now);
        hands.event("a", "stop", now);
        assert!(hands.by_hand("a"));
        hands.event("a", "start", now);
        assert!(!hands.by_hand("a"));
        hands.event("a", "pause", now);
        assert!(hands.by_hand("a"));
        hands.event("a", "unpause", now);
        assert!(!hands.by_hand("a"));
        hands.event("a", "die", now);
        assert!(!hands.by_hand("a"), "a crash is not a person");
    }

    #[test]
    fn chrontainers_own_stops_are_not_by_hand() {
        let mut hands = Hands::default();
        hands.acting("a");
        hands.event("a", "kill", Utc::now());
        hands.done("a");
        hands.event("a", "stop", Utc::now() + Duration::seconds(1));
        assert!(!hands.by_hand("a"));
        hands.event("a", "stop", Utc::now() + Duration::seconds(10));
        assert!(hands.by_hand("a"), "a stop long after the action is someone else's");
        hands.event("a", "destroy", Utc::now());
        assert!(!hands.by_hand("a"));
    }
}
