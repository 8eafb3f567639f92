//! Talking to the Engine outside of actions: connecting to an endpoint with a negotiated API
//! version, inspecting one container, taking a snapshot of all of them, and telling a refusal
//! from an Engine that does not answer.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::errors::Error;
use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;
use futures_util::{StreamExt, TryStreamExt};

use super::cache::Snapshot;
use super::endpoint::DockerEndpoint;
use super::entry::{from_inspect, Entry, ListKey};

/// Requests other than actions give up after this long, so a hung Engine is noticed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How many inspects a snapshot sends at once.
const PARALLEL_INSPECTS: usize = 8;

/// The oldest Engine API a host may speak to be added: Docker 20.10, Debian's `docker.io`.
pub const MIN_API: (u32, u32) = (1, 41);

/// A client that answered, with what it learnt about the Engine.
#[derive(Clone)]
pub struct Connection {
    pub client: Docker,
    /// The API version both sides speak (the lower of bollard's and the Engine's).
    pub api_version: String,
    pub engine_version: String,
    /// `manager` or `worker` on a node of an active Swarm, else `None`.
    pub swarm: Option<&'static str>,
}

/// How a request to the Engine failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: the Engine is gone, or the connection broke.
    Unreachable(String),
    /// The Engine answered with an error status; the message is Docker's.
    Refused { status: u16, message: String },
    /// Anything else (an answer we could not read).
    Other(String),
}

pub fn classify(e: &Error) -> Failure {
    match e {
        Error::DockerResponseServerError { status_code, message } => {
            Failure::Refused { status: *status_code, message: message.clone() }
        }
        Error::HyperLegacyError { .. }
        | Error::HyperResponseError { .. }
        | Error::IOError { .. }
        | Error::RequestTimeoutError
        | Error::SocketNotFoundError(_) => Failure::Unreachable(describe(e)),
        _ => Failure::Other(describe(e)),
    }
}

/// The error with its causes: hyper's own text ("client error (Connect)") says little alone.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = match e.downcast_ref::<Error>() {
        Some(Error::SocketNotFoundError(path)) => format!("no Docker socket at {path}"),
        Some(Error::RequestTimeoutError) => "no answer within the timeout".to_string(),
        _ => e.to_string(),
    };
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Connects to `endpoint`, agrees on an API version, and asks for the Engine's version.
/// The error names the endpoint's URL, for the health check and the log.
pub async fn connect(endpoint: &DockerEndpoint) -> Result<Connection, String> {
    let attempt = async {
        let client = endpoint.client(REQUEST_TIMEOUT)?;
        let client = client.negotiate_version().await.map_err(|e| describe(&e))?;
        let version = client.version().await.map_err(|e| describe(&e))?;
        let swarm = swarm_role(&client).await.map_err(|e| describe(&e))?;
        Ok(Connection {
            api_version: client.client_version().to_string(),
            engine_version: version.version.unwrap_or_default(),
            swarm,
            client,
        })
    };
    attempt.await.map_err(|e: String| format!("{}: {e}", endpoint.url))
}

/// This node's part in a Swarm, from `/info`. A socket proxy that refuses `/info` (INFO=0) hides
/// it: the host is then treated as no Swarm node, not as unreachable.
async fn swarm_role(client: &Docker) -> Result<Option<&'static str>, Error> {
    let info = match client.info().await {
        Ok(info) => info,
        Err(Error::DockerResponseServerError { status_code, .. }) if status_code < 500 => return Ok(None),
        Err(e) => return Err(e),
    };
    let swarm = info.swarm.unwrap_or_default();
    let active = swarm.local_node_state == Some(bollard::models::LocalNodeState::ACTIVE);
    Ok(match (active, swarm.control_available.unwrap_or(false)) {
        (false, _) => None,
        (true, true) => Some("manager"),
        (true, false) => Some("worker"),
    })
}

/// Checks a host about to be added, within `timeout`, and says in words what is wrong with it:
/// refused, a TLS failure, not a Docker Engine, or an API version too old.
pub async fn check(endpoint: &DockerEndpoint, timeout: Duration) -> Result<Connection, String> {
    let client = endpoint.client(timeout).map_err(|e| match e.starts_with("no Docker socket") {
        true => format!("refused: {e}"),
        false => e,
    })?;
    let client = client.negotiate_version().await.map_err(|e| explain(&e, &endpoint.url))?;
    let version = client.version().await.map_err(|e| explain(&e, &endpoint.url))?;
    let api_version = client.client_version().to_string();
    if api_number(&api_version).is_some_and(|v| v < MIN_API) {
        return Err(format!(
            "API version too old: the Engine at {} speaks API {api_version}; Chrontainer needs {}.{} \
             (Docker 20.10) or later",
            endpoint.url, MIN_API.0, MIN_API.1
        ));
    }
    let swarm = swarm_role(&client).await.map_err(|e| explain(&e, &endpoint.url))?;
    Ok(Connection { api_version, engine_version: version.version.unwrap_or_default(), swarm, client })
}

