//! Email over SMTP. `smtp://[user:password@]host[:port]/?from=…&to=a@x,b@y` (shoutrrr), with
//! `encryption=auto` (the default: implicit TLS on port 465, else STARTTLS when the server offers
//! it), `explicittls` (STARTTLS required), `implicittls`, or `none` (plain, for a LAN relay);
//! `usestarttls=no` is `none` too; `subject=` overrides the subject, `fromname=` names the sender.
//! Aliases: `smtps://` (implicit TLS), `mailto://` and `mailtos://` (Apprise), with the same query.
//! Sent with lettre over rustls (ring, the system's roots; `SSL_CERT_FILE` for a private CA),
//! behind the cargo feature `email` (on by default).

use url::Url;

use super::url::{decoded, host, list, query, yes_no, UrlError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// Implicit TLS on 465, else STARTTLS when offered.
    Auto,
    StartTls,
    Implicit,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Email {
    pub host: String,
    pub port: u16,
    pub encryption: Encryption,
    pub credentials: Option<(String, String)>,
    pub from: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
}

fn check_address(a: &str, what: &str) -> Result<(), UrlError> {
    let ok = match a.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') || domain == "localhost" && !local.is_empty()
        }
        None => false,
    };
    if !ok || a.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',')) {
        return Err(UrlError::new(format!("{what} {:?} is not an email address", crate::text::clip(a, 60))));
    }
    Ok(())
}

impl Email {
    pub fn parse(url: &Url) -> Result<Email, UrlError> {
        if !cfg!(feature = "email") {
            return Err(UrlError::new(
                "this build of Chrontainer has no email support (cargo feature `email`)",
            ));
        }
        let q = query(url);
        let host = host(url, "SMTP server (smtp://host:port/?from=…&to=…)")?;
        let implicit_scheme = matches!(url.scheme(), "smtps" | "mailtos");
        let mut encryption = match q.get("encryption").map(|e| e.to_ascii_lowercase()).as_deref() {
            None | Some("auto") if implicit_scheme => Encryption::Implicit,
            None | Some("auto") => Encryption::Auto,
            Some("explicittls" | "starttls") => Encryption::StartTls,
            Some("implicittls" | "tls" | "ssl") => Encryption::Implicit,
            Some("none" | "plain") => Encryption::None,
            Some(other) => {
                return Err(UrlError::new(format!(
                    "encryption={:?} is not auto, explicittls, implicittls or none",
                    crate::text::clip(other, 20)
                )))
            }
        };
        if !yes_no(&q, "usestarttls", true)? && encryption != Encryption::Implicit {
            encryption = Encryption::None;
        }
        let port = url.port().unwrap_or(match encryption {
            Encryption::Implicit => 465,
            Encryption::StartTls => 587,
            Encryption::Auto | Encryption::None => 25,
        });
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, pass) => Some((decoded(user), pass.map(decoded).unwrap_or_default())),
        };
        let from = q
            .get("from")
            .cloned()
            .ok_or_else(|| UrlError::new("it has no sender: add ?from=me@example.org"))?;
        check_address(&from, "from")?;
        let to = list(q.get("to"));
        if to.is_empty() {
            return Err(UrlError::new("it has no recipient: add &to=you@example.org (comma-separated)"));
        }
        for a in &to {
            check_address(a, "to")?;
        }
        Ok(Email {
            host,
            port,
            encryption,
            credentials,
            from,
            from_name: q.get("fromname").cloned(),
            to,
            subject: q.get("subject").cloned(),
        })
    }
}

#[cfg(feature = "email")]
mod smtp {
    use std::time::Duration;

    use lettre::message::{header::ContentType, Mailbox};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    use super::{Email, Encryption};
    use crate::notify::send::{Failure, Sent};
    use crate::notify::{cut, Message};

    /// Connect, greet, send and quit within this long.
    const TIMEOUT: Duration = Duration::from_secs(15);

    fn final_failure(reason: String) -> Failure {
        Failure::Final { status: None, reason }
    }

    fn mailbox(address: &str, name: Option<&str>) -> Result<Mailbox, Failure> {
        let mut mb: Mailbox =
            address.parse().map_err(|e| final_failure(format!("the address {address} is refused: {e}")))?;
        mb.name = name.map(str::to_string);
        Ok(mb)
    }

