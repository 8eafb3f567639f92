//! The session cookie: HttpOnly, SameSite=Strict, for the whole site; over HTTPS `Secure` and
//! named with the `__Host-` prefix, which browsers keep only when it is Secure, for `Path=/`
//! and without `Domain`, so that no sibling subdomain or plain-HTTP page can set or shadow it.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;

/// The session cookie's name over plain HTTP.
pub const SESSION_COOKIE: &str = "chrontainer_session";
/// The session cookie's name when it is Secure.
pub const SECURE_SESSION_COOKIE: &str = "__Host-chrontainer_session";

fn name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The cookie that carries a session's secret for `lifetime`.
pub fn session_cookie(secret: String, secure: bool, lifetime: std::time::Duration) -> Cookie<'static> {
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(name(secure), secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// The cookies that make the browser forget the session: over HTTPS under both names (one set
/// before the switch to HTTPS may linger), over plain HTTP the plain one (a browser would ignore
/// a `__Host-` cookie without Secure).
pub fn removal_cookies(secure: bool) -> Vec<Cookie<'static>> {
    let names: &[&'static str] =
        if secure { &[SECURE_SESSION_COOKIE, SESSION_COOKIE] } else { &[SESSION_COOKIE] };
    names
        .iter()
        .map(|name| {
            let mut cookie = session_cookie(String::new(), secure, std::time::Duration::ZERO);
            cookie.set_name(*name);
            cookie.make_removal();
            cookie
        })
        .collect()
}

/// The cookie that binds a sign-in through the OpenID provider to the browser that started it:
/// the `state` it left with. SameSite=Lax, since it must come back on the provider's redirect.
pub const OIDC_STATE_COOKIE: &str = "chrontainer_oidc_state";

pub fn oidc_state_cookie(state: String, secure: bool) -> Cookie<'static> {
    let seconds = i64::try_from(crate::auth::oidc::pending::LIFETIME.as_secs()).unwrap_or(600);
    Cookie::build(OIDC_STATE_COOKIE, state)
        .path("/login/oidc")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// Forgets the sign-in's state once it came back (or failed).
pub fn oidc_state_removal(secure: bool) -> Cookie<'static> {
    let mut cookie = oidc_state_cookie(String::new(), secure);
    cookie.make_removal();
    cookie
}

/// The session secret a request carries, under either name (the `__Host-` one first).
pub fn session_secret(req: &HttpRequest) -> Option<String> {
    req.cookie(SECURE_SESSION_COOKIE).or_else(|| req.cookie(SESSION_COOKIE)).map(|c| c.value().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_session_cookie_is_httponly_strict_and_site_wide() {
        let c = session_cookie("s".into(), false, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.starts_with("chrontainer_session=s;"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
        assert!(c.contains("Max-Age=3600") && !c.contains("Secure"), "{c}");
        let removal = removal_cookies(false);
        assert_eq!(removal.len(), 1);
        assert!(removal[0].to_string().starts_with("chrontainer_session=;"), "{}", removal[0]);
        assert!(removal[0].to_string().contains("Max-Age=0"));
    }

    #[test]
    fn a_secure_session_cookie_has_the_host_prefix_and_what_the_prefix_requires() {
        let c = session_cookie("s".into(), true, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.starts_with("__Host-chrontainer_session=s;"), "{c}");
        assert!(c.contains("; Secure") && c.contains("Path=/") && !c.contains("Domain"), "{c}");
        let removal: Vec<String> = removal_cookies(true).iter().map(|c| c.to_string()).collect();
        assert_eq!(removal.len(), 2, "{removal:?}");
        assert!(removal[0].starts_with("__Host-chrontainer_session=;") && removal[0].contains("; Secure"));
        assert!(removal[1].starts_with("chrontainer_session=;"), "{removal:?}");
        assert!(removal.iter().all(|c| c.contains("Max-Age=0") && c.contains("Path=/")), "{removal:?}");
    }

    #[test]
    fn both_names_are_read_the_host_prefixed_first() {
        let plain = TestRequest::get().cookie(Cookie::new("chrontainer_session", "p")).to_http_request();
        assert_eq!(session_secret(&plain).as_deref(), Some("p"));
        let secure =
            TestRequest::get().cookie(Cookie::new("__Host-chrontainer_session", "h")).to_http_request();
        assert_eq!(session_secret(&secure).as_deref(), Some("h"));
        let both = TestRequest::get()
            .cookie(Cookie::new("chrontainer_session", "p"))
            .cookie(Cookie::new("__Host-chrontainer_session", "h"))
            .to_http_request();
        assert_eq!(session_secret(&both).as_deref(), Some("h"));
        assert_eq!(session_secret(&TestRequest::get().to_http_request()), None);
    }
}
