//! Channel URLs: the shoutrrr grammar that watchtower users already write, Apprise's aliases, and
//! the webhook addresses Discord and Slack hand out, parsed into typed values when a channel is
//! saved. A URL holds secrets (tokens, passwords): [`ChannelUrl`]'s `Display` writes them as `***`,
//! and that is the only form that is ever shown or logged.

use std::collections::BTreeMap;
use std::fmt;

use url::Url;

use super::{discord, email, gotify, ntfy, pushover, slack, telegram, webhook};
use crate::error::AppError;

/// What is wrong with a channel URL, in a sentence that names the part at fault (never a secret).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(pub String);

impl UrlError {
    pub fn new(message: impl Into<String>) -> UrlError {
        UrlError(message.into())
    }
}

impl From<UrlError> for AppError {
    fn from(e: UrlError) -> AppError {
        AppError::invalid("invalid_channel_url", Some("url"), format!("url: {e}"))
    }
}

/// A service and its options, as the URL said them.
#[derive(Clone, Debug, PartialEq)]
pub enum Service {
    Ntfy(ntfy::Ntfy),
    Gotify(gotify::Gotify),
    Discord(discord::Discord),
    Slack(slack::Slack),
    Telegram(telegram::Telegram),
    Pushover(pushover::Pushover),
    Webhook(webhook::Webhook),
    Email(email::Email),
}

impl Service {
    /// The service's name as the documentation and the page say it.
    pub fn kind(&self) -> &'static str {
        match self {
            Service::Ntfy(_) => "ntfy",
            Service::Gotify(_) => "gotify",
            Service::Discord(_) => "discord",
            Service::Slack(_) => "slack",
            Service::Telegram(_) => "telegram",
            Service::Pushover(_) => "pushover",
            Service::Webhook(_) => "webhook",
            Service::Email(_) => "email",
        }
    }
}

/// A parsed channel URL and its redacted form. `Debug` shows the redacted form only.
#[derive(Clone, PartialEq)]
pub struct ChannelUrl {
    pub service: Service,
    redacted: String,
}

/// Channel URLs longer than this are refused (a URL is read back on every notification).
pub const MAX_URL: usize = 2048;

impl ChannelUrl {
    pub fn parse(raw: &str) -> Result<ChannelUrl, UrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UrlError::new("it is empty; give a URL such as ntfy://ntfy.sh/my-topic"));
        }
        if raw.chars().count() > MAX_URL {
            return Err(UrlError::new(format!("it is longer than {MAX_URL} characters")));
        }
        let scheme = raw.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).ok_or_else(|| {
            UrlError::new("it has no scheme: it starts with the service, e.g. ntfy://, discord://, smtp://")
        })?;
        // Apprise's `tgram://BOT:SECRET/CHAT…` has a colon where a port would be
        let rewritten = match raw.split_once("://") {
            Some((_, rest)) if scheme == "tgram" => match rest.split_once('/') {
                Some((token, chats)) => format!("telegram://{token}@telegram/{chats}"),
                None => format!("telegram://{rest}@telegram"),
            },
            _ => raw.to_string(),
        };
        let url =
            Url::parse(&rewritten).map_err(|e| UrlError::new(format!("it cannot be read as a URL ({e})")))?;
        let none = Secrets::default();
        let (service, secrets) = match scheme.as_str() {
            "ntfy" | "ntfys" => (Service::Ntfy(ntfy::Ntfy::parse(&url)?), Secrets { user: true, ..none }),
            "gotify" | "gotifys" => {
                let last = url.path_segments().map_or(0, |s| s.count().saturating_sub(1));
                (Service::Gotify(gotify::Gotify::parse(&url)?), Secrets { segments: vec![last], ..none })
            }
            "discord" => (
                Service::Discord(discord::Discord::parse(&url)?),
                Secrets { user: true, segments: vec![0], ..none },
            ),
            "slack" => (Service::Slack(slack::Slack::parse(&url)?), Secrets { segments: vec![0, 1], ..none }),
            "telegram" | "tgram" => (Service::Telegram(telegram::Telegram::parse(&url)?), none),
            "pushover" | "pover" => {
                let host = scheme == "pover";
                (Service::Pushover(pushover::Pushover::parse(&url)?), Secrets { user: host, host, ..none })
            }
            "smtp" | "smtps" | "mailto" | "mailtos" => (Service::Email(email::Email::parse(&url)?), none),
            "generic" | "generic+http" | "generic+https" | "json" | "jsons" => {
                (Service::Webhook(webhook::Webhook::parse(&url)?), none)
            }
            "https" | "http" => match url.host_str().map(str::to_ascii_lowercase).as_deref() {
                Some("discord.com" | "discordapp.com" | "ptb.discord.com" | "canary.discord.com") => (
                    Service::Discord(discord::Discord::parse_pasted(&url)?),
                    Secrets { segments: vec![3], ..none },
                ),
                Some("hooks.slack.com") => (
                    Service::Slack(slack::Slack::parse_pasted(&url)?),
                    Secrets { segments: vec![2, 3], ..none },
                ),
                _ => {
                    return Err(UrlError::new(
                        "an https:// URL is taken only from Discord or Slack; for any other web hook \
                         write generic+https://…",
                    ))
                }
            },
            other => {
                return Err(UrlError::new(format!(
                    "{:?} is not a service Chrontainer knows: use ntfy, gotify, discord, slack, telegram, \
                     pushover, generic+https, generic+http or smtp (NOTIFICATIONS.md)",
                    crate::text::clip(other, 20)
                )))
            }
        };
        let redacted = redact(&url, &secrets);
        Ok(ChannelUrl { service, redacted })
    }

    /// The URL with every secret as `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for ChannelUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelUrl({})", self.redacted)
    }
}

