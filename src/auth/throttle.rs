//! Sign-in throttling: after `MAX_FAILURES` failed sign-ins from one address within `WINDOW`, that
//! address is refused (429 with Retry-After) until its oldest failure leaves the window.
//!
//! In memory: a restart forgives, which is fine at argon2's pace. IPv6 addresses count by their /64,
//! the block one host usually holds. Successes do not wipe the record: someone who knows one
//! password could otherwise reset the count between guesses at another.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Addresses remembered at most; past that the stale ones go, then (an attack from very many
/// addresses, which this cannot stop anyway) all of them.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

fn key(ip: IpAddr) -> IpAddr {
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

impl Throttle {
    /// `Err(seconds)` to wait when `ip` has failed too often lately.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else { return Ok(()) };
        let Some(times) = map.get_mut(&key(ip)) else { return Ok(()) };
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() < MAX_FAILURES {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        let wait = WINDOW.saturating_sub(now.duration_since(oldest));
        Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }

    pub fn failed(&self, ip: IpAddr, now: Instant) {
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() >= MAX_ADDRESSES {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            if map.len() >= MAX_ADDRESSES {
                log::warn!("sign-in failures from more than {MAX_ADDRESSES} addresses: forgetting them all");
                map.clear();
            }
        }
        let times = map.entry(key(ip)).or_default();
        times.push_back(now);
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_the_window_lock_out_until_the_oldest_expires() {
        let throttle = Throttle::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(throttle.check(ip, t0 + Duration::from_secs(i)), Ok(()));
            throttle.failed(ip, t0 + Duration::from_secs(i));
        }
        assert_eq!(throttle.check(ip, t0 + Duration::from_secs(10)), Err(290));
        assert_eq!(throttle.check(other, t0 + Duration::from_secs(10)), Ok(()));
        assert_eq!(throttle.check(ip, t0 + WINDOW - Duration::from_millis(1500)), Err(2));
        assert_eq!(throttle.check(ip, t0 + WINDOW), Ok(()), "the oldest failure left the window");
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 1..=5 {
            throttle.failed(format!("2001:db8::{i}").parse().unwrap(), t0);
        }
        assert!(throttle.check("2001:db8::99".parse().unwrap(), t0).is_err());
        assert!(throttle.check("2001:db8:0:1::1".parse().unwrap(), t0).is_ok());
    }
}
