//! The session cookie: HttpOnly, SameSite=Strict, for the whole site, `Secure` over HTTPS.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};

pub const SESSION_COOKIE: &str = "chrontainer_session";

/// The cookie that carries a session's secret for `lifetime`.
pub fn session_cookie(secret: String, secure: bool, lifetime: std::time::Duration) -> Cookie<'static> {
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(seconds))
        .finish()
}

/// The cookie that makes the browser forget the session.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_httponly_strict_and_site_wide() {
        let c = session_cookie("s".into(), false, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
        assert!(c.contains("Max-Age=3600") && !c.contains("Secure"), "{c}");
        let c = session_cookie("s".into(), true, std::time::Duration::from_secs(3600)).to_string();
        assert!(c.contains("Secure"), "{c}");
        assert!(removal_cookie(false).to_string().contains("Max-Age=0"));
    }
}
