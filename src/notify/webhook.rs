//! A generic JSON web hook. `generic+https://host[:port]/path?…` or `generic+http://…` (shoutrrr;
//! `generic://` is https, `?disabletls=yes` plain HTTP), Apprise's `jsons://` and `json://`.
//! Query parameters `@Name=value` become request headers (values that are not ASCII are sent as
//! RFC 2047 encoded words); every other parameter stays in the address. The body is JSON:
//! `{title, message, event, link, entry}` with `entry` API.md's `LogEntry` (or `null`).

use serde_json::json;
use url::Url;

use super::url::{host, yes_no, UrlError};
use super::{cut, Message, Outgoing};

const MAX_MESSAGE: usize = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub url: Url,
    pub headers: Vec<(String, String)>,
}

impl Webhook {
    pub fn parse(url: &Url) -> Result<Webhook, UrlError> {
        let q = super::url::query(url);
        let host = host(url, "host (generic+https://host/path)")?;
        let scheme = match url.scheme() {
            "generic+http" | "json" => "http",
            "generic" if yes_no(&q, "disabletls", false)? => "http",
            _ => "https",
        };
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let auth = match (url.username(), url.password()) {
            ("", None) => String::new(),
            (u, None) => format!("{u}@"),
            (u, Some(p)) => format!("{u}:{p}@"),
        };
        let mut target = Url::parse(&format!("{scheme}://{auth}{host}{port}{}", url.path()))
            .map_err(|e| UrlError::new(format!("the address cannot be read ({e})")))?;
        let mut headers = Vec::new();
        let mut kept = url::form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for (k, v) in url.query_pairs() {
            if let Some(name) = k.strip_prefix('@') {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(UrlError::new(
                        "a header parameter is @Name=value, the name letters, digits and -",
                    ));
                }
                headers.push((name.to_string(), v.into_owned()));
            } else if k != "disabletls" {
                kept.append_pair(&k, &v);
                any = true;
            }
        }
        target.set_query(any.then(|| kept.finish()).as_deref());
        Ok(Webhook { url: target, headers })
    }

    pub fn requests(&self, m: &Message) -> Vec<Outgoing> {
        let body = json!({
            "title": m.title,
            "message": cut(&m.text, MAX_MESSAGE),
            "event": m.event,
            "link": m.link,
            "entry": m.entry,
        });
        let mut out = Outgoing::json(self.url.clone(), &body);
        for (name, value) in &self.headers {
            out = out.header(name, value);
        }
        vec![out]
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    #[test]
    fn headers_from_the_query_encoded_and_redacted() {
        let u = ChannelUrl::parse(
            "generic+http://127.0.0.1:9000/hook?@Authorization=Bearer%20s3&@X-Name=Grüße&a=1",
        )
        .unwrap();
        assert_eq!(u.redacted(), "generic+http://127.0.0.1:9000/hook?@Authorization=***&@X-Name=***&a=1");
        let Service::Webhook(w) = u.service else { panic!() };
        let req = &w.requests(&Message::test("x"))[0];
        assert_eq!(req.url.as_str(), "http://127.0.0.1:9000/hook?a=1");
        assert_eq!(req.headers[0], ("Authorization".into(), "Bearer s3".into()));
        assert_eq!(req.headers[1].1, "=?UTF-8?B?R3LDvMOfZQ==?=");
        let Service::Webhook(w) = ChannelUrl::parse("generic://h.example/x?disabletls=yes").unwrap().service
        else {
            panic!()
        };
        assert_eq!(w.url.as_str(), "http://h.example/x");
        let Service::Webhook(w) = ChannelUrl::parse("jsons://h.example/x").unwrap().service else { panic!() };
        assert_eq!(w.url.scheme(), "https");
    }
}
