//! Counters for `GET /metrics`, in Prometheus' text format. Plain atomics: no registry needed for
//! a handful of series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds (seconds) of the fire-delay histogram buckets.
const DELAY_BUCKETS: [f64; 8] = [0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1.0, 10.0];

#[derive(Default)]
pub struct Metrics {
    /// (host, action, status, trigger) → count
    actions: Mutex<BTreeMap<(String, String, String, String), u64>>,
    schedules: AtomicU64,
    docker_up: AtomicBool,
    /// host name → whether its Engine answers (`chrontainer_host_up`); `local` is also `docker_up`.
    hosts_up: Mutex<BTreeMap<String, bool>>,
    delay_buckets: [AtomicU64; DELAY_BUCKETS.len()],
    delay_count: AtomicU64,
    delay_sum_us: AtomicU64,
    /// (channel, status) → notification attempts: sent, failed, retrying, dropped
    notifications: Mutex<BTreeMap<(String, String), u64>>,
    /// Container log streams open to the Engine (`docker/logs.rs`).
    log_streams: AtomicU64,
}

impl Metrics {
    pub fn count_action(&self, host: &str, action: &str, status: &str, trigger: &str) {
        if let Ok(mut map) = self.actions.lock() {
            *map.entry((host.into(), action.into(), status.into(), trigger.into())).or_default() += 1;
        }
    }

    /// One notification attempt's outcome for `channel` (its name).
    pub fn count_notification(&self, channel: &str, status: &str) {
        if let Ok(mut map) = self.notifications.lock() {
            *map.entry((channel.into(), status.into())).or_default() += 1;
        }
    }

    pub fn set_schedules(&self, n: usize) {
        self.schedules.store(n as u64, Ordering::Relaxed);
    }

    pub fn set_docker_up(&self, host: &crate::domain::HostId, up: bool) {
        if host.as_str() == crate::domain::HostId::LOCAL {
            self.docker_up.store(up, Ordering::Relaxed);
        }
        if let Ok(mut map) = self.hosts_up.lock() {
            map.insert(host.to_string(), up);
        }
    }

    /// A removed host leaves no series behind.
    pub fn forget_host(&self, host: &crate::domain::HostId) {
        if let Ok(mut map) = self.hosts_up.lock() {
            map.remove(host.as_str());
        }
    }

    /// How late a timer reached the point of sending its action, after its intended instant.
    pub fn observe_fire_delay(&self, seconds: f64) {
        for (bound, bucket) in DELAY_BUCKETS.iter().zip(&self.delay_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.delay_count.fetch_add(1, Ordering::Relaxed);
        self.delay_sum_us.fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn log_stream_opened(&self) {
        self.log_streams.fetch_add(1, Ordering::Relaxed);
    }

    pub fn log_stream_closed(&self) {
        self.log_streams.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP chrontainer_actions_total Actions by host, action, status and trigger.\n");
        out.push_str("# TYPE chrontainer_actions_total counter\n");
        if let Ok(map) = self.actions.lock() {
            for ((host, action, status, trigger), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "chrontainer_actions_total{{host=\"{host}\",action=\"{action}\",status=\"{status}\",trigger=\"{trigger}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP chrontainer_schedules Enabled schedules with an armed timer.\n# TYPE chrontainer_schedules gauge\nchrontainer_schedules {}",
            self.schedules.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP chrontainer_docker_up 1 when the Docker Engine answers.\n# TYPE chrontainer_docker_up gauge\nchrontainer_docker_up {}",
            u8::from(self.docker_up.load(Ordering::Relaxed))
        );
        out.push_str("# HELP chrontainer_host_up 1 when the host's Docker Engine answers.\n");
        out.push_str("# TYPE chrontainer_host_up gauge\n");
        if let Ok(map) = self.hosts_up.lock() {
            for (host, up) in map.iter() {
                let _ = writeln!(out, "chrontainer_host_up{{host=\"{host}\"}} {}", u8::from(*up));
            }
        }
        out.push_str(
            "# HELP chrontainer_fire_delay_seconds Delay from a schedule's intended instant to its action.\n",
        );
        out.push_str("# TYPE chrontainer_fire_delay_seconds histogram\n");
        for (bound, bucket) in DELAY_BUCKETS.iter().zip(&self.delay_buckets) {
            let _ = writeln!(
                out,
                "chrontainer_fire_delay_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.delay_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "chrontainer_fire_delay_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "chrontainer_fire_delay_seconds_sum {}",
            self.delay_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "chrontainer_fire_delay_seconds_count {count}");
        out.push_str(
            "# HELP chrontainer_notifications_total Notification attempts by channel and outcome.\n",
        );
        out.push_str("# TYPE chrontainer_notifications_total counter\n");
        if let Ok(map) = self.notifications.lock() {
            for ((channel, status), n) in map.iter() {
                let channel = label_value(channel);
                let _ = writeln!(
                    out,
                    "chrontainer_notifications_total{{channel=\"{channel}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP chrontainer_container_log_streams Container log streams open to the Docker Engine.\n# TYPE chrontainer_container_log_streams gauge\nchrontainer_container_log_streams {}",
            self.log_streams.load(Ordering::Relaxed)
        );
        out
    }
}

/// A Prometheus label value: backslash, quote and newline escaped (a channel's name is typed by a person).
fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.count_action("local", "restart", "success", "schedule");
        m.count_action("local", "restart", "success", "schedule");
        m.set_schedules(3);
        m.set_docker_up(&crate::domain::HostId::local(), true);
        m.observe_fire_delay(0.0015);
        let text = m.render();
        assert!(text.contains(
            "chrontainer_actions_total{host=\"local\",action=\"restart\",status=\"success\",trigger=\"schedule\"} 2"
        ));
        assert!(text.contains("chrontainer_schedules 3"));
        assert!(text.contains("chrontainer_docker_up 1"));
        assert!(text.contains("chrontainer_host_up{host=\"local\"} 1"));
        assert!(text.contains("chrontainer_fire_delay_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("chrontainer_fire_delay_seconds_bucket{le=\"0.002\"} 1"));
        assert!(text.contains("chrontainer_fire_delay_seconds_count 1"));
        m.count_notification("my \"phone\"", "sent");
        assert!(m
            .render()
            .contains("chrontainer_notifications_total{channel=\"my \\\"phone\\\"\",status=\"sent\"} 1"));
    }
}
