//! `GET /api/openapi.json`: the OpenAPI 3 document of every `/api` route, kept beside the code
//! (a test checks that every registered route is in it).

use actix_web::{web, HttpResponse};

pub const DOCUMENT: &str = include_str!("openapi.json");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/openapi.json",
        web::get().to(|| async { HttpResponse::Ok().content_type("application/json").body(DOCUMENT) }),
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// `/api/schedules/{id}` and `/api/schedules/{anything}` are the same route.
    fn normalize(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => out.push(c),
            }
        }
        out
    }

    /// Every API route registration in the web sources, as (METHOD, path).
    fn registered_routes() -> BTreeSet<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/web");
        let mut files = vec![std::path::PathBuf::from(dir)];
        let mut routes = BTreeSet::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for chunk in text.split(".route(").skip(1) {
                // rustfmt may put the path on the next line
                let Some(chunk) = chunk.trim_start().strip_prefix('"') else { continue };
                let Some((route, rest)) = chunk.split_once('"') else { continue };
                if !route.starts_with("/api/") {
                    continue;
                }
                let method = rest.split("web::").nth(1).and_then(|m| m.split("()").next()).unwrap_or("");
                routes.insert((method.to_string(), normalize(route)));
            }
        }
        routes
    }

    #[test]
    fn every_api_route_is_in_the_document_and_nothing_else() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object().unwrap().keys().map(move |m| (m.clone(), normalize(path)))
            })
            .collect();
        let registered = registered_routes();
        assert!(registered.len() >= 10, "the source scan found too few routes: {registered:?}");
        let missing: Vec<_> = registered.difference(&documented).collect();
        assert!(missing.is_empty(), "routes missing from openapi.json: {missing:?}");
        let stale: Vec<_> = documented.difference(&registered).collect();
        assert!(stale.is_empty(), "openapi.json documents routes that do not exist: {stale:?}");
    }
}
