//! Delivering a message to a service once, and what its answer means: sent, try again later
//! (429 with its `Retry-After`, 5xx, a timeout, nobody listening), or final (any other 4xx).
//! The remote's answer is read up to the outgoing client's size cap and quoted clipped.

use std::time::Duration;

use super::{Message, Outgoing, Service};
use crate::outbound::{Outbound, OutboundError};

/// How a delivery went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The remote's status: HTTP's, or SMTP's reply code.
    pub status: u16,
    /// The remote's answer, clipped.
    pub answer: String,
}

/// Why a delivery did not go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try, after `after` when the remote said (Retry-After).
    Retry { after: Option<Duration>, reason: String },
    /// Trying again would get the same answer.
    Final { status: Option<u16>, reason: String },
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Retry { reason, .. } | Failure::Final { reason, .. } => reason,
        }
    }
}

/// The longest wait a `Retry-After` may ask for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// What is read of a service's answer at most.
const MAX_ANSWER: usize = 16 * 1024;
/// A service's answer must come within this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `m` through `service`; for Telegram with several chats, one request per chat, stopping
/// at the first failure.
pub async fn deliver(http: &Outbound, service: &Service, m: &Message) -> Result<Sent, Failure> {
    let requests = match service {
        Service::Email(e) => return send_email(e, m).await,
        Service::Ntfy(s) => Ok(s.requests(m)),
        Service::Gotify(s) => s.requests(m),
        Service::Discord(s) => s.requests(m),
        Service::Slack(s) => s.requests(m),
        Service::Telegram(s) => s.requests(m),
        Service::Pushover(s) => s.requests(m),
        Service::Webhook(s) => Ok(s.requests(m)),
    }
    .map_err(|e| Failure::Final { status: None, reason: e.0 })?;
    let mut last = Err(Failure::Final { status: None, reason: "nothing to send".into() });
    for request in &requests {
        last = Ok(post(http, request).await?);
    }
    last
}

#[cfg(feature = "email")]
async fn send_email(e: &super::email::Email, m: &Message) -> Result<Sent, Failure> {
    super::email::send(e, m).await
}

#[cfg(not(feature = "email"))]
async fn send_email(_: &super::email::Email, _: &Message) -> Result<Sent, Failure> {
    Err(Failure::Final { status: None, reason: "this build has no email support".into() })
}

async fn post(http: &Outbound, o: &Outgoing) -> Result<Sent, Failure> {
    let mut request = http::Request::post(o.url.as_str()).header(http::header::CONTENT_TYPE, o.content_type);
    for (name, value) in &o.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(bytes::Bytes::from(o.body.clone()))
        .map_err(|e| Failure::Final { status: None, reason: format!("the request cannot be built: {e}") })?;
    match http.send_with(request, TIMEOUT, MAX_ANSWER).await {
        Ok(reply) => {
            let retry_after = reply.headers.get(http::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
            judge(reply.status.as_u16(), retry_after, &reply.text())
        }
        Err(e @ (OutboundError::Scheme | OutboundError::TooLarge(_))) => {
            Err(Failure::Final { status: None, reason: e.to_string() })
        }
        Err(e) => Err(Failure::Retry { after: None, reason: e.to_string() }),
    }
}

/// What an HTTP answer means for the delivery.
pub fn judge(status: u16, retry_after: Option<&str>, body: &str) -> Result<Sent, Failure> {
    let said = remote_message(body);
    let reason = if said.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {said}") };
    match status {
        200..=299 => Ok(Sent { status, answer: said }),
        429 => Err(Failure::Retry { after: Some(retry_after_of(retry_after)), reason }),
        408 | 500..=599 => {
            Err(Failure::Retry { after: retry_after.map(|r| retry_after_of(Some(r))), reason })
        }
        _ => Err(Failure::Final { status: Some(status), reason }),
    }
}

/// `Retry-After` in seconds (the HTTP-date form counts as a minute), capped.
fn retry_after_of(raw: Option<&str>) -> Duration {
    match raw.map(str::trim).map(str::parse::<f64>) {
        Some(Ok(s)) if s.is_finite() && s >= 0.0 => Duration::from_secs_f64(s).min(MAX_RETRY_AFTER),
        Some(_) => Duration::from_secs(60),
        None => Duration::from_secs(5),
    }
}

/// The remote's own words: the `message`, `description` or `error` of a JSON answer, else the
/// text; one line, at most 300 characters.
pub fn remote_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| {
        ["message", "description", "error", "errors"].iter().find_map(|k| match &v[*k] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
    });
    let text = from_json.unwrap_or_else(|| body.to_string());
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    crate::text::clip(line.trim(), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged_as_the_brief_says() {
        assert_eq!(judge(204, None, ""), Ok(Sent { status: 204, answer: String::new() }));
        assert_eq!(
            judge(429, Some("3"), r#"{"message": "You are being rate limited.", "retry_after": 3}"#),
            Err(Failure::Retry {
                after: Some(Duration::from_secs(3)),
                reason: "HTTP 429: You are being rate limited.".into()
            })
        );
        assert!(matches!(judge(503, None, "down"), Err(Failure::Retry { after: None, .. })));
        assert_eq!(
            judge(400, None, r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#),
            Err(Failure::Final { status: Some(400), reason: "HTTP 400: Bad Request: chat not found".into() })
        );
        assert_eq!(retry_after_of(Some("99999")), MAX_RETRY_AFTER);
        assert_eq!(retry_after_of(Some("Wed, 21 Oct 2026 07:28:00 GMT")), Duration::from_secs(60));
        assert_eq!(remote_message(&format!("line1\nline2{}", "x".repeat(400))).chars().count(), 301);
    }
}
