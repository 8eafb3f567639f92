//! Gotify. `gotify://host[:port][/path]/TOKEN` (https; `?disabletls=yes` for plain HTTP; Apprise's
//! `gotifys://` is the same), with `priority` (0-10, default 5 for failures) and `title`. Posted as
//! JSON to `/message` with the application token in `X-Gotify-Key` (Gotify's API), Markdown on.

use serde_json::json;
use url::Url;

use super::url::{host, join, query, segments, yes_no, UrlError};
use super::{cut, Message, Outgoing, Severity};

/// Gotify stores the text in SQLite without a documented limit; a notification is cut here.
const MAX_MESSAGE: usize = 10_000;
const MAX_TITLE: usize = 250;

#[derive(Clone, Debug, PartialEq)]
pub struct Gotify {
    /// `https://host[:port][/path]`.
    pub base: Url,
    pub token: String,
    pub priority: Option<i64>,
    pub title: Option<String>,
}

impl Gotify {
    pub fn parse(url: &Url) -> Result<Gotify, UrlError> {
        let q = query(url);
        let host = host(url, "server (gotify://host/TOKEN)")?;
        let scheme = if yes_no(&q, "disabletls", false)? { "http" } else { "https" };
        let mut path = segments(url);
        let token = path.pop().ok_or_else(|| UrlError::new("it has no token: gotify://host/TOKEN"))?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let prefix: String = path.iter().map(|s| format!("/{s}")).collect();
        let base = Url::parse(&format!("{scheme}://{host}{port}{prefix}"))
            .map_err(|e| UrlError::new(format!("the server cannot be read ({e})")))?;
        let priority = match q.get("priority") {
            None => None,
            Some(p) => Some(
                p.parse::<i64>()
                    .ok()
                    .filter(|p| (0..=10).contains(p))
                    .ok_or_else(|| UrlError::new("priority is a number from 0 to 10"))?,
            ),
        };
        Ok(Gotify { base, token, priority, title: q.get("title").cloned() })
    }

    pub fn requests(&self, m: &Message) -> Result<Vec<Outgoing>, UrlError> {
        let default = match m.severity {
            Severity::Failure | Severity::Warning => 8,
            Severity::Good | Severity::Info => 4,
        };
        let mut extras = json!({"client::display": {"contentType": "text/markdown"}});
        if let Some(link) = &m.link {
            extras["client::notification"] = json!({"click": {"url": link}});
        }
        let body = json!({
            "title": cut(self.title.as_deref().unwrap_or(&m.title), MAX_TITLE),
            "message": cut(&m.markdown_with_link(), MAX_MESSAGE),
            "priority": self.priority.unwrap_or(default),
            "extras": extras,
        });
        Ok(vec![Outgoing::json(join(&self.base, "/message")?, &body).header("X-Gotify-Key", &self.token)])
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    #[test]
    fn posts_to_message_with_the_key_header() {
        let u =
            ChannelUrl::parse("gotify://push.example:8443/sub/AbCtoken?disabletls=yes&priority=2").unwrap();
        assert_eq!(u.redacted(), "gotify://push.example:8443/sub/***?disabletls=yes&priority=2");
        let Service::Gotify(g) = u.service else { panic!() };
        let req = &g.requests(&Message::test("x")).unwrap()[0];
        assert_eq!(req.url.as_str(), "http://push.example:8443/sub/message");
        assert_eq!(req.headers[0], ("X-Gotify-Key".into(), "AbCtoken".into()));
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["priority"], 2);
        assert!(ChannelUrl::parse("gotify://host").unwrap_err().0.contains("no token"));
    }
}
