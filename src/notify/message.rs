//! The message every service sends, in words that read like the dashboard: "Restart of
//! **nextcloud** on **local** failed at 03:00 (Europe/Berlin): Docker said …".

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::{Action, HostId};

/// How bad the news is: picks ntfy's priority and tags, Discord's wording, Pushover's priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Failure,
    Warning,
    Good,
    Info,
}

/// One notification, in plain text and in Markdown (`**bold**` names).
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub title: String,
    pub text: String,
    pub markdown: String,
    /// The log entry's address on the dashboard, when `CHRONTAINER_PUBLIC_URL` is set.
    pub link: Option<String>,
    pub severity: Severity,
    /// The event word (`error`, `missed`, `gave_up`, `skipped`, `success`, `test`, `host`).
    pub event: String,
    /// The log entry as API.md's `LogEntry`, for the generic webhook.
    pub entry: Option<serde_json::Value>,
}

/// What a run's message is made of.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    pub action: Action,
    pub container: &'a str,
    pub host: &'a HostId,
    /// The run's status word.
    pub status: &'a str,
    pub at: DateTime<Utc>,
    /// The schedule's zone, else the default one.
    pub timezone: Tz,
    /// The log entry's message (Docker's answer, the reason it was skipped).
    pub detail: &'a str,
    /// How many identical runs this message stands for (batching); 1 for one.
    pub count: u32,
    pub link: Option<String>,
    pub entry: Option<serde_json::Value>,
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

impl Message {
    pub fn of_run(run: Run<'_>) -> Message {
        let (verb, severity) = match run.status {
            "error" => ("failed", Severity::Failure),
            "missed" => ("was missed", Severity::Warning),
            "gave_up" => ("was given up", Severity::Failure),
            "skipped" => ("was skipped", Severity::Info),
            "success" => ("succeeded", Severity::Good),
            _ => ("ended", Severity::Info),
        };
        let local = run.at.with_timezone(&run.timezone).format("%H:%M");
        let what = capitalized(run.action.as_str());
        let (c, h, tz) = (run.container, run.host, run.timezone.name());
        let times = match run.count {
            0 | 1 => String::new(),
            n => format!(" ({n} times in a row)"),
        };
        let detail = run.detail.trim();
        let tail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        let text = format!("{what} of {c} on {h} {verb} at {local} ({tz}){times}{tail}");
        let markdown = format!("{what} of **{c}** on **{h}** {verb} at {local} ({tz}){times}{tail}");
        Message {
            title: format!("Chrontainer: {} of {c} {verb}", run.action),
            text,
            markdown,
            link: run.link,
            severity,
            event: run.status.to_string(),
            entry: run.entry,
        }
    }

    /// A Docker host that stopped answering (`up == false`) or answers again.
    pub fn of_host(host: &HostId, up: bool, detail: &str, link: Option<String>) -> Message {
        let (title, text, markdown, severity) = if up {
            let t = format!("Docker host {host} is back");
            (format!("Chrontainer: {t}"), t, format!("Docker host **{host}** is back"), Severity::Good)
        } else {
            let t = format!("Docker host {host} is unreachable: {}", detail.trim());
            let m = format!("Docker host **{host}** is unreachable: {}", detail.trim());
            (format!("Chrontainer: Docker host {host} is unreachable"), t, m, Severity::Failure)
        };
        Message { title, text, markdown, link, severity, event: "host".into(), entry: None }
    }

    /// The "Send test" button's message.
    pub fn test(channel: &str) -> Message {
        let text = format!("Test message from Chrontainer for the channel {channel}: it works.");
        Message {
            title: "Chrontainer: test message".into(),
            markdown: format!("Test message from Chrontainer for the channel **{channel}**: it works."),
            text,
            link: None,
            severity: Severity::Info,
            event: "test".into(),
            entry: None,
        }
    }

    /// The text with the link on a line of its own, for services without a link field.
    pub fn text_with_link(&self) -> String {
        match &self.link {
            Some(link) => format!("{}\n{link}", self.text),
            None => self.text.clone(),
        }
    }

    pub fn markdown_with_link(&self) -> String {
        match &self.link {
            Some(link) => format!("{}\n{link}", self.markdown),
            None => self.markdown.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub fn failed_restart() -> Message {
        Message::of_run(Run {
            action: Action::Restart,
            container: "nextcloud",
            host: &HostId::local(),
            status: "error",
            at: Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap(),
            timezone: chrono_tz::Europe::Berlin,
            detail: "Docker said: no such container",
            count: 1,
            link: Some("https://ct.example/logs?id=7".into()),
            entry: None,
        })
    }

    #[test]
    fn a_failure_reads_like_the_dashboard() {
        let m = failed_restart();
        assert_eq!(
            m.markdown,
            "Restart of **nextcloud** on **local** failed at 03:00 (Europe/Berlin): Docker said: no such container"
        );
        assert_eq!(m.title, "Chrontainer: restart of nextcloud failed");
        assert_eq!(m.severity, Severity::Failure);
        assert!(m.text_with_link().ends_with("\nhttps://ct.example/logs?id=7"));
    }
}
