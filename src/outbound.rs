//! Outgoing HTTP requests (notification channels, the OpenID provider): one client over the TLS
//! stack bollard already compiles (hyper-util's client with hyper-rustls and ring), so nothing new
//! is linked in. The root certificates are the system's (`SSL_CERT_FILE` or `SSL_CERT_DIR` name a
//! private CA bundle; rustls-native-certs reads them). Every request has a deadline, redirects are
//! never followed, and what is read back is capped.
//!
//! Errors never include the URL: channel URLs carry their secrets in the path and the query.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long a request may take, connection and answer included, unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer is read, unless the caller says otherwise.
pub const DEFAULT_MAX_ANSWER: usize = 64 * 1024;

/// A request: build it with `http::Request::builder()`; the body is the whole payload.
pub type Request = http::Request<Bytes>;

/// What the remote answered, with its body cut at the cap.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as text (invalid UTF-8 replaced), for error messages and JSON parsing.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("only http and https URLs can be reached")]
    Scheme,
    #[error("could not reach the server: {0}")]
    Connect(String),
    #[error("no answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("could not read the answer: {0}")]
    Read(String),
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The one outgoing client; cheap to clone (the connection pool is shared). It is built on the
/// first request: most installs never send one, and the system's root certificates cost a
/// quarter of a megabyte of memory once parsed.
#[derive(Clone, Default)]
pub struct Outbound {
    client: Arc<OnceLock<HttpsClient>>,
}

impl Outbound {
    pub fn new() -> Outbound {
        Outbound::default()
    }

    fn client(&self) -> &HttpsClient {
        self.client.get_or_init(build_client)
    }

    /// Sends a request with the default deadline and answer cap.
    pub async fn send(&self, request: Request) -> Result<Reply, OutboundError> {
        self.send_with(request, DEFAULT_TIMEOUT, DEFAULT_MAX_ANSWER).await
    }

    /// Sends a request; the deadline covers connecting, sending and reading the (capped) answer.
    pub async fn send_with(
        &self,
        request: Request,
        timeout: Duration,
        max_answer: usize,
    ) -> Result<Reply, OutboundError> {
        if !matches!(request.uri().scheme_str(), Some("http" | "https")) {
            return Err(OutboundError::Scheme);
        }
        let request = request.map(Full::new);
        let exchange = async {
            let answer =
                self.client().request(request).await.map_err(|e| OutboundError::Connect(causes(&e)))?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, max_answer)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        OutboundError::TooLarge(max_answer)
                    } else {
                        OutboundError::Read(e.to_string())
                    }
                })?
                .to_bytes();
            Ok(Reply { status: parts.status, headers: parts.headers, body })
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| OutboundError::Timeout(timeout))?
    }
}

/// The client over the system's root certificates. A machine without any still reaches `http://`
/// URLs; `https://` ones then fail with a TLS error, and this says so once in the log.
fn build_client() -> HttpsClient {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        log::warn!(
            "no root certificates found: https notifications and sign-in providers will fail \
             (set SSL_CERT_FILE to a CA bundle)"
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls =
        match rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
            // ring supports the default versions; this is never reached, and TLS then fails.
            Err(_) => rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        };
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(DEFAULT_TIMEOUT));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

/// hyper's own message is "client error (Connect)"; the reason (refused, TLS, DNS) is in its
/// sources. None of them holds the URL's path or query.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot server on loopback that answers `answer` to the first request.
    fn serve_once(answer: &'static [u8]) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(answer);
        });
        port
    }

    fn get(port: u16) -> Request {
        http::Request::get(format!("http://127.0.0.1:{port}/secret-path")).body(Bytes::new()).unwrap()
    }

    #[tokio::test]
    async fn reads_the_answer() {
        let port = serve_once(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-a: b\r\n\r\nok");
        let reply = Outbound::new().send(get(port)).await.unwrap();
        assert_eq!(reply.status, 201);
        assert_eq!(reply.text(), "ok");
        assert_eq!(reply.headers["x-a"], "b");
    }

    #[tokio::test]
    async fn caps_what_it_reads() {
        let port = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789");
        let error = Outbound::new().send_with(get(port), DEFAULT_TIMEOUT, 4).await.unwrap_err();
        assert!(matches!(error, OutboundError::TooLarge(4)), "{error}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let error = Outbound::new().send_with(get(port), Duration::from_millis(200), 1024).await.unwrap_err();
        assert!(matches!(error, OutboundError::Timeout(_)), "{error}");
        drop(listener);
    }

    #[tokio::test]
    async fn a_refused_connection_says_so_without_the_url() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let error = Outbound::new().send(get(port)).await.unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, OutboundError::Connect(_)), "{text}");
        assert!(!text.contains("secret-path"), "{text}");
    }

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let request = http::Request::get("ftp://127.0.0.1/x").body(Bytes::new()).unwrap();
        let error = Outbound::new().send(request).await.unwrap_err();
        assert!(matches!(error, OutboundError::Scheme));
    }
}