/// `1.41` as `(1, 41)`.
fn api_number(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What went wrong talking to a host being added, in the words of [`check`].
fn explain(e: &Error, url: &str) -> String {
    let is_tls = |text: &str| {
        let text = text.to_ascii_lowercase();
        ["certificate", "tls", "ssl", "handshake", "corrupt message", "unknownissuer"]
            .iter()
            .any(|word| text.contains(word))
    };
    match classify(e) {
        Failure::Unreachable(cause) if is_tls(&cause) => format!("TLS failure talking to {url}: {cause}"),
        Failure::Unreachable(cause) => format!("refused: nothing answers at {url} ({cause})"),
        Failure::Refused { message, .. } if message.contains("HTTP request to an HTTPS server") => {
            format!(
                "TLS failure: the Engine at {url} requires TLS; give its CA, a client certificate and key"
            )
        }
        Failure::Refused { status, .. } => {
            format!("not a Docker Engine: {url} answered {status} where Docker answers its version")
        }
        Failure::Other(cause) if is_tls(&cause) => format!("TLS failure talking to {url}: {cause}"),
        Failure::Other(cause) => {
            format!("not a Docker Engine: what {url} answered is not Docker's version ({cause})")
        }
    }
}

/// One container, or `None` when Docker says there is no such container.
pub async fn inspect(client: &Docker, id: &str) -> Result<Option<Entry>, Error> {
    match client.inspect_container(id, None).await {
        Ok(r) => Ok(from_inspect(r)),
        Err(Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Lists every container and inspects those that `known` does not describe as the list does
/// (all of them when `known` is empty). `seen_at` is the clock's tick taken before the list.
pub async fn snapshot(
    client: &Docker,
    known: HashMap<String, ListKey>,
    seen_at: u64,
) -> Result<Snapshot, Error> {
    let list = client.list_containers(Some(ListContainersOptionsBuilder::new().all(true).build())).await?;
    let listed: Vec<(String, ListKey)> = list.iter().filter_map(ListKey::of_summary).collect();
    let stale: Vec<String> =
        listed.iter().filter(|(id, key)| known.get(id) != Some(key)).map(|(id, _)| id.clone()).collect();
    let inspected: Vec<Option<Entry>> = futures_util::stream::iter(stale)
        .map(|id| async move { inspect(client, &id).await })
        .buffer_unordered(PARALLEL_INSPECTS)
        .try_collect()
        .await?;
    let present: HashSet<String> = listed.into_iter().map(|(id, _)| id).collect();
    Ok(Snapshot { seen_at, present, inspected: inspected.into_iter().flatten().collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_from_a_missing_engine() {
        let refused = Error::DockerResponseServerError {
            status_code: 409,
            message: "Container x is not paused".into(),
        };
        assert_eq!(
            classify(&refused),
            Failure::Refused { status: 409, message: "Container x is not paused".into() }
        );
        assert!(matches!(classify(&Error::SocketNotFoundError("/x".into())), Failure::Unreachable(_)));
        assert!(matches!(classify(&Error::RequestTimeoutError), Failure::Unreachable(_)));
        let io = Error::IOError { err: std::io::Error::from(std::io::ErrorKind::ConnectionRefused) };
        assert!(matches!(classify(&io), Failure::Unreachable(_)));
    }

    #[test]
    fn a_host_being_added_is_told_what_is_wrong_in_words() {
        let url = "tcp://pi:2375";
        let refused = Error::IOError { err: std::io::Error::from(std::io::ErrorKind::ConnectionRefused) };
        assert!(explain(&refused, url).starts_with("refused: nothing answers at tcp://pi:2375"));
        let https = Error::DockerResponseServerError {
            status_code: 400,
            message: "Client sent an HTTP request to an HTTPS server.".into(),
        };
        assert!(explain(&https, url).starts_with("TLS failure: the Engine at tcp://pi:2375 requires TLS"));
        let web = Error::DockerResponseServerError { status_code: 404, message: "Not Found".into() };
        assert!(explain(&web, url).starts_with("not a Docker Engine: tcp://pi:2375 answered 404"));
        assert_eq!(api_number("1.41"), Some((1, 41)));
        assert!(api_number("1.24").is_some_and(|v| v < MIN_API));
        assert!(api_number("1.47").is_some_and(|v| v >= MIN_API));
    }
}
