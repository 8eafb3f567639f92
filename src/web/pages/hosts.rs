//! `/hosts`: the Docker hosts with their state, Engine version, Swarm role, container count and
//! last error, and (for admins) the forms to add, change and remove one. Plain HTML forms that
//! post and come back here (303), so the page works without script.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use super::{render_or_error, see_other, Common};
use crate::auth::Identity;
use crate::domain::HostId;
use crate::error::AppError;
use crate::web::api::hosts::{self, Host, HostBody, TlsBody};
use crate::web::identity::PageAuth;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/hosts", web::get().to(page))
        .route("/hosts", web::post().to(add))
        .route("/hosts/{name}/edit", web::post().to(edit))
        .route("/hosts/{name}/delete", web::post().to(remove));
}

#[derive(Serialize)]
struct HostItem {
    #[serde(flatten)]
    host: Host,
    ok: bool,
    local: bool,
    last_seen: String,
}

#[derive(Serialize)]
struct HostsView {
    #[serde(flatten)]
    common: Common,
    auth: PageAuth,
    hosts: Vec<HostItem>,
    done: Option<&'static str>,
    error: Option<String>,
}

/// What `?done=` may say: a fixed list, so the address cannot put words on the page.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "added" => "The host is added: its containers are on the dashboard.",
        "updated" => "The host is changed and reconnected.",
        "removed" => "The host is removed.",
        _ => return None,
    })
}

async fn answer(state: &AppState, req: &HttpRequest, error: Option<AppError>) -> HttpResponse {
    let status = error.as_ref().map_or(StatusCode::OK, ResponseError::status_code);
    let rows = match crate::store::hosts::list(&state.actors.store).await {
        Ok(rows) => rows,
        Err(e) => return super::error_page(&state.templates, &e),
    };
    let mut items = Vec::new();
    for row in &rows {
        let host = hosts::view(state, row).await;
        let last_seen = host.last_seen.map(|t| crate::time::rfc3339(&t)).unwrap_or_default();
        items.push(HostItem {
            ok: host.status == "ok",
            local: row.name.as_str() == HostId::LOCAL,
            last_seen,
            host,
        });
    }
    let done = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("done").and_then(|d| done_message(d)));
    let view = HostsView {
        common: Common::new("Hosts", "hosts"),
        auth: PageAuth::of(req),
        hosts: items,
        done: if error.is_some() { None } else { done },
        error: error.map(|e| e.to_string()),
    };
    render_or_error(state, status, "hosts", &view)
}

async fn after_form(
    state: &AppState,
    req: &HttpRequest,
    result: Result<(), AppError>,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(()) => see_other(&format!("/hosts?done={done}")),
        Err(e) => answer(state, req, Some(e)).await,
    }
}

async fn page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    answer(&state, &req, None).await
}

/// The add and edit forms: empty fields are left out; TLS needs all three PEM texts.
#[derive(Deserialize)]
struct HostForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    ca: String,
    #[serde(default)]
    cert: String,
    #[serde(default)]
    key: String,
}

impl HostForm {
    fn into_body(self) -> HostBody {
        let given = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let tls = match (given(self.ca), given(self.cert), given(self.key)) {
            (None, None, None) => None,
            (ca, cert, key) => Some(TlsBody {
                ca: ca.unwrap_or_default(),
                cert: cert.unwrap_or_default(),
                key: key.unwrap_or_default(),
            }),
        };
        HostBody { name: given(self.name), url: given(self.url), tls }
    }
}

async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    form: web::Form<HostForm>,
) -> HttpResponse {
    let result = hosts::add(&state, &who, form.into_inner().into_body()).await.map(|_| ());
    after_form(&state, &req, result, "added").await
}

async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    name: web::Path<String>,
    form: web::Form<HostForm>,
) -> HttpResponse {
    let result =
        hosts::edit(&state, &who, HostId(name.into_inner()), form.into_inner().into_body()).await.map(|_| ());
    after_form(&state, &req, result, "updated").await
}

async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: Identity,
    name: web::Path<String>,
) -> HttpResponse {
    let result = hosts::remove(&state, &who, HostId(name.into_inner())).await;
    after_form(&state, &req, result, "removed").await
}
