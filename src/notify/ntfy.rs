//! ntfy (ntfy.sh or self-hosted). `ntfy://[token@|user:password@]host[:port]/topic` (https;
//! `?scheme=http` for plain HTTP; Apprise's `ntfys://` is the same), with `title`, `priority`
//! (1-5 or min/low/default/high/max) and `tags` (comma-separated). The message is published as
//! JSON to the server's root URL with the topic in the body (ntfy's "Publish as JSON"), never to
//! the topic URL, where the JSON would show up raw on the phone.

use base64::Engine as _;
use serde_json::json;
use url::Url;

use super::url::{decoded, host, query, segments, UrlError};
use super::{cut, cut_bytes, Message, Outgoing, Severity};

/// ntfy refuses messages over 4096 bytes (its `message-size-limit`), titles are kept short.
const MAX_MESSAGE_BYTES: usize = 4096;
const MAX_TITLE: usize = 250;

#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    None,
    /// An access token (`tk_…`), sent as `Authorization: Bearer`.
    Token(String),
    Basic {
        user: String,
        password: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ntfy {
    /// `https://host[:port]/`: where the JSON is posted.
    pub root: Url,
    pub topic: String,
    pub auth: Auth,
    pub title: Option<String>,
    pub priority: Option<u8>,
    pub tags: Vec<String>,
}

impl Ntfy {
    pub fn parse(url: &Url) -> Result<Ntfy, UrlError> {
        let q = query(url);
        let host = host(url, "server (ntfy://ntfy.sh/topic)")?;
        let scheme = match q.get("scheme").map(String::as_str) {
            None | Some("https") => "https",
            Some("http") => "http",
            Some(other) => {
                return Err(UrlError::new(format!(
                    "scheme={:?} is not http or https",
                    crate::text::clip(other, 20)
                )))
            }
        };
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let root = Url::parse(&format!("{scheme}://{host}{port}/"))
            .map_err(|e| UrlError::new(format!("the server cannot be read ({e})")))?;
        let topic = match segments(url).as_slice() {
            [topic] => topic.clone(),
            [] => return Err(UrlError::new("it has no topic: ntfy://host/topic")),
            _ => return Err(UrlError::new("a topic is one path segment: ntfy://host/topic")),
        };
        if topic.len() > 64 || !topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(UrlError::new("the topic may hold only letters, digits, - and _ (at most 64)"));
        }
        let auth = match (url.username(), url.password()) {
            ("", None) => Auth::None,
            (token, None) => Auth::Token(decoded(token)),
            (user, Some(pw)) => Auth::Basic { user: decoded(user), password: decoded(pw) },
        };
        let priority = match q.get("priority").map(|p| p.to_ascii_lowercase()) {
            None => None,
            Some(p) => Some(match p.as_str() {
                "1" | "min" => 1,
                "2" | "low" => 2,
                "3" | "default" => 3,
                "4" | "high" => 4,
                "5" | "max" | "urgent" => 5,
                _ => return Err(UrlError::new("priority is 1-5 or min, low, default, high, max")),
            }),
        };
        Ok(Ntfy {
            root,
            topic,
            auth,
            title: q.get("title").cloned(),
            priority,
            tags: super::url::list(q.get("tags")),
        })
    }

    pub fn requests(&self, m: &Message) -> Vec<Outgoing> {
        let (priority, tag) = match m.severity {
            Severity::Failure => (4, "rotating_light"),
            Severity::Warning => (4, "warning"),
            Severity::Good => (3, "white_check_mark"),
            Severity::Info => (3, "information_source"),
        };
        let tags = if self.tags.is_empty() { vec![tag.to_string()] } else { self.tags.clone() };
        let mut body = json!({
            "topic": self.topic,
            "title": cut(self.title.as_deref().unwrap_or(&m.title), MAX_TITLE),
            "message": cut_bytes(&m.markdown, MAX_MESSAGE_BYTES),
            "markdown": true,
            "priority": self.priority.unwrap_or(priority),
            "tags": tags,
        });
        if let Some(link) = &m.link {
            body["click"] = json!(link);
        }
        let out = Outgoing::json(self.root.clone(), &body);
        vec![match &self.auth {
            Auth::None => out,
            Auth::Token(t) => out.header("Authorization", &format!("Bearer {t}")),
            Auth::Basic { user, password } => {
                let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                out.header("Authorization", &format!("Basic {pair}"))
            }
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::Message;
    use crate::notify::ChannelUrl;

    fn ntfy(raw: &str) -> Ntfy {
        match ChannelUrl::parse(raw).unwrap().service {
            crate::notify::Service::Ntfy(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_goes_to_the_root_with_the_topic_and_auth() {
        let n = ntfy("ntfy://tk_secret@ntfy.example:8080/alerts?scheme=http&priority=high&tags=a,b");
        let req = &n.requests(&Message::test("x"))[0];
        assert_eq!(req.url.as_str(), "http://ntfy.example:8080/");
        assert_eq!(req.headers, vec![("Authorization".into(), "Bearer tk_secret".into())]);
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!((body["topic"].as_str(), body["priority"].as_i64()), (Some("alerts"), Some(4)));
        assert_eq!(body["tags"], serde_json::json!(["a", "b"]));
        let basic =
            ntfy("ntfys://ann:pa%20ss@ntfy.sh/t").requests(&Message::test("x"))[0].headers[0].1.clone();
        assert_eq!(basic, "Basic YW5uOnBhIHNz");
        assert_eq!(ntfy("ntfy://ntfy.sh/t").root.as_str(), "https://ntfy.sh/");
    }

    #[test]
    fn bad_topics_and_priorities_are_named() {
        for (raw, words) in [
            ("ntfy://ntfy.sh", "no topic"),
            ("ntfy://ntfy.sh/a/b", "one path segment"),
            ("ntfy://ntfy.sh/a?priority=9", "priority"),
            ("ntfy://ntfy.sh/a?scheme=ftp", "scheme"),
        ] {
            let e = ChannelUrl::parse(raw).unwrap_err().0;
            assert!(e.contains(words), "{raw}: {e}");
        }
        assert_eq!(ChannelUrl::parse("ntfy://u:p@ntfy.sh/a").unwrap().redacted(), "ntfy://***:***@ntfy.sh/a");
    }

    #[test]
    fn long_messages_are_cut_at_4096_bytes() {
        let mut m = Message::test("x");
        m.markdown = "é".repeat(5000);
        let req = &ntfy("ntfy://ntfy.sh/a").requests(&m)[0];
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert!(body["message"].as_str().unwrap().len() <= 4096);
    }
}