    pub async fn send(e: &Email, m: &Message) -> Result<Sent, Failure> {
        let mut builder = lettre::Message::builder()
            .from(mailbox(&e.from, Some(e.from_name.as_deref().unwrap_or("Chrontainer")))?)
            .subject(cut(e.subject.as_deref().unwrap_or(&m.title), 200));
        for to in &e.to {
            builder = builder.to(mailbox(to, None)?);
        }
        let mail = builder
            .header(ContentType::TEXT_PLAIN)
            .body(m.text_with_link())
            .map_err(|err| final_failure(format!("the message cannot be built: {err}")))?;
        let tls = || {
            TlsParameters::builder(e.host.clone())
                .build_rustls()
                .map_err(|err| final_failure(format!("TLS cannot be set up: {err}")))
        };
        let tls = match e.encryption {
            Encryption::None => Tls::None,
            Encryption::StartTls => Tls::Required(tls()?),
            Encryption::Implicit => Tls::Wrapper(tls()?),
            Encryption::Auto if e.port == 465 => Tls::Wrapper(tls()?),
            Encryption::Auto => Tls::Opportunistic(tls()?),
        };
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.host)
            .port(e.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let Some((user, pass)) = &e.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        match tokio::time::timeout(TIMEOUT * 2, transport.build().send(mail)).await {
            Ok(Ok(answer)) => Ok(Sent {
                status: answer.code().into(),
                answer: answer.message().collect::<Vec<_>>().join(" "),
            }),
            Ok(Err(err)) if tls_failure(&err).is_some() => Err(Failure::Final {
                status: None,
                reason: crate::text::clip(
                    &format!(
                        "TLS with the SMTP server {}:{} failed: {} (trust its CA with SSL_CERT_FILE, or check the host name)",
                        e.host,
                        e.port,
                        tls_failure(&err).unwrap_or_default()
                    ),
                    300,
                ),
            }),
            Ok(Err(err)) if err.is_permanent() => Err(Failure::Final {
                status: err.status().map(u16::from),
                reason: crate::text::clip(&format!("the SMTP server refused: {err}"), 300),
            }),
            Ok(Err(err)) => {
                Err(Failure::Retry { after: None, reason: crate::text::clip(&format!("SMTP: {err}"), 300) })
            }
            Err(_) => Err(Failure::Retry {
                after: None,
                reason: format!("SMTP: no answer within {} s", TIMEOUT.as_secs() * 2),
            }),
        }
    }

    /// The TLS error inside a failure, if TLS is what failed: an untrusted or wrong certificate,
    /// no protocol in common. lettre reports a failed handshake as a connection error around an
    /// `io::Error` that holds rustls's error, so the chain is searched for it. Retrying would
    /// not make a certificate trusted: such a failure is final.
    fn tls_failure(err: &lettre::transport::smtp::Error) -> Option<String> {
        let mut source = std::error::Error::source(err);
        while let Some(e) = source {
            let inner = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
            if let Some(tls) = inner.and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(tls.to_string());
            }
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(tls.to_string());
            }
            source = e.source();
        }
        err.is_tls().then(|| err.to_string())
    }
}

#[cfg(feature = "email")]
pub use smtp::send;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{ChannelUrl, Service};

    fn email(raw: &str) -> Email {
        match ChannelUrl::parse(raw).unwrap().service {
            Service::Email(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encryption_and_ports_follow_the_url() {
        let e = email("smtp://me:p%40ss@mail.example:2525/?from=ct@example.org&to=a@example.org,b@example.org&encryption=none");
        assert_eq!((e.port, e.encryption), (2525, Encryption::None));
        assert_eq!(e.credentials, Some(("me".into(), "p@ss".into())));
        assert_eq!(e.to.len(), 2);
        assert_eq!(email("smtps://mail.example/?from=a@b.c&to=d@e.f").port, 465);
        assert_eq!(email("smtp://mail.example/?from=a@b.c&to=d@e.f&encryption=explicittls").port, 587);
        assert_eq!(
            email("smtp://mail.example/?from=a@b.c&to=d@e.f&usestarttls=no").encryption,
            Encryption::None
        );
        let u = ChannelUrl::parse("smtp://me:secret@mail.example/?from=a@b.c&to=d@e.f").unwrap();
        assert_eq!(u.redacted(), "smtp://me:***@mail.example/?from=a@b.c&to=d@e.f");
        for (raw, words) in [
            ("smtp://mail.example/?to=d@e.f", "no sender"),
            ("smtp://mail.example/?from=a@b.c", "no recipient"),
            ("smtp://mail.example/?from=a@b.c&to=nobody", "not an email address"),
            ("smtp://mail.example/?from=a@b.c&to=d@e.f&encryption=rot13", "encryption"),
        ] {
            let e = ChannelUrl::parse(raw).unwrap_err().0;
            assert!(e.contains(words), "{raw}: {e}");
        }
    }
}
