//! Telegram bots. `telegram://BOT_ID:SECRET@telegram?chats=@channel,123456` (shoutrrr), or
//! Apprise's `tgram://BOT_ID:SECRET/CHAT/…`; `?notification=no` sends silently, `?base=` points at
//! a self-hosted Bot API server. One `sendMessage` per chat (JSON `chat_id`, `text`), the text
//! plain (no parse mode, so nothing needs escaping) and at most 4096 characters (Telegram's limit).

use serde_json::json;
use url::Url;

use super::url::{base, decoded, list, query, segments, yes_no, UrlError};
use super::{cut, Message, Outgoing};

const MAX_TEXT: usize = 4096;
const TELEGRAM: &str = "https://api.telegram.org";

#[derive(Clone, Debug, PartialEq)]
pub struct Telegram {
    pub base: Url,
    /// `BOT_ID:SECRET`, as BotFather gives it.
    pub token: String,
    pub chats: Vec<String>,
    pub silent: bool,
}

impl Telegram {
    pub fn parse(url: &Url) -> Result<Telegram, UrlError> {
        let q = query(url);
        let (id, secret) = match (url.username(), url.password()) {
            (id, Some(secret)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                (id, decoded(secret))
            }
            _ => {
                return Err(UrlError::new(
                    "the bot token is BOT_ID:SECRET: telegram://123456:ABC…@telegram?chats=…",
                ))
            }
        };
        let mut chats = list(q.get("chats"));
        chats.extend(segments(url));
        if chats.is_empty() {
            return Err(UrlError::new("it names no chat: add ?chats=@channel,123456"));
        }
        Ok(Telegram {
            base: base(&q, TELEGRAM)?,
            token: format!("{id}:{secret}"),
            chats,
            silent: !yes_no(&q, "notification", true)?,
        })
    }

    pub fn requests(&self, m: &Message) -> Result<Vec<Outgoing>, UrlError> {
        let text = cut(&format!("{}\n{}", m.title, m.text_with_link()), MAX_TEXT);
        let url = super::url::join(&self.base, &format!("/bot{}/sendMessage", self.token))?;
        Ok(self
            .chats
            .iter()
            .map(|chat| {
                let body = json!({"chat_id": chat, "text": text, "disable_notification": self.silent});
                Outgoing::json(url.clone(), &body)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::{ChannelUrl, Message, Service};

    #[test]
    fn one_send_message_per_chat() {
        for raw in ["telegram://123:AbC@telegram?chats=@ops,42", "tgram://123:AbC/@ops/42"] {
            let u = ChannelUrl::parse(raw).unwrap();
            assert!(!u.redacted().contains("AbC"), "{}", u.redacted());
            let Service::Telegram(t) = u.service else { panic!() };
            let reqs = t.requests(&Message::test("x")).unwrap();
            assert_eq!(reqs.len(), 2, "{raw}");
            assert_eq!(reqs[0].url.as_str(), "https://api.telegram.org/bot123:AbC/sendMessage");
            let body: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
            assert_eq!(body["chat_id"], "42");
        }
        assert!(ChannelUrl::parse("telegram://123:AbC@telegram").unwrap_err().0.contains("no chat"));
    }
}
