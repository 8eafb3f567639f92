//! The static files of the pages, embedded in the binary (the image holds nothing else) and served
//! under `/static/<name>?v=<hash>`. The hash of the content is part of every link, so a file can be
//! cached for a year and a new build is fetched at once. Each file is also embedded gzipped
//! (by the build script scripts/precompress.rs), and that form is sent to browsers that accept it.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use handlebars::handlebars_helper;

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// The body gzipped at build time.
    pub gzip: &'static [u8],
    /// FNV-1a of the body, computed at compile time.
    pub hash: u64,
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../../static/", $name)),
            gzip: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".gz")),
            hash: fnv1a(include_bytes!(concat!("../../../static/", $name))),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

pub static ASSETS: [Asset; 7] = [
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("theme.js", JS),
    asset!("app.js", JS),
    asset!("dashboard.js", JS),
    asset!("backup.js", JS),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("container_logs.js", JS),
];

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

impl Asset {
    fn version(&self) -> String {
        format!("{:012x}", self.hash >> 16)
    }

    /// The link to this file, with its version.
    pub fn href(&self) -> String {
        format!("/static/{}?v={}", self.name, self.version())
    }
}

handlebars_helper!(asset_helper: |name: str| find(name).map(Asset::href).unwrap_or_default());

/// `GET /static/{file}`. A link with the current version is immutable; any other is revalidated.
pub async fn serve(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let Some(asset) = find(&file) else {
        return super::not_found_page(&req);
    };
    let gzip = accepts_gzip(&req) && asset.gzip.len() < asset.body.len();
    let etag = format!("\"{}{}\"", asset.version(), if gzip { "-gz" } else { "" });
    let current =
        req.query_string().split('&').any(|kv| kv.strip_prefix("v=") == Some(asset.version().as_str()));
    let cache = if current { "public, max-age=31536000, immutable" } else { "no-cache" };
    let unchanged = crate::web::etag::unchanged(&req, &etag);
    let mut response = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"));
    if unchanged {
        return response.finish();
    }
    response.content_type(asset.content_type);
    if gzip {
        return response.insert_header((header::CONTENT_ENCODING, "gzip")).body(asset.gzip);
    }
    response.body(asset.body)
}

/// Whether `Accept-Encoding` names gzip (or `*`) without `q=0`.
pub(super) fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|part| {
        let mut fields = part.split(';').map(str::trim);
        let coding = fields.next().unwrap_or_default();
        let refused = fields.any(|f| f.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test as web_test, App};

    #[actix_rt::test]
    async fn assets_are_served_with_type_version_and_long_cache() {
        let app = web_test::init_service(App::new().route("/static/{file}", web::get().to(serve))).await;
        let href = find("app.css").unwrap().href();
        let res = web_test::call_service(&app, web_test::TestRequest::get().uri(&href).to_request()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("content-type").unwrap(), "text/css; charset=utf-8");
        assert!(res.headers().get("cache-control").unwrap().to_str().unwrap().contains("immutable"));
        let etag = res.headers().get("etag").unwrap().clone();

        let stale = web_test::TestRequest::get().uri("/static/app.js?v=old").to_request();
        let res = web_test::call_service(&app, stale).await;
        assert_eq!(res.headers().get("content-type").unwrap(), JS);
        assert_eq!(res.headers().get("cache-control").unwrap(), "no-cache");

        let again =
            web_test::TestRequest::get().uri(&href).insert_header(("If-None-Match", etag)).to_request();
        assert_eq!(web_test::call_service(&app, again).await.status(), 304);
    }

    #[actix_rt::test]
    async fn a_browser_that_accepts_gzip_gets_the_precompressed_file() {
        use std::io::Read;
        let app = web_test::init_service(App::new().route("/static/{file}", web::get().to(serve))).await;
        let asset = find("dashboard.js").unwrap();
        let ask = |encoding: &'static str| {
            web_test::TestRequest::get()
                .uri(&asset.href())
                .insert_header(("Accept-Encoding", encoding))
                .to_request()
        };
        let res = web_test::call_service(&app, ask("gzip, deflate, br")).await;
        assert_eq!(res.headers().get("content-encoding").unwrap(), "gzip");
        assert_eq!(res.headers().get("vary").unwrap(), "Accept-Encoding");
        let etag = res.headers().get("etag").unwrap().clone();
        let body = web_test::read_body(res).await;
        assert!(body.len() * 2 < asset.body.len(), "{} of {} bytes", body.len(), asset.body.len());
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, asset.body);

        let res = web_test::call_service(&app, ask("gzip;q=0, identity")).await;
        assert!(res.headers().get("content-encoding").is_none());
        assert_ne!(res.headers().get("etag").unwrap(), &etag, "each form has its own tag");
        assert_eq!(web_test::read_body(res).await, asset.body);
    }

    #[test]
    fn every_asset_has_a_distinct_version() {
        let mut versions: Vec<String> = ASSETS.iter().map(Asset::version).collect();
        versions.sort();
        versions.dedup();
        assert_eq!(versions.len(), ASSETS.len());
    }
}
