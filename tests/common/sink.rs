//! Loopback servers that stand in for the services Chrontainer talks to: an HTTP sink that
//! records every request and answers from a script, and a small SMTP server that records mail
//! (plain, with STARTTLS, or TLS from the start, on rustls).
//! Each listens on 127.0.0.1 on a port the OS chose, in its own thread, until dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the sink saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its head had been read.
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == &name.to_ascii_lowercase()).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A scripted answer: status, extra headers, body.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Reply {
        Reply { status, headers: Vec::new(), body: body.to_string() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// The HTTP sink. Answers the scripted replies in order, then `200 {}`; with `hang`, it reads
/// requests and never answers (an endpoint that is up but dead).
pub struct Sink {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Sink {
    pub fn start() -> Sink {
        Self::scripted(Vec::new(), false)
    }

    pub fn with_replies(replies: Vec<Reply>) -> Sink {
        Self::scripted(replies, false)
    }

    /// Accepts and reads, never answers.
    pub fn hanging() -> Sink {
        Self::scripted(Vec::new(), true)
    }

    fn scripted(replies: Vec<Reply>, hang: bool) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let replies = Arc::new(Mutex::new(replies.into_iter().collect::<std::collections::VecDeque<_>>()));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, replies) = (seen2.clone(), replies.clone());
                if hang {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    if let Ok(request) = read_request(&mut BufReader::new(&stream)) {
                        seen.lock().unwrap().push(request);
                    }
                    held.push(stream);
                    continue;
                }
                std::thread::spawn(move || serve(stream, seen, replies));
            }
        });
        Sink { port, seen, stop }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    stream: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    replies: Arc<Mutex<std::collections::VecDeque<Reply>>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    while let Ok(request) = read_request(&mut reader) {
        seen.lock().unwrap().push(request);
        let reply = replies.lock().unwrap().pop_front().unwrap_or_else(|| Reply::new(200, "{}"));
        let mut out = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&reply.body);
        if (&stream).write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> std::io::Result<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let at = Instant::now();
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Seen { method, target, headers, body, at })
}

/// A mail the SMTP server accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA (headers and body).
    pub data: String,
    /// Whether the session was encrypted when the mail was sent.
    pub tls: bool,
    /// `user:password` from AUTH PLAIN, which is only offered over TLS.
    pub auth: Option<String>,
}

/// How the SMTP server speaks TLS.
#[derive(Clone)]
enum SmtpTls {
    None,
    /// STARTTLS offered on the plain connection.
    StartTls(Arc<rustls::ServerConfig>),
    /// TLS from the first byte (SMTPS).
    Implicit(Arc<rustls::ServerConfig>),
}

/// Enough SMTP for one client at a time: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; with TLS
/// also STARTTLS (or TLS from the start) and AUTH PLAIN once encrypted. Without TLS, no AUTH (a
/// LAN relay).
pub struct SmtpServer {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    /// Plain SMTP.
    pub fn start() -> SmtpServer {
        Self::with(SmtpTls::None)
    }

    /// Offers STARTTLS with the certificate `server-cert.pem` and key `server-key.pem` in `certs`
    /// (as [`super::dockerd::make_certs`] writes them).
    pub fn starttls(certs: &Path) -> SmtpServer {
        Self::with(SmtpTls::StartTls(server_config(certs)))
    }

    /// TLS from the first byte, with the certificate and key in `certs`.
    pub fn implicit_tls(certs: &Path) -> SmtpServer {
        Self::with(SmtpTls::Implicit(server_config(certs)))
    }

