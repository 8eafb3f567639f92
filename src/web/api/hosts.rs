//! `/api/hosts`: the Docker hosts (admins change them). A host is checked before it is added or
//! changed, and the answer names what is wrong; its PEM texts are written 0600 under the data
//! directory for bollard and never shown again. Adding a host starts its DockerActor, removing it
//! retires it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::ToSchema;

use crate::auth::Identity;
use crate::docker::{connect, DockerEndpoint, HostStatus, TlsFiles};
use crate::domain::{HostId, HostState};
use crate::error::{AppError, ErrorBody};
use crate::store::hosts::{HostRow, NewHost, TlsPem};
use crate::store::{self, audit};
use crate::web::input::{not_null, JsonBody};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/hosts", web::get().to(list))
        .route("/api/hosts", web::post().to(create))
        .route("/api/hosts/{name}", web::get().to(get))
        .route("/api/hosts/{name}", web::patch().to(patch))
        .route("/api/hosts/{name}", web::delete().to(delete));
}

/// How long the check of a host being added may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// A PEM text longer than this is not a certificate or a key.
const MAX_PEM: usize = 16 * 1024;

/// API.md's `Host`. The PEM texts are write-only: `tls` only says whether there are any.
#[derive(Debug, Serialize, ToSchema)]
pub struct Host {
    pub name: HostId,
    pub url: String,
    /// Whether Chrontainer speaks TLS with client certificates to it.
    pub tls: bool,
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    pub engine_version: Option<String>,
    pub api_version: Option<String>,
    #[schema(schema_with = swarm_schema)]
    pub swarm: Option<&'static str>,
    /// How many containers it has.
    pub containers: usize,
    /// When its Engine last answered.
    #[serde(with = "crate::time::serde_utc::option")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Why it is unreachable.
    pub error: Option<String>,
}

fn status_schema() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["ok", "unreachable"])).build()
}

fn swarm_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Some("manager"), Some("worker"), None]))
        .build()
}

impl Host {
    fn of(row: &HostRow, state: HostState) -> Host {
        Host {
            name: row.name.clone(),
            url: row.url.clone(),
            tls: row.tls().is_some(),
            status: state.status,
            engine_version: state.engine_version,
            api_version: state.api_version,
            swarm: state.swarm,
            containers: state.containers,
            last_seen: state.last_seen,
            error: state.error,
        }
    }
}

/// The body of POST (`name` and `url` required) and PATCH (`url` and/or `tls`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostBody {
    /// Lower-case letters, digits, `.`, `_` and `-`, at most 63, starting with a letter or digit.
    #[serde(default, deserialize_with = "not_null::name")]
    #[schema(nullable = false, max_length = 63, example = "pi")]
    pub name: Option<String>,
    /// `unix:///path/to/docker.sock` or `tcp://host:port` (a socket proxy, or TLS).
    #[serde(default, deserialize_with = "not_null::url")]
    #[schema(nullable = false, max_length = 256, example = "tcp://192.168.1.20:2375")]
    pub url: Option<String>,
    /// TLS with a client certificate (`tcp://` only); write-only.
    #[serde(default, deserialize_with = "not_null::tls")]
    #[schema(nullable = false)]
    pub tls: Option<TlsBody>,
}

/// PEM texts, as `openssl` writes them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsBody {
    /// The CA the Engine's certificate must come from.
    pub ca: String,
    /// The client certificate.
    pub cert: String,
    /// The client certificate's private key.
    pub key: String,
}

/// A host's name: it is a path segment, a file name and a metric label, so it stays plain.
pub fn check_name(raw: &str) -> Result<HostId, AppError> {
    let ok = !raw.is_empty()
        && raw.len() <= 63
        && raw.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    match ok {
        true => Ok(HostId(raw.to_string())),
        false => Err(AppError::invalid(
            "invalid_host_name",
            Some("name"),
            format!(
                "name: {:?} must be 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a \
                 letter or digit",
                crate::text::clip(raw, 40)
            ),
        )),
    }
}

