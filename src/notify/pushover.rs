//! Pushover. `pushover://shoutrrr:API_TOKEN@USER_KEY/?devices=phone,tablet&priority=1&title=…`
//! (shoutrrr), or Apprise's `pover://USER_KEY@API_TOKEN`; `?base=` for another address. Posts the
//! form fields of Pushover's Messages API (`token`, `user`, `message` ≤ 1024, `title` ≤ 250,
//! `url` ≤ 512, `priority` -2…2, `device`) to `/1/messages.json`.

use url::Url;

use super::url::{base, decoded, host, list, query, UrlError};
use super::{cut, Message, Outgoing, Severity};

const PUSHOVER: &str = "https://api.pushover.net";

#[derive(Clone, Debug, PartialEq)]
pub struct Pushover {
    pub base: Url,
    pub token: String,
    pub user: String,
    pub devices: Vec<String>,
    pub priority: Option<i8>,
    pub title: Option<String>,
}

impl Pushover {
    pub fn parse(url: &Url) -> Result<Pushover, UrlError> {
        let q = query(url);
        let (token, user) = if url.scheme() == "pover" {
            (host(url, "API token (pover://USER_KEY@API_TOKEN)")?, decoded(url.username()))
        } else {
            let token = url.password().map(decoded).unwrap_or_default();
            (token, host(url, "user key (pushover://shoutrrr:API_TOKEN@USER_KEY/)")?)
        };
        if token.is_empty() || user.is_empty() {
            return Err(UrlError::new(
                "it needs an API token and a user key: pushover://shoutrrr:API_TOKEN@USER_KEY/",
            ));
        }
        let priority = match q.get("priority") {
            None => None,
            Some(p) => Some(
                p.parse::<i8>()
                    .ok()
                    .filter(|p| (-2..=1).contains(p))
                    .ok_or_else(|| UrlError::new("priority is -2, -1, 0 or 1 (2 needs retry and expire)"))?,
            ),
        };
        Ok(Pushover {
            base: base(&q, PUSHOVER)?,
            token,
            user,
            devices: list(q.get("devices")),
            priority,
            title: q.get("title").cloned(),
        })
    }

    pub fn requests(&self, m: &Message) -> Result<Vec<Outgoing>, UrlError> {
        let priority = self.priority.unwrap_or(match m.severity {
            Severity::Failure => 1,
            _ => 0,
        });
        let (message, title, priority) =
            (cut(&m.text, 1024), cut(self.title.as_deref().unwrap_or(&m.title), 250), priority.to_string());
        let devices = self.devices.join(",");
        let link = m.link.as_deref().map(|l| cut(l, 512));
        let mut fields = vec![
            ("token", self.token.as_str()),
            ("user", self.user.as_str()),
            ("message", message.as_str()),
            ("title", title.as_str()),
            ("priority", priority.as_str()),
        ];
        if !devices.is_empty() {
            fields.push(("device", &devices));
        }
        if let Some(link) = &link {
            fields.push(("url", link));
        }
        Ok(vec![Outgoing::form(super::url::join(&self.base, "/1/messages.json")?, &fields)])
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    #[test]
    fn form_fields_of_the_messages_api() {
        for raw in ["pushover://shoutrrr:aToken@uKey/?devices=phone", "pover://uKey@aToken?devices=phone"] {
            let u = ChannelUrl::parse(raw).unwrap();
            assert!(!u.redacted().contains("aToken"), "{}", u.redacted());
            let Service::Pushover(p) = u.service else { panic!() };
            let req = &p.requests(&Message::test("x")).unwrap()[0];
            assert_eq!(req.url.as_str(), "https://api.pushover.net/1/messages.json");
            let body = String::from_utf8(req.body.clone()).unwrap();
            assert!(body.starts_with("token=aToken&user=uKey&message=Test+message"), "{body}");
            assert!(body.ends_with("&device=phone"), "{body}");
        }
    }
}