impl fmt::Display for ChannelUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Query keys whose values are secrets whatever the service.
const SECRET_KEYS: [&str; 7] = ["token", "key", "apikey", "secret", "password", "pass", "auth"];

/// Which parts of a service's URL are secrets, beside the password, header values (`@Name=`) and
/// secret-looking query keys, which always are.
#[derive(Clone, Debug, Default)]
struct Secrets {
    user: bool,
    host: bool,
    /// 0-based indices of path segments.
    segments: Vec<usize>,
}

/// `url` with every secret part as `***`.
fn redact(url: &Url, secrets: &Secrets) -> String {
    let secret = secrets.segments.as_slice();
    let mut out = format!("{}://", url.scheme());
    match (url.username(), url.password()) {
        ("", None) => {}
        (_, Some(_)) if !secrets.user => out.push_str(&format!("{}:***@", url.username())),
        (_, Some(_)) => out.push_str("***:***@"),
        (_, None) if secrets.user => out.push_str("***@"),
        (user, None) => out.push_str(&format!("{user}@")),
    }
    if let Some(host) = url.host_str() {
        out.push_str(if secrets.host { "***" } else { host });
    }
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    if let Some(segments) = url.path_segments() {
        let segments: Vec<&str> = segments.collect();
        if segments.len() == 1 && segments[0].is_empty() {
            out.push('/');
        } else {
            for (i, s) in segments.iter().enumerate() {
                out.push('/');
                out.push_str(if secret.contains(&i) && !s.is_empty() { "***" } else { s });
            }
        }
    }
    let pairs: Vec<String> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let raw_key = pair.split('=').next().unwrap_or("");
            let key = decoded(raw_key);
            let hidden = key.starts_with('@') || SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str());
            if hidden {
                format!("{raw_key}=***")
            } else {
                pair.to_string()
            }
        })
        .collect();
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// The query as a map with lower-case keys (header keys `@Name` keep their case).
pub fn query(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| {
            let k = if k.starts_with('@') { k.into_owned() } else { k.to_ascii_lowercase() };
            (k, v.into_owned())
        })
        .collect()
}

/// A percent-decoded part of the URL (user, password, path segment).
pub fn decoded(part: &str) -> String {
    percent_decode(part)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `yes`/`no` (also true/false, 1/0) of query key `key`, `default` when absent.
pub fn yes_no(q: &BTreeMap<String, String>, key: &str, default: bool) -> Result<bool, UrlError> {
    match q.get(key).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("yes" | "true" | "1" | "on") => Ok(true),
        Some("no" | "false" | "0" | "off") => Ok(false),
        Some(other) => {
            Err(UrlError::new(format!("{key}={:?} is not yes or no", crate::text::clip(other, 20))))
        }
    }
}

/// The base address of a service with a fixed public host (Discord, Slack, Telegram, Pushover):
/// `default`, or `?base=` (a proxy, a self-hosted Bot API server, a test's sink).
pub fn base(q: &BTreeMap<String, String>, default: &str) -> Result<Url, UrlError> {
    let raw = q.get("base").map(String::as_str).unwrap_or(default);
    let url = Url::parse(raw)
        .map_err(|_| UrlError::new(format!("base={:?} is not an http(s) URL", crate::text::clip(raw, 60))))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(UrlError::new(format!("base={:?} is not an http(s) URL", crate::text::clip(raw, 60))));
    }
    Ok(url)
}

/// `base` joined with `path` (which starts with `/`), keeping a path prefix of `base`.
pub fn join(base: &Url, path: &str) -> Result<Url, UrlError> {
    let prefix = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    Ok(url)
}

/// The host of `url`, required.
pub fn host(url: &Url, what: &str) -> Result<String, UrlError> {
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(h.to_string()),
        _ => Err(UrlError::new(format!("it has no {what}"))),
    }
}

/// The non-empty, percent-decoded path segments.
pub fn segments(url: &Url) -> Vec<String> {
    url.path_segments().map(|s| s.filter(|s| !s.is_empty()).map(decoded).collect()).unwrap_or_default()
}

/// A comma-separated list (empty items dropped).
pub fn list(raw: Option<&String>) -> Vec<String> {
    raw.map(|r| r.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        ChannelUrl::parse(raw).unwrap_err().0
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(err("").contains("empty"));
        assert!(err("ntfy.sh/topic").contains("no scheme"));
        assert!(err("matrix://x/y").contains("\"matrix\" is not a service"));
        assert!(err("https://example.com/hook").contains("generic+https"));
        let e: AppError = UrlError::new("x").into();
        assert_eq!((e.code(), e.field()), ("invalid_channel_url", Some("url")));
    }

    #[test]
    fn redaction_hides_passwords_tokens_and_headers() {
        let u =
            Url::parse("generic+https://me:pw1@h.example:8443/a/b?@X-Token=s3cr3t&token=t0k&x=1").unwrap();
        let r = redact(&u, &Secrets { segments: vec![1], ..Default::default() });
        assert_eq!(r, "generic+https://me:***@h.example:8443/a/***?@X-Token=***&token=***&x=1");
        let parsed = ChannelUrl::parse("ntfy://tk_abc@ntfy.sh/alerts").unwrap();
        assert_eq!(
            format!("{parsed:?} {parsed}"),
            "ChannelUrl(ntfy://***@ntfy.sh/alerts) ntfy://***@ntfy.sh/alerts"
        );
        let u = Url::parse("ntfy://tk_abc@ntfy.sh/alerts").unwrap();
        assert_eq!(redact(&u, &Secrets { user: true, ..Default::default() }), "ntfy://***@ntfy.sh/alerts");
    }
}
