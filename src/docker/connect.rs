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

/// A client that answered, with what it learnt about the Engine.
#[derive(Clone)]
pub struct Connection {
    pub client: Docker,
    /// The API version both sides speak (the lower of bollard's and the Engine's).
    pub api_version: String,
    pub engine_version: String,
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
        Ok(Connection {
            api_version: client.client_version().to_string(),
            engine_version: version.version.unwrap_or_default(),
            client,
        })
    };
    attempt.await.map_err(|e: String| format!("{}: {e}", endpoint.url))
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
}
