//! The names a request may call this instance by. A page on another site whose name was
//! re-pointed at us (DNS rebinding) is same-origin in the browser's eyes, so the Origin check
//! passes; only the name it asked for gives it away. Known names: IP literals (the listen address
//! is one), `localhost`, and `CHRONTAINER_ALLOWED_HOSTS`.

use std::net::{Ipv4Addr, Ipv6Addr};

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::config::Config;
use crate::error::AppError;

/// The longest name quoted back in a refusal.
const QUOTED: usize = 100;

/// The name of `authority` (`host[:port]` or `[v6][:port]`): lower case, port and one trailing
/// dot removed; `None` when it is not an authority at all.
fn name_of(authority: &str) -> Option<String> {
    let authority = authority.trim();
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok.then(|| format!("[{}]", inside.to_ascii_lowercase()));
    }
    let name = match authority.rsplit_once(':') {
        Some((name, port)) if is_port(port) => name,
        Some(_) => return None,
        None => authority,
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let plausible = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    plausible.then_some(name)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `authority` names this instance.
pub fn is_known(authority: &str, config: &Config) -> bool {
    let Some(name) = name_of(authority) else { return false };
    name.starts_with('[')
        || name.parse::<Ipv4Addr>().is_ok()
        || name == "localhost"
        || config.allowed_hosts.contains(&name)
}

/// Refuses a request whose `Host` (with `CHRONTAINER_TRUST_PROXY`, also every `X-Forwarded-Host`
/// value), or the authority of an absolute request line, names an unknown host. A request that
/// names none (HTTP/1.0) passes.
pub fn check(req: &HttpRequest, config: &Config) -> Result<(), AppError> {
    let mut named: Vec<String> = Vec::new();
    for value in req.headers().get_all(header::HOST) {
        named.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    if config.trust_proxy {
        for value in req.headers().get_all("x-forwarded-host") {
            named.extend(String::from_utf8_lossy(value.as_bytes()).split(',').map(str::to_string));
        }
    }
    if let Some(authority) = req.uri().authority() {
        named.push(authority.as_str().to_string());
    }
    match named.into_iter().find(|a| !is_known(a, config)) {
        None => Ok(()),
        Some(unknown) => Err(AppError::UnknownHost(crate::text::clip(unknown.trim(), QUOTED))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use actix_web::ResponseError;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn ip_literals_localhost_and_allowed_names_are_known_whatever_the_port_case_or_dot() {
        let c = config(&[("CHRONTAINER_ALLOWED_HOSTS", "pi.lan, Chrontainer.Example.org.")]);
        for known in [
            "127.0.0.1",
            "127.0.0.1:5000",
            "192.168.1.20:5000",
            "0.0.0.0:5000",
            "[::1]",
            "[::1]:5000",
            "[FE80::1]:80",
            "localhost",
            "LOCALHOST:5000",
            "localhost.:5000",
            "pi.lan",
            "PI.LAN.:8080",
            "chrontainer.example.org",
            " chrontainer.example.org:443 ",
        ] {
            assert!(is_known(known, &c), "{known} should be known");
        }
        for unknown in [
            "evil.example",
            "evil.example:5000",
            "pi.lan.evil.example",
            "localhost.evil.example",
            "sub.localhost",
            "2130706433",
            "0x7f.0.0.1",
            "127.0.0.1.nip.io",
            "::1",
            "[::1",
            "[not-an-ip]:5000",
            "pi.lan:http",
            "pi.lan:5000:5000",
            "",
            ":5000",
            "pi lan",
            "pi.lan/x",
            "user@pi.lan",
        ] {
            assert!(!is_known(unknown, &c), "{unknown:?} should be unknown");
        }
        assert!(!is_known("pi.lan", &config(&[])), "only what is configured");
    }

    #[test]
    fn host_and_trusted_forwarded_host_are_checked() {
        let c = config(&[]);
        let ok = TestRequest::get().insert_header(("host", "127.0.0.1:5000")).to_http_request();
        assert!(check(&ok, &c).is_ok());
        assert!(check(&TestRequest::get().to_http_request(), &c).is_ok(), "no Host at all (HTTP/1.0)");

        let evil = TestRequest::get().insert_header(("host", "Evil.Example:5000")).to_http_request();
        let e = check(&evil, &c).unwrap_err();
        assert_eq!((e.code(), e.status_code().as_u16()), ("unknown_host", 421));
        assert!(e.to_string().contains("\"Evil.Example:5000\""), "{e}");
        assert!(e.to_string().contains("CHRONTAINER_ALLOWED_HOSTS"), "{e}");

        let long = TestRequest::get().insert_header(("host", "a".repeat(500))).to_http_request();
        assert!(check(&long, &c).unwrap_err().to_string().len() < 300, "the name is clipped");

        let forwarded = |value: &str| {
            TestRequest::get()
                .insert_header(("host", "127.0.0.1:5000"))
                .insert_header(("x-forwarded-host", value))
                .to_http_request()
        };
        assert!(check(&forwarded("evil.example"), &c).is_ok(), "not believed, so not checked");
        let proxied =
            config(&[("CHRONTAINER_TRUST_PROXY", "true"), ("CHRONTAINER_ALLOWED_HOSTS", "pi.example")]);
        assert!(check(&forwarded("pi.example"), &proxied).is_ok());
        assert!(check(&forwarded("evil.example"), &proxied).is_err());
        assert!(check(&forwarded("pi.example, evil.example"), &proxied).is_err());
        let rebound_behind_proxy = TestRequest::get()
            .insert_header(("host", "evil.example"))
            .insert_header(("x-forwarded-host", "pi.example"))
            .to_http_request();
        assert!(check(&rebound_behind_proxy, &proxied).is_err(), "Host is checked too");
    }
}