/// `unix:///absolute/path` or `tcp://host:port`, without credentials or a path.
pub fn check_url(raw: &str) -> Result<String, AppError> {
    let bad = |why: &str| {
        AppError::invalid(
            "invalid_host_url",
            Some("url"),
            format!("url: {:?} {why}", crate::text::clip(raw, 80)),
        )
    };
    let raw = raw.trim();
    if raw.len() > 256 || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("is too long or holds spaces or control characters"));
    }
    if let Some(path) = raw.strip_prefix("unix://") {
        return match path.starts_with('/') && !path.contains("/../") {
            true => Ok(raw.to_string()),
            false => Err(bad("needs an absolute socket path, e.g. unix:///var/run/docker.sock")),
        };
    }
    let Some(authority) = raw.strip_prefix("tcp://") else {
        return Err(bad("must start with unix:// or tcp:// (ssh:// is not offered: see DEPLOYMENT.md)"));
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.contains(['@', '/', '?', '#']) {
        return Err(bad("must be tcp://host:port, without credentials or a path"));
    }
    let port = authority.rsplit_once(':').filter(|(host, _)| !host.is_empty()).map(|(_, port)| port);
    match port.and_then(|p| p.parse::<u16>().ok()).filter(|p| *p > 0) {
        Some(_) => Ok(format!("tcp://{authority}")),
        None => Err(bad("needs a host and a port, e.g. tcp://192.168.1.20:2375")),
    }
}

fn check_tls(tls: TlsBody, url: &str) -> Result<TlsPem, AppError> {
    if !url.starts_with("tcp://") {
        return Err(AppError::invalid("invalid_tls", Some("tls"), "tls: TLS is for tcp:// hosts only"));
    }
    for (part, text) in [("ca", &tls.ca), ("cert", &tls.cert), ("key", &tls.key)] {
        if text.len() > MAX_PEM || !text.contains("-----BEGIN ") {
            return Err(AppError::invalid(
                "invalid_tls",
                Some("tls"),
                format!("tls.{part}: give the PEM text (-----BEGIN …), at most {MAX_PEM} bytes"),
            ));
        }
    }
    Ok(TlsPem { ca: tls.ca, cert: tls.cert, key: tls.key })
}

/// Where a host's PEM files live, under the data directory.
fn tls_dir(data_dir: &Path, name: &HostId) -> PathBuf {
    data_dir.join("hosts").join(name.as_str())
}

/// How a stored host is reached; its PEM files are (re)written from the database. A failure to
/// write them is logged and leaves the files missing, which its actor then reports.
pub fn endpoint_of(row: &HostRow, data_dir: &Path) -> DockerEndpoint {
    let Some(pem) = row.tls() else { return DockerEndpoint { url: row.url.clone(), tls: None } };
    let dir = tls_dir(data_dir, &row.name);
    let files = TlsFiles::write(&dir, &pem.ca, &pem.cert, &pem.key).unwrap_or_else(|e| {
        log::error!("host {}: cannot write its TLS files under {}: {e}", row.name, dir.display());
        TlsFiles::in_dir(&dir)
    });
    DockerEndpoint { url: row.url.clone(), tls: Some(files) }
}

/// Checks `new` with its PEM files in a staging directory, then moves them in place. Nothing is
/// left behind when the check fails.
async fn check_host(data_dir: &Path, new: &NewHost) -> Result<DockerEndpoint, AppError> {
    let staging = data_dir.join("hosts").join(format!(".{}.checking", new.name));
    let written = match &new.tls {
        None => None,
        Some(pem) => Some(TlsFiles::write(&staging, &pem.ca, &pem.cert, &pem.key).map_err(|e| {
            AppError::Internal(format!("writing TLS files under {}: {e}", staging.display()))
        })?),
    };
    let checked = connect::check(&DockerEndpoint { url: new.url.clone(), tls: written }, CHECK_TIMEOUT).await;
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(why) = checked {
        let field = if why.starts_with("TLS") { "tls" } else { "url" };
        return Err(AppError::invalid("host_check_failed", Some(field), why));
    }
    let row_like = HostRow {
        id: 0,
        name: new.name.clone(),
        url: new.url.clone(),
        tls_ca: new.tls.as_ref().map(|t| t.ca.clone()),
        tls_cert: new.tls.as_ref().map(|t| t.cert.clone()),
        tls_key: new.tls.as_ref().map(|t| t.key.clone()),
        created_at: Utc::now().naive_utc(),
        updated_at: Utc::now().naive_utc(),
    };
    Ok(endpoint_of(&row_like, data_dir))
}

/// A stored host with its actor's view of it.
pub(crate) async fn view(state: &AppState, row: &HostRow) -> Host {
    let unknown = HostState {
        status: "unreachable",
        engine_version: None,
        api_version: None,
        swarm: None,
        containers: 0,
        last_seen: None,
        error: Some("no Docker actor runs for this host".into()),
    };
    let live = match state.actors.hosts.get(&row.name) {
        Ok(actor) => actor.send(HostStatus).await.unwrap_or(unknown),
        Err(_) => unknown,
    };
    Host::of(row, live)
}