    fn with(tls: SmtpTls) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (store, tls) = (store.clone(), tls.clone());
                std::thread::spawn(move || smtp_session(stream, tls, store));
            }
        });
        SmtpServer { port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

fn server_config(certs: &Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(certs.join("server-cert.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(certs.join("server-key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Arc::new(config)
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

/// The TCP connection with a TLS server session over it (the handshake runs on first use).
fn tls_over(tcp: &TcpStream, config: &Arc<rustls::ServerConfig>) -> Option<Box<dyn ReadWrite>> {
    let session = rustls::ServerConnection::new(config.clone()).ok()?;
    Some(Box::new(rustls::StreamOwned::new(session, tcp.try_clone().ok()?)))
}

/// One line, read a byte at a time so that nothing is buffered past a STARTTLS.
fn read_line(conn: &mut dyn ReadWrite) -> Option<String> {
    let (mut line, mut byte) = (Vec::new(), [0u8]);
    while byte[0] != b'\n' {
        match conn.read(&mut byte) {
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

fn say(conn: &mut dyn ReadWrite, s: &str) -> bool {
    conn.write_all(format!("{s}\r\n").as_bytes()).and_then(|()| conn.flush()).is_ok()
}

/// `\0user\0password` from AUTH PLAIN's base64, as `user:password`.
fn plain_credentials(b64: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split('\0').skip(1);
    Some(format!("{}:{}", parts.next()?, parts.next()?))
}

fn smtp_session(tcp: TcpStream, tls: SmtpTls, mails: Arc<Mutex<Vec<Mail>>>) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let (mut conn, mut secure): (Box<dyn ReadWrite>, bool) = match &tls {
        SmtpTls::Implicit(config) => match tls_over(&tcp, config) {
            Some(conn) => (conn, true),
            None => return,
        },
        _ => (Box::new(tcp.try_clone().unwrap()), false),
    };
    if !say(&mut *conn, "220 sink.test ESMTP test") {
        return;
    }
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    loop {
        let Some(line) = read_line(&mut *conn) else { return };
        let line = line.trim_end();
        let upper = line.to_ascii_uppercase();
        let ok = if upper.starts_with("EHLO") {
            let starttls = matches!(tls, SmtpTls::StartTls(_)) && !secure;
            say(&mut *conn, "250-sink.test")
                && (!starttls || say(&mut *conn, "250-STARTTLS"))
                && (!secure || say(&mut *conn, "250-AUTH PLAIN"))
                && say(&mut *conn, "250 HELP")
        } else if upper == "STARTTLS" {
            let SmtpTls::StartTls(config) = &tls else {
                let _ = say(&mut *conn, "502 not implemented");
                continue;
            };
            if secure || !say(&mut *conn, "220 go ahead") {
                return;
            }
            let Some(encrypted) = tls_over(&tcp, config) else { return };
            (conn, secure) = (encrypted, true);
            (from, to, auth) = (String::new(), Vec::new(), None);
            true
        } else if upper.starts_with("AUTH PLAIN") {
            let initial = line.get(10..).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            let answer = match initial {
                Some(b64) => Some(b64),
                None if secure && say(&mut *conn, "334 ") => read_line(&mut *conn),
                None => None,
            };
            auth = answer.as_deref().and_then(plain_credentials).filter(|_| secure);
            say(&mut *conn, if auth.is_some() { "235 2.7.0 accepted" } else { "535 5.7.8 refused" })
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            say(&mut *conn, "250 OK")
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_string();
            say(&mut *conn, "250 OK")
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_string());
            say(&mut *conn, "250 OK")
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            say(&mut *conn, "250 OK")
        } else if upper == "DATA" {
            if !say(&mut *conn, "354 go ahead") {
                return;
            }
            let mut data = String::new();
            loop {
                let Some(l) = read_line(&mut *conn) else { return };
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(&l);
            }
            let mail = Mail {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
                tls: secure,
                auth: auth.clone(),
            };
            mails.lock().unwrap().push(mail);
            say(&mut *conn, "250 2.0.0 queued as 1")
        } else if upper.starts_with("QUIT") {
            let _ = say(&mut *conn, "221 bye");
            return;
        } else {
            say(&mut *conn, "502 not implemented")
        };
        if !ok {
            return;
        }
    }
}
