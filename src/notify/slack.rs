//! Slack incoming web hooks. `slack://hook:TOKEN@webhook` (shoutrrr, TOKEN as `T…-B…-X…`),
//! `slack://T…/B…/X…` (Apprise), or the pasted `https://hooks.slack.com/services/T…/B…/X…`;
//! `?username=`, `?icon=` (an emoji such as `:robot_face:`), `?channel=`, `?base=`. Posts JSON
//! `text` in Slack's mrkdwn (`&`, `<`, `>` escaped as Slack asks), at most 40,000 characters
//! (Slack truncates longer messages).

use serde_json::json;
use url::Url;

use super::url::{base, decoded, host, join, query, segments, UrlError};
use super::{cut, Message, Outgoing};

const MAX_TEXT: usize = 40_000;
const SLACK: &str = "https://hooks.slack.com";

#[derive(Clone, Debug, PartialEq)]
pub struct Slack {
    pub base: Url,
    /// The three parts of the hook's path: team, bot, secret.
    pub token: [String; 3],
    pub username: Option<String>,
    pub icon: Option<String>,
    pub channel: Option<String>,
}

fn parts(raw: &[String]) -> Result<[String; 3], UrlError> {
    match raw {
        [a, b, c]
            if [a, b, c].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) =>
        {
            Ok([a.clone(), b.clone(), c.clone()])
        }
        _ => Err(UrlError::new(
            "the hook token is three parts of letters and digits, e.g. slack://hook:T000-B000-XXXX@webhook",
        )),
    }
}

impl Slack {
    fn with(url: &Url, base: Url, token: [String; 3]) -> Slack {
        let q = query(url);
        Slack {
            base,
            token,
            username: q.get("username").cloned(),
            icon: q.get("icon").cloned(),
            channel: q.get("channel").cloned(),
        }
    }

    pub fn parse(url: &Url) -> Result<Slack, UrlError> {
        let q = query(url);
        let token = match (url.username(), url.password()) {
            ("hook", Some(token)) => {
                let token = decoded(token);
                parts(&token.split(['-', '/']).map(str::to_string).collect::<Vec<_>>())?
            }
            ("", None) => {
                let mut all = vec![host(url, "hook token (slack://hook:TOKEN@webhook)")?];
                all.extend(segments(url));
                parts(&all)?
            }
            _ => return Err(UrlError::new("write the hook as slack://hook:TOKEN@webhook")),
        };
        Ok(Slack::with(url, base(&q, SLACK)?, token))
    }

    pub fn parse_pasted(url: &Url) -> Result<Slack, UrlError> {
        match segments(url).as_slice() {
            [services, rest @ ..] if services == "services" => {
                Ok(Slack::with(url, base(&query(url), SLACK)?, parts(rest)?))
            }
            _ => Err(UrlError::new("a Slack hook address is https://hooks.slack.com/services/T…/B…/X…")),
        }
    }

    pub fn requests(&self, m: &Message) -> Result<Vec<Outgoing>, UrlError> {
        let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let mut text = escape(&m.markdown).replace("**", "*");
        if let Some(link) = &m.link {
            text.push_str(&format!("\n<{}|Open the log entry>", escape(link)));
        }
        let mut body = json!({ "text": cut(&text, MAX_TEXT) });
        if let Some(u) = &self.username {
            body["username"] = json!(u);
        }
        if let Some(i) = &self.icon {
            body["icon_emoji"] = json!(i);
        }
        if let Some(c) = &self.channel {
            body["channel"] = json!(c);
        }
        let [a, b, c] = &self.token;
        Ok(vec![Outgoing::json(join(&self.base, &format!("/services/{a}/{b}/{c}"))?, &body)])
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    fn slack(raw: &str) -> super::Slack {
        match ChannelUrl::parse(raw).unwrap().service {
            Service::Slack(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn three_forms_one_hook_and_mrkdwn_escaped() {
        let a = slack("slack://hook:T01-B02-Xyz@webhook");
        let b = slack("slack://T01/B02/Xyz");
        let c = slack("https://hooks.slack.com/services/T01/B02/Xyz");
        assert_eq!((&a.token, &a.base), (&b.token, &b.base));
        assert_eq!((&a.token, &a.base), (&c.token, &c.base));
        assert_eq!(
            ChannelUrl::parse("slack://hook:T01-B02-Xyz@webhook").unwrap().redacted(),
            "slack://hook:***@webhook"
        );
        assert_eq!(
            ChannelUrl::parse("https://hooks.slack.com/services/T01/B02/Xyz").unwrap().redacted(),
            "https://hooks.slack.com/services/T01/***/***"
        );
        let mut m = Message::test("x");
        m.markdown = "Restart of **<b>** failed".into();
        let req = &a.requests(&m).unwrap()[0];
        assert_eq!(req.url.as_str(), "https://hooks.slack.com/services/T01/B02/Xyz");
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["text"], "Restart of *&lt;b&gt;* failed");
        assert!(ChannelUrl::parse("slack://hook:T01@webhook").unwrap_err().0.contains("three parts"));
    }
}