fn local_is_fixed() -> AppError {
    AppError::conflict(
        "local_host",
        "The local host follows DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): change it there",
    )
}

#[utoipa::path(get, path = "/api/hosts", operation_id = "listHosts", tag = "hosts",
    summary = "The Docker hosts, local first, with their state",
    responses((status = 200, description = "hosts", body = [Host])))]
pub(super) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = store::hosts::list(&state.actors.store).await?;
    let hosts = futures_util::future::join_all(rows.iter().map(|row| view(&state, row))).await;
    Ok(crate::web::json(&hosts))
}

#[utoipa::path(get, path = "/api/hosts/{name}", operation_id = "getHost", tag = "hosts",
    summary = "One host",
    params(("name" = String, Path, description = "the host's name")),
    responses(
        (status = 200, description = "the host", body = Host),
        (status = 404, description = "host_not_found", body = ErrorBody),
    ))]
pub(super) async fn get(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let row = store::hosts::get(&state.actors.store, HostId(name.into_inner())).await?;
    Ok(crate::web::json(&view(&state, &row).await))
}

#[utoipa::path(post, path = "/api/hosts", operation_id = "createHost", tag = "hosts",
    summary = "Add a host (admin); it is checked at once",
    request_body = HostBody,
    responses(
        (status = 201, description = "added; its actor connects", body = Host,
            headers(("Location" = String, description = "/api/hosts/{name}"))),
        (status = 400, description = "invalid_host_url, invalid_host_name, invalid_tls, missing_field, or \
            host_check_failed: the message says what is wrong (refused, TLS failure, not a Docker Engine, \
            API version too old)", body = ErrorBody),
        (status = 409, description = "host_exists", body = ErrorBody),
    ))]
pub(super) async fn create(
    state: web::Data<AppState>,
    who: Identity,
    body: JsonBody<HostBody>,
) -> Result<HttpResponse, AppError> {
    let host = add(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/hosts/{}", host.name)))
        .json(host))
}

/// Adds a host (admins only) once it answers as a Docker Engine should, and starts its actor.
pub(crate) async fn add(state: &AppState, who: &Identity, body: HostBody) -> Result<Host, AppError> {
    who.require_admin()?;
    let name = crate::web::input::required_text(body.name, "name", 63)?;
    let name = check_name(&name)?;
    let url = check_url(&crate::web::input::required_text(body.url, "url", 256)?)?;
    let tls = body.tls.map(|t| check_tls(t, &url)).transpose()?;
    if store::hosts::get(&state.actors.store, name.clone()).await.is_ok() {
        return Err(AppError::conflict(
            "host_exists",
            format!("A host is already named {:?}", name.as_str()),
        ));
    }
    let new = NewHost { name: name.clone(), url, tls };
    let endpoint = check_host(&state.config.data_dir, &new).await?;
    let row = store::hosts::insert(&state.actors.store, new).await?;
    state.actors.hosts.start(name.clone(), endpoint);
    audit::record(&state.actors.store, who.name.as_deref(), "host_added", format!("{name} at {}", row.url))
        .await;
    Ok(view(state, &row).await)
}

#[utoipa::path(patch, path = "/api/hosts/{name}", operation_id = "updateHost", tag = "hosts",
    summary = "Change a host's URL and/or TLS material (admin); checked at once, then reconnected",
    params(("name" = String, Path, description = "the host's name")),
    request_body = HostBody,
    responses(
        (status = 200, description = "the host", body = Host),
        (status = 400, description = "invalid_host_url, invalid_tls, host_check_failed, invalid_parameter \
            (a name cannot be changed)", body = ErrorBody),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 409, description = "local_host: local follows DOCKER_HOST", body = ErrorBody),
    ))]
pub(super) async fn patch(
    state: web::Data<AppState>,
    who: Identity,
    name: web::Path<String>,
    body: JsonBody<HostBody>,
) -> Result<HttpResponse, AppError> {
    Ok(crate::web::json(&edit(&state, &who, HostId(name.into_inner()), body.into_inner()).await?))
}

