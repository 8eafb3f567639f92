//! Sign-in throttling: after `MAX_FAILURES` failed sign-ins from one address within `WINDOW`, that
//! address is refused (429 with Retry-After) until its oldest failure leaves the window.
//!
//! An attempt is counted *before* its password is checked, under the lock, and given back only when
//! it succeeds: a crowd of concurrent guesses cannot all pass the check while the first ones are
//! still hashing. At most `MAX_FAILURES` password checks per address and window, whatever the
//! concurrency.
//!
//! In memory: a restart forgives, which is fine at argon2's pace. IPv6 addresses count by their /64,
//! the block one host usually holds. Successes do not wipe the record: someone who knows one
//! password could otherwise reset the count between guesses at another.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Addresses remembered at most; past that the stale ones go, then (an attack from very many
/// addresses, which this cannot stop anyway) all of them.
const MAX_ADDRESSES: usize = 10_000;

/// Failed attempts by key: a client address for sign-ins ([`by_address`]), a user for password changes.
pub struct Throttle<K = IpAddr> {
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Throttle { failures: Mutex::new(HashMap::new()) }
    }
}

/// The key of a client address: IPv4 as it is (also when mapped into IPv6), IPv6 by its /64.
pub fn by_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
        v4 => v4,
    }
}

impl<K: Hash + Eq + Copy> Throttle<K> {
    /// Counts an attempt for `key` now, before its password is checked: `Err(seconds)` to wait
    /// when the address has used up its attempts. Call [`Throttle::succeeded`] with the returned
    /// instant when the password was right; otherwise the attempt stays counted as a failure.
    pub fn begin(&self, key: K, now: Instant) -> Result<Instant, u64> {
        let Ok(mut map) = self.failures.lock() else { return Err(WINDOW.as_secs()) };
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&key) {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            if map.len() >= MAX_ADDRESSES {
                log::warn!("sign-in failures from more than {MAX_ADDRESSES} addresses: forgetting them all");
                map.clear();
            }
        }
        let times = map.entry(key).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= MAX_FAILURES {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now.duration_since(oldest));
            return Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1));
        }
        times.push_back(now);
        Ok(now)
    }

    /// The attempt counted at `at` succeeded: it no longer counts. Earlier failures stay.
    pub fn succeeded(&self, key: K, at: Instant) {
        let Ok(mut map) = self.failures.lock() else { return };
        if let Some(times) = map.get_mut(&key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_the_window_lock_out_until_the_oldest_expires() {
        let throttle: Throttle = Throttle::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..5 {
            let at = t0 + Duration::from_secs(i);
            assert_eq!(throttle.begin(by_address(ip), at), Ok(at));
        }
        assert_eq!(throttle.begin(by_address(ip), t0 + Duration::from_secs(10)), Err(290));
        assert!(throttle.begin(by_address(other), t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(throttle.begin(by_address(ip), t0 + WINDOW - Duration::from_millis(1500)), Err(2));
        assert!(throttle.begin(by_address(ip), t0 + WINDOW).is_ok(), "the oldest failure left the window");
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64() {
        let throttle: Throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 1..=5 {
            throttle.begin(by_address(format!("2001:db8::{i}").parse().unwrap()), t0).unwrap();
        }
        assert!(throttle.begin(by_address("2001:db8::99".parse().unwrap()), t0).is_err());
        assert!(throttle.begin(by_address("2001:db8:0:1::1".parse().unwrap()), t0).is_ok());
    }

    #[test]
    fn concurrent_attempts_are_counted_before_their_check_and_a_success_gives_its_own_back() {
        let throttle: Throttle = Throttle::default();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let t0 = Instant::now();
        // five attempts in flight at once: a sixth is refused before any of them has finished
        let started: Vec<Instant> =
            (0..5).map(|i| throttle.begin(by_address(ip), t0 + Duration::from_millis(i)).unwrap()).collect();
        assert!(throttle.begin(by_address(ip), t0 + Duration::from_millis(9)).is_err());
        // one of them was right: that one no longer counts, the four failures do
        throttle.succeeded(by_address(ip), started[2]);
        let fifth = throttle.begin(by_address(ip), t0 + Duration::from_millis(10)).unwrap();
        assert!(throttle.begin(by_address(ip), t0 + Duration::from_millis(11)).is_err());
        throttle.succeeded(by_address(ip), fifth);
        assert!(throttle.begin(by_address(ip), t0 + Duration::from_millis(12)).is_ok());
    }
}
