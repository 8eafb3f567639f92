//! Discord web hooks. `discord://TOKEN@WEBHOOK_ID` (shoutrrr), `discord://WEBHOOK_ID/TOKEN`
//! (Apprise), or the pasted `https://discord.com/api/webhooks/ID/TOKEN`; `?username=`,
//! `?avatar=` (an image URL), `?base=` (another address, e.g. a proxy). Executes the web hook with
//! JSON `content`, which is never empty (Discord refuses that with "Cannot send an empty message")
//! and at most 2000 characters (its limit).

use serde_json::json;
use url::Url;

use super::url::{base, decoded, host, join, query, segments, UrlError};
use super::{cut, Message, Outgoing};

const MAX_CONTENT: usize = 2000;
const DISCORD: &str = "https://discord.com";

#[derive(Clone, Debug, PartialEq)]
pub struct Discord {
    pub base: Url,
    pub id: String,
    pub token: String,
    pub username: Option<String>,
    pub avatar: Option<String>,
}

fn check_id(id: &str) -> Result<(), UrlError> {
    if id.is_empty() || id.len() > 25 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::new("the web hook id is a number (discord://TOKEN@WEBHOOK_ID)"));
    }
    Ok(())
}

impl Discord {
    pub fn parse(url: &Url) -> Result<Discord, UrlError> {
        let q = query(url);
        let host = host(url, "web hook id (discord://TOKEN@WEBHOOK_ID)")?;
        let (id, token) = match (url.username(), segments(url).as_slice()) {
            ("", [token]) => (host, token.clone()),
            ("", _) => return Err(UrlError::new("it has no token: discord://TOKEN@WEBHOOK_ID")),
            (token, []) => (host, decoded(token)),
            (_, _) => return Err(UrlError::new("discord://TOKEN@WEBHOOK_ID has no path")),
        };
        check_id(&id)?;
        Ok(Discord {
            base: base(&q, DISCORD)?,
            id,
            token,
            username: q.get("username").cloned(),
            avatar: q.get("avatar").or(q.get("avatar_url")).cloned(),
        })
    }

    /// `https://discord.com/api/webhooks/ID/TOKEN`, as Discord's channel settings hand it out.
    pub fn parse_pasted(url: &Url) -> Result<Discord, UrlError> {
        let q = query(url);
        match segments(url).as_slice() {
            [api, webhooks, id, token] if api == "api" && webhooks == "webhooks" => {
                check_id(id)?;
                let base = Url::parse(&format!("https://{}", url.host_str().unwrap_or("discord.com")))
                    .map_err(|e| UrlError::new(format!("the host cannot be read ({e})")))?;
                Ok(Discord {
                    base,
                    id: id.clone(),
                    token: token.clone(),
                    username: q.get("username").cloned(),
                    avatar: q.get("avatar").cloned(),
                })
            }
            _ => {
                Err(UrlError::new("a Discord web hook address is https://discord.com/api/webhooks/ID/TOKEN"))
            }
        }
    }

    pub fn requests(&self, m: &Message) -> Result<Vec<Outgoing>, UrlError> {
        let mut content = cut(m.markdown_with_link().trim(), MAX_CONTENT);
        if content.is_empty() {
            content = cut(m.title.trim(), MAX_CONTENT);
        }
        if content.is_empty() {
            content = "Chrontainer notification".into();
        }
        let mut body = json!({ "content": content, "allowed_mentions": {"parse": []} });
        if let Some(u) = &self.username {
            body["username"] = json!(cut(u, 80));
        }
        if let Some(a) = &self.avatar {
            body["avatar_url"] = json!(a);
        }
        let mut url = join(&self.base, &format!("/api/webhooks/{}/{}", self.id, self.token))?;
        url.set_query(Some("wait=true"));
        Ok(vec![Outgoing::json(url, &body)])
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    fn discord(raw: &str) -> super::Discord {
        match ChannelUrl::parse(raw).unwrap().service {
            Service::Discord(d) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn three_forms_one_web_hook() {
        let a = discord("discord://tok3n@123456789");
        let b = discord("discord://123456789/tok3n");
        let c = discord("https://discord.com/api/webhooks/123456789/tok3n");
        assert_eq!((&a.id, &a.token), (&b.id, &b.token));
        assert_eq!((&a.id, &a.token, &a.base), (&c.id, &c.token, &c.base));
        let req = &a.requests(&Message::test("x")).unwrap()[0];
        assert_eq!(req.url.as_str(), "https://discord.com/api/webhooks/123456789/tok3n?wait=true");
        assert_eq!(
            ChannelUrl::parse("discord://tok3n@123456789").unwrap().redacted(),
            "discord://***@123456789"
        );
        assert_eq!(
            ChannelUrl::parse("https://discord.com/api/webhooks/123456789/tok3n").unwrap().redacted(),
            "https://discord.com/api/webhooks/123456789/***"
        );
        assert!(ChannelUrl::parse("discord://tok@abc").unwrap_err().0.contains("number"));
    }

    #[test]
    fn content_is_never_empty_and_at_most_2000() {
        let d = discord("discord://t@1?base=http://127.0.0.1:9");
        let mut m = Message::test("x");
        m.markdown = "  ".into();
        m.title = String::new();
        let body: serde_json::Value = serde_json::from_slice(&d.requests(&m).unwrap()[0].body).unwrap();
        assert_eq!(body["content"], "Chrontainer notification");
        m.markdown = "x".repeat(3000);
        let req = &d.requests(&m).unwrap()[0];
        assert!(req.url.as_str().starts_with("http://127.0.0.1:9/api/webhooks/1/t"));
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["content"].as_str().unwrap().chars().count(), 2000);
    }
}