/// Changes a host's URL and/or TLS material (admins only), checked first; its actor reconnects.
pub(crate) async fn edit(
    state: &AppState,
    who: &Identity,
    name: HostId,
    body: HostBody,
) -> Result<Host, AppError> {
    who.require_admin()?;
    let row = store::hosts::get(&state.actors.store, name).await?;
    if row.name.as_str() == HostId::LOCAL {
        return Err(local_is_fixed());
    }
    if body.name.as_deref().is_some_and(|n| n != row.name.as_str()) {
        return Err(AppError::invalid(
            "invalid_parameter",
            Some("name"),
            "name: a host keeps its name (schedules name it); add a new host instead",
        ));
    }
    let url = match body.url {
        Some(url) => check_url(&url)?,
        None => row.url.clone(),
    };
    let tls = match body.tls {
        Some(t) => Some(check_tls(t, &url)?),
        // a socket has no TLS; a tcp host keeps what it had
        None => row.tls().filter(|_| url.starts_with("tcp://")),
    };
    let new = NewHost { name: row.name.clone(), url, tls };
    let endpoint = check_host(&state.config.data_dir, &new).await?;
    let row = store::hosts::update(&state.actors.store, new).await?;
    state.actors.hosts.start(row.name.clone(), endpoint);
    audit::record(
        &state.actors.store,
        who.name.as_deref(),
        "host_updated",
        format!("{} at {}", row.name, row.url),
    )
    .await;
    Ok(view(state, &row).await)
}

#[utoipa::path(delete, path = "/api/hosts/{name}", operation_id = "deleteHost", tag = "hosts",
    summary = "Remove a host (admin); its actor stops",
    params(("name" = String, Path, description = "the host's name")),
    responses(
        (status = 204, description = "removed"),
        (status = 404, description = "host_not_found", body = ErrorBody),
        (status = 409, description = "host_in_use: schedules name it; local_host: local cannot be removed",
            body = ErrorBody),
    ))]
pub(super) async fn delete(
    state: web::Data<AppState>,
    who: Identity,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    remove(&state, &who, HostId(name.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a host no schedule names (admins only) and retires its actor.
pub(crate) async fn remove(state: &AppState, who: &Identity, name: HostId) -> Result<(), AppError> {
    who.require_admin()?;
    if name.as_str() == HostId::LOCAL {
        return Err(local_is_fixed());
    }
    store::hosts::delete(&state.actors.store, name.clone()).await?;
    state.actors.hosts.stop(&name);
    let _ = std::fs::remove_dir_all(tls_dir(&state.config.data_dir, &name));
    audit::record(&state.actors.store, who.name.as_deref(), "host_removed", name.to_string()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_urls_are_a_socket_or_host_and_port() {
        assert_eq!(check_url("unix:///var/run/docker.sock").unwrap(), "unix:///var/run/docker.sock");
        assert_eq!(check_url(" tcp://192.168.1.20:2375/ ").unwrap(), "tcp://192.168.1.20:2375");
        assert_eq!(check_url("tcp://[::1]:2376").unwrap(), "tcp://[::1]:2376");
        for bad in [
            "ssh://pi@raspberry",
            "http://pi:2375",
            "tcp://pi",
            "tcp://:2375",
            "tcp://pi:0",
            "tcp://pi:99999",
            "tcp://user:secret@pi:2375",
            "tcp://pi:2375/v1.41",
            "unix://relative.sock",
            "",
        ] {
            let e = check_url(bad).unwrap_err();
            assert_eq!((e.code(), e.field()), ("invalid_host_url", Some("url")), "{bad}");
        }
        assert!(check_url("tcp://user:secret@pi:2375").unwrap_err().to_string().contains("credentials"));
    }

    #[test]
    fn host_names_are_plain() {
        assert_eq!(check_name("pi-5.nas_2").unwrap(), HostId("pi-5.nas_2".into()));
        for bad in ["", "Pi", ".hidden", "-x", "a/b", "a b", "ü", &"a".repeat(64)] {
            assert_eq!(check_name(bad).unwrap_err().code(), "invalid_host_name", "{bad:?}");
        }
    }

    #[test]
    fn tls_is_pem_text_for_tcp_only() {
        let pem = || TlsBody {
            ca: "-----BEGIN CERTIFICATE-----".into(),
            cert: "-----BEGIN CERTIFICATE-----".into(),
            key: "-----BEGIN EC PRIVATE KEY-----".into(),
        };
        assert!(check_tls(pem(), "tcp://pi:2376").is_ok());
        assert_eq!(check_tls(pem(), "unix:///x.sock").unwrap_err().code(), "invalid_tls");
        let mut bad = pem();
        bad.key = "/home/pi/.docker/key.pem".into();
        let e = check_tls(bad, "tcp://pi:2376").unwrap_err();
        assert!(e.to_string().starts_with("tls.key: give the PEM text"), "{e}");
    }
}
