//! The notification room: channel URLs (`url.rs`), the message (`message.rs`), one file per
//! service building the request its documentation asks for, and `send.rs`, which delivers it over
//! the project's one outgoing HTTP client (or SMTP for email) and says whether to try again.
//!
//! Pure apart from `send.rs` and `email.rs`: a service file turns a [`Message`] into
//! [`Outgoing`] requests, so every payload is unit-tested without a network.
//!
//! Imports only the bottom floor (`error`, `text`, `outbound`).

pub mod discord;
pub mod email;
pub mod gotify;
pub mod message;
pub mod ntfy;
pub mod pushover;
pub mod send;
pub mod slack;
pub mod telegram;
pub mod url;
pub mod webhook;

pub use message::{Message, Severity};
pub use send::{deliver, Failure, Sent};
pub use url::{ChannelUrl, Service, UrlError};

/// One HTTP request to a service: always a POST.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub url: ::url::Url,
    /// Extra headers (values already encoded for HTTP, see [`header_value`]).
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Outgoing {
    /// A JSON POST.
    pub fn json(url: ::url::Url, body: &serde_json::Value) -> Outgoing {
        Outgoing {
            url,
            headers: Vec::new(),
            content_type: "application/json",
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// An `application/x-www-form-urlencoded` POST.
    pub fn form(url: ::url::Url, fields: &[(&str, &str)]) -> Outgoing {
        let mut form = ::url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        Outgoing {
            url,
            headers: Vec::new(),
            content_type: "application/x-www-form-urlencoded",
            body: form.finish().into_bytes(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Outgoing {
        self.headers.push((name.to_string(), header_value(value)));
        self
    }
}

/// At most `max` characters of `s`, ending in `…` when cut (each service's documented limit).
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", &s[..i]),
        _ => s.to_string(),
    }
}

/// At most `max` bytes of UTF-8 (ntfy counts bytes), cut on a character and ending in `…`.
pub fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A header value HTTP can carry: ASCII as it is (control characters dropped), anything else as an
/// RFC 2047 encoded word (`=?UTF-8?B?…?=`), which ntfy and most servers decode.
pub fn header_value(s: &str) -> String {
    use base64::Engine as _;
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_string();
    }
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(clean.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_cut_at_the_limit_with_an_ellipsis() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abcd", 4), "abcd");
        assert_eq!(cut("äöüß€", 3).chars().count(), 3);
        let b = cut_bytes(&"€".repeat(10), 10);
        assert!(b.len() <= 10 && b.ends_with('…'), "{b}");
        assert_eq!(cut_bytes("abc", 10), "abc");
    }

    #[test]
    fn non_ascii_header_values_are_encoded_words() {
        assert_eq!(header_value("plain"), "plain");
        assert_eq!(header_value("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
        assert!(header_value("a\nb€").is_ascii());
    }
}
