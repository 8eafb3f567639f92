//! Entity tags: whether a request's `If-None-Match` names the tag of what would be sent (RFC 9110
//! §13.1.2, weak comparison), for the static files and `/api/containers`.

use actix_web::http::header;
use actix_web::HttpRequest;

/// Whether the client's copy is current: its `If-None-Match` is `*` or names `etag` (quoted, as
/// sent in `ETag`), weak or not.
pub fn unchanged(req: &HttpRequest, etag: &str) -> bool {
    let strong = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_string();
    let etag = strong(etag);
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || strong(tag) == etag)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::unchanged;

    fn with(value: &str) -> actix_web::HttpRequest {
        TestRequest::get().insert_header(("If-None-Match", value)).to_http_request()
    }

    #[test]
    fn a_listed_tag_weak_or_not_or_a_star_matches() {
        assert!(unchanged(&with("\"abc\""), "\"abc\""));
        assert!(unchanged(&with("\"x\", W/\"abc\""), "\"abc\""));
        assert!(unchanged(&with("*"), "\"abc\""));
        assert!(!unchanged(&with("\"abcd\""), "\"abc\""));
        assert!(!unchanged(&with("abc"), "\"abc\""), "a tag is quoted");
        assert!(!unchanged(&TestRequest::get().to_http_request(), "\"abc\""));
    }
}
