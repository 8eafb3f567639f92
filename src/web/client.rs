//! What a request says about its client: its address, whether it came over HTTPS, and the host
//! it believes it is talking to. `X-Forwarded-*` count only with `CHRONTAINER_TRUST_PROXY=true`.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::config::Config;

/// The client's address: the peer, or with `CHRONTAINER_TRUST_PROXY=true` the last address of
/// `X-Forwarded-For` (the one the trusted proxy added; earlier ones are whatever the client said).
pub fn client_ip(req: &HttpRequest, config: &Config) -> Option<IpAddr> {
    if config.trust_proxy {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .last();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

pub fn client_text(req: &HttpRequest, config: &Config) -> String {
    client_ip(req, config).map_or_else(|| "an unknown address".to_string(), |ip| ip.to_string())
}

/// Whether the browser reached us over HTTPS, as far as we may believe it.
pub fn is_https(req: &HttpRequest, config: &Config) -> bool {
    config.secure_cookies
        || req.app_config().secure()
        || (config.trust_proxy
            && first_value(req, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")))
}

fn first_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name)?.to_str().ok()?.split(',').next().map(str::trim).filter(|v| !v.is_empty())
}

/// The host (and port) the browser believes it is talking to.
pub fn own_host<'a>(req: &'a HttpRequest, config: &Config) -> Option<&'a str> {
    let forwarded = if config.trust_proxy { first_value(req, "x-forwarded-host") } else { None };
    forwarded
        .or_else(|| req.headers().get(header::HOST).and_then(|v| v.to_str().ok()))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}
