//! Configuration from the environment, validated at start-up. Every setting is listed in
//! ARCHITECTURE.md and README.md; every secret may also be given as `NAME_FILE` (Docker secrets).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;

use crate::docker::{DockerEndpoint, TlsFiles};

pub use self::sso::{ForwardAuth, GroupRoles, OidcConfig};

mod sso;

/// Whether the dashboard and API ask for a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    Password,
    None,
    /// Sign-in through the OpenID provider only: the password form is off (`auth::oidc`).
    Oidc,
    /// A reverse proxy signs people in and says who they are in headers (`ForwardAuth`).
    Proxy,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The Docker host `local`: `DOCKER_HOST`, with TLS when `DOCKER_TLS_VERIFY` is set (the
    /// files from `DOCKER_CERT_PATH`, else `~/.docker`, as for the Docker CLI).
    pub docker: DockerEndpoint,
    /// `CHRONTAINER_SELF_CONTAINER`: Chrontainer's own container (name or ID), normally detected.
    pub self_container: Option<String>,
    /// Default zone of new schedules.
    pub timezone: Tz,
    pub stop_timeout: Duration,
    pub misfire_grace: Duration,
    pub log_retention_days: u32,
    pub auth: AuthMode,
    /// The first admin password; `None` means generate one at first start.
    pub admin_password: Option<String>,
    /// Mark the session cookie `Secure` whatever the request says (Chrontainer is reached over HTTPS).
    pub secure_cookies: bool,
    /// A reverse proxy the operator controls is in front: its `X-Forwarded-Proto`, `X-Forwarded-Host`
    /// and (last) `X-Forwarded-For` are believed. Off by default, since any client can send them.
    pub trust_proxy: bool,
    /// How long a sign-in lasts, from the moment of signing in.
    pub session_lifetime: Duration,
    /// Schedules at most (`CHRONTAINER_MAX_SCHEDULES`): each costs a timer and log rows.
    pub max_schedules: usize,
    /// The shortest time between two runs of one schedule (`CHRONTAINER_MIN_INTERVAL`): every run
    /// costs an inspect, an action and a log row.
    pub min_interval: Duration,
    /// Host names besides the listen address, IP literals and `localhost` that requests may name
    /// (`CHRONTAINER_ALLOWED_HOSTS`, comma-separated, lower case, no port): anything else is a
    /// DNS-rebinding page or a mistake.
    pub allowed_hosts: Vec<String>,
    /// env_logger's filter (`RUST_LOG`), e.g. `info` or `chrontainer=debug`.
    pub log_filter: String,
    /// The address people reach Chrontainer by (`CHRONTAINER_PUBLIC_URL`, e.g.
    /// `https://chrontainer.example.org`, no trailing slash): notifications link back to it.
    pub public_url: Option<String>,
    /// Identical failures of one schedule within this long after a notification are folded into
    /// one follow-up message with a count (`CHRONTAINER_NOTIFY_BATCH_SECONDS`).
    pub notify_batch: Duration,
    /// `CHRONTAINER_OIDC_*`: sign-in through an OpenID provider, when an issuer is set.
    pub oidc: Option<OidcConfig>,
    /// Which groups (of the OpenID claim or the forward-auth header) make an admin or a viewer.
    pub group_roles: GroupRoles,
    /// `CHRONTAINER_TRUSTED_PROXIES` and the forward-auth header names.
    pub forward_auth: ForwardAuth,
    /// How long a label schedule outlives its removed container (`CHRONTAINER_LABEL_GRACE`): a
    /// re-created container comes back within it and keeps its schedules and overrides.
    pub label_grace: Duration,
    /// HTTP worker threads (`CHRONTAINER_WORKERS`); the default is measured in BENCHMARKS.md.
    pub workers: usize,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("docker", &self.docker)
            .field("self_container", &self.self_container)
            .field("timezone", &self.timezone)
            .field("stop_timeout", &self.stop_timeout)
            .field("misfire_grace", &self.misfire_grace)
            .field("log_retention_days", &self.log_retention_days)
            .field("auth", &self.auth)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<redacted>"))
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("session_lifetime", &self.session_lifetime)
            .field("max_schedules", &self.max_schedules)
            .field("min_interval", &self.min_interval)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("log_filter", &self.log_filter)
            .field("public_url", &self.public_url)
            .field("notify_batch", &self.notify_batch)
            .field("oidc", &self.oidc)
            .field("group_roles", &self.group_roles)
            .field("forward_auth", &self.forward_auth)
            .field("label_grace", &self.label_grace)
            .field("workers", &self.workers)
            .finish()
    }
}

/// One line naming the variable, the value and what is allowed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Settings given on the command line (see `cli`), each under the environment variable it stands
/// for; they win over the environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides(BTreeMap<&'static str, String>);

impl Overrides {
    pub fn set(&mut self, var: &'static str, value: String) {
        self.0.insert(var, value);
    }

    pub fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(String::as_str)
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_with(&Overrides::default())
    }

    /// The environment, with `overrides` (the command line's flags) in front of it.
    pub fn from_env_with(overrides: &Overrides) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            overrides.get(name).map(str::to_string).or_else(|| std::env::var(name).ok())
        })
    }

    /// Reads the settings through `var`, so tests need not touch the process environment.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());

        let listen_raw = get("CHRONTAINER_LISTEN").unwrap_or_else(|| "0.0.0.0:5000".into());
        let listen = listen_raw.trim().parse::<SocketAddr>().map_err(|_| {
            ConfigError(format!(
                "CHRONTAINER_LISTEN={listen_raw} is not host:port (an IP address and a port, e.g. 0.0.0.0:5000)"
            ))
        })?;

        let data_dir = PathBuf::from(get("CHRONTAINER_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let docker = docker_endpoint(&get);
        let self_container = get("CHRONTAINER_SELF_CONTAINER").map(|v| v.trim().to_string());
        if let Some(name) = &self_container {
            let mut bytes = name.bytes();
            let docker_like = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
                && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !docker_like || name.len() > 255 {
                return Err(ConfigError(format!(
                    "CHRONTAINER_SELF_CONTAINER={name} is not a container name or ID (letters, digits, _ . -)"
                )));
            }
        }

        let (tz_name, tz_raw) = match get("CHRONTAINER_TIMEZONE") {
            Some(v) => ("CHRONTAINER_TIMEZONE", v),
            None => ("TZ", get("TZ").unwrap_or_else(|| "UTC".into())),
        };
        let timezone = tz_raw.trim().trim_start_matches(':').parse::<Tz>().map_err(|_| {
            ConfigError(format!(
                "{tz_name}={tz_raw} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"
            ))
        })?;

        let stop_timeout = seconds(&get, "CHRONTAINER_STOP_TIMEOUT", 10, 0, 3600)?;
        let misfire_grace = seconds(&get, "CHRONTAINER_MISFIRE_GRACE", 60, 0, 7 * 86400)?;
        let log_retention_days = number(&get, "CHRONTAINER_LOG_RETENTION_DAYS", 90, 1, 36500)? as u32;

        let auth = match get("CHRONTAINER_AUTH").as_deref().map(str::trim) {
            None | Some("password") => AuthMode::Password,
            Some("none") => AuthMode::None,
            Some("oidc") => AuthMode::Oidc,
            Some("proxy") => AuthMode::Proxy,
            Some(other) => {
                return Err(ConfigError(format!(
                    "CHRONTAINER_AUTH={other} is not allowed: use password (the default), oidc, proxy or none"
                )))
            }
        };
        let admin_password = secret(&var, "CHRONTAINER_ADMIN_PASSWORD")?;
        if let Some(p) = &admin_password {
            if p.chars().count() < 8 {
                return Err(ConfigError(
                    "CHRONTAINER_ADMIN_PASSWORD is too short: use at least 8 characters".into(),
                ));
            }
        }

        let secure_cookies = flag(&get, "CHRONTAINER_SECURE_COOKIES", false)?;
        let trust_proxy = flag(&get, "CHRONTAINER_TRUST_PROXY", false)?;
        let session_hours = number(&get, "CHRONTAINER_SESSION_HOURS", 168, 1, 8760)?;
        let max_schedules = number(&get, "CHRONTAINER_MAX_SCHEDULES", 1000, 1, 100_000)? as usize;
        let min_interval = seconds(&get, "CHRONTAINER_MIN_INTERVAL", 10, 1, 86400)?;
        let allowed_hosts = allowed_hosts(get("CHRONTAINER_ALLOWED_HOSTS"))?;
        let log_filter = get("RUST_LOG").unwrap_or_else(|| "info".into());
        let public_url = public_url(get("CHRONTAINER_PUBLIC_URL"))?;
        let notify_batch = seconds(&get, "CHRONTAINER_NOTIFY_BATCH_SECONDS", 300, 1, 86400)?;
        let oidc = sso::oidc(&get, &var, public_url.as_deref(), auth)?;
        let group_roles = sso::group_roles(&get);
        let forward_auth = sso::forward_auth(&get, auth)?;
        let label_grace = seconds(&get, "CHRONTAINER_LABEL_GRACE", 300, 0, 7 * 86400)?;
        let workers = number(&get, "CHRONTAINER_WORKERS", 2, 1, 64)? as usize;

        Ok(Config {
            listen,
            data_dir,
            docker,
            self_container,
            timezone,
            stop_timeout: Duration::from_secs(stop_timeout),
            misfire_grace: Duration::from_secs(misfire_grace),
            log_retention_days,
            auth,
            admin_password,
            secure_cookies,
            trust_proxy,
            session_lifetime: Duration::from_secs(session_hours * 3600),
            max_schedules,
            min_interval: Duration::from_secs(min_interval),
            allowed_hosts,
            log_filter,
            public_url,
            notify_batch: Duration::from_secs(notify_batch),
            oidc,
            group_roles,
            forward_auth,
            label_grace: Duration::from_secs(label_grace),
            workers,
        })
    }

    /// The SQLite file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("chrontainer.db")
    }
}

/// Whether a URL's scheme is one Chrontainer speaks is told when it connects (and shown by
/// `/healthz`), as it was when bollard read these variables: a bad value does not stop start-up.
fn docker_endpoint(get: &impl Fn(&str) -> Option<String>) -> DockerEndpoint {
    let url = get("DOCKER_HOST").unwrap_or_else(|| DockerEndpoint::DEFAULT_URL.into());
    let tls = get("DOCKER_TLS_VERIFY").map(|_| {
        let dir = match get("DOCKER_CERT_PATH") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(get("HOME").unwrap_or_default()).join(".docker"),
        };
        TlsFiles::in_dir(&dir)
    });
    DockerEndpoint { url, tls }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError(format!("{name}={raw} is not a whole number from {min} to {max}"))),
    }
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &str, default: bool) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ConfigError(format!("{name}={other} is not allowed: use true or false"))),
    }
}

/// `CHRONTAINER_ALLOWED_HOSTS`: host names (no scheme, no port), comma-separated.
fn allowed_hosts(raw: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .map(|h| {
            let ok = h.len() <= 253
                && h.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if ok {
                Ok(h)
            } else {
                Err(ConfigError(format!(
                    "CHRONTAINER_ALLOWED_HOSTS: {h:?} is not a host name (give names like chrontainer.lan, \
                     comma-separated, without scheme or port)"
                )))
            }
        })
        .collect()
}

/// `CHRONTAINER_PUBLIC_URL`: an http(s) address without query or fragment; the trailing `/` is dropped.
fn public_url(raw: Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = raw.trim().trim_end_matches('/');
    let ok = url::Url::parse(trimmed).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if !ok {
        return Err(ConfigError(format!(
            "CHRONTAINER_PUBLIC_URL={raw} is not an http(s) address such as https://chrontainer.example.org"
        )));
    }
    Ok(Some(trimmed.to_string()))
}

fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    number(get, name, default, min, max).map_err(|ConfigError(m)| ConfigError(format!("{m} (seconds)")))
}

/// A secret from `NAME`, or from the file named by `NAME_FILE` (trailing newline removed).
/// The value itself never appears in an error.
fn secret(var: &impl Fn(&str) -> Option<String>, name: &str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (var(name).filter(|v| !v.is_empty()), var(&file_var).filter(|v| !v.is_empty())) {
        (Some(_), Some(_)) => Err(ConfigError(format!("{name} and {file_var} are both set: set only one"))),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_string()))
            .map_err(|e| ConfigError(format!("{file_var}={path} cannot be read: {e}"))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_architecture_table() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:5000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_path(), PathBuf::from("./data/chrontainer.db"));
        assert_eq!(c.timezone, Tz::UTC);
        assert_eq!(c.stop_timeout, Duration::from_secs(10));
        assert_eq!(c.misfire_grace, Duration::from_secs(60));
        assert_eq!(c.log_retention_days, 90);
        assert_eq!(c.auth, AuthMode::Password);
        assert_eq!(c.admin_password, None);
        assert!(!c.secure_cookies && !c.trust_proxy);
        assert_eq!(c.session_lifetime, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(c.log_filter, "info");
        assert_eq!(c.docker, DockerEndpoint { url: "unix:///var/run/docker.sock".into(), tls: None });
    }

    #[test]
    fn docker_endpoint_reads_the_docker_cli_variables() {
        let c = config(&[("DOCKER_HOST", "tcp://proxy:2375")]).unwrap();
        assert_eq!(c.docker, DockerEndpoint { url: "tcp://proxy:2375".into(), tls: None });
        let c = config(&[
            ("DOCKER_HOST", "tcp://10.0.0.2:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ])
        .unwrap();
        let tls = c.docker.tls.unwrap();
        assert_eq!(
            (tls.ca, tls.cert, tls.key),
            ("/certs/ca.pem".into(), "/certs/cert.pem".into(), "/certs/key.pem".into())
        );
        // without DOCKER_CERT_PATH, ~/.docker, as the Docker CLI
        let c = config(&[("DOCKER_TLS_VERIFY", "1"), ("HOME", "/home/pi")]).unwrap();
        assert_eq!(c.docker.tls.unwrap().key, PathBuf::from("/home/pi/.docker/key.pem"));
        // an empty DOCKER_HOST is the default, an empty DOCKER_TLS_VERIFY is off
        let c = config(&[("DOCKER_HOST", ""), ("DOCKER_TLS_VERIFY", "")]).unwrap();
        assert_eq!(c.docker, DockerEndpoint::default());
    }

    #[test]
    fn the_own_container_is_detected_unless_named() {
        assert_eq!(config(&[]).unwrap().self_container, None);
        let c = config(&[("CHRONTAINER_SELF_CONTAINER", "chrontainer")]).unwrap();
        assert_eq!(c.self_container.as_deref(), Some("chrontainer"));
        let e = config(&[("CHRONTAINER_SELF_CONTAINER", "../etc")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_SELF_CONTAINER=../etc is not a container name or ID"), "{e}");
    }

    #[test]
    fn a_docker_host_chrontainer_cannot_speak_does_not_stop_start_up() {
        // refused when connecting, with a message /healthz shows (see docker/endpoint.rs)
        let c = config(&[("DOCKER_HOST", "ssh://pi@raspberry")]).unwrap();
        assert_eq!(c.docker.url, "ssh://pi@raspberry");
    }

    #[test]
    fn cookie_and_proxy_settings_are_true_or_false() {
        let c =
            config(&[("CHRONTAINER_SECURE_COOKIES", "true"), ("CHRONTAINER_TRUST_PROXY", "true")]).unwrap();
        assert!(c.secure_cookies && c.trust_proxy);
        let e = config(&[("CHRONTAINER_SECURE_COOKIES", "yes")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_SECURE_COOKIES=yes is not allowed"), "{e}");
        assert_eq!(
            config(&[("CHRONTAINER_SESSION_HOURS", "2")]).unwrap().session_lifetime,
            Duration::from_secs(7200)
        );
        assert!(config(&[("CHRONTAINER_SESSION_HOURS", "0")]).is_err());
    }

    #[test]
    fn the_public_url_is_an_http_address_without_its_slash() {
        assert_eq!(config(&[]).unwrap().public_url, None);
        let c = config(&[("CHRONTAINER_PUBLIC_URL", "https://ct.example.org/")]).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://ct.example.org"));
        let e = config(&[("CHRONTAINER_PUBLIC_URL", "ct.example.org")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_PUBLIC_URL=ct.example.org is not"), "{e}");
        assert_eq!(config(&[]).unwrap().notify_batch, Duration::from_secs(300));
        assert_eq!(config(&[]).unwrap().workers, 2);
        assert_eq!(config(&[("CHRONTAINER_WORKERS", "4")]).unwrap().workers, 4);
        let e = config(&[("CHRONTAINER_WORKERS", "0")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_WORKERS=0 is not a whole number from 1 to 64"), "{e}");
    }

    #[test]
    fn bad_listen_names_variable_and_value() {
        let e = config(&[("CHRONTAINER_LISTEN", "abc")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_LISTEN=abc is not host:port"), "{e}");
    }

    #[test]
    fn timezone_falls_back_to_tz_and_is_validated() {
        assert_eq!(config(&[("TZ", "Europe/Berlin")]).unwrap().timezone, chrono_tz::Europe::Berlin);
        let c = config(&[("TZ", "Europe/Berlin"), ("CHRONTAINER_TIMEZONE", "America/New_York")]).unwrap();
        assert_eq!(c.timezone, chrono_tz::America::New_York);
        let e = config(&[("TZ", "Mars/Olympus")]).unwrap_err();
        assert!(e.0.starts_with("TZ=Mars/Olympus is not an IANA time zone"), "{e}");
        let e = config(&[("CHRONTAINER_TIMEZONE", "Nowhere")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_TIMEZONE=Nowhere"), "{e}");
    }

    #[test]
    fn numbers_are_range_checked() {
        let e = config(&[("CHRONTAINER_STOP_TIMEOUT", "-1")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_STOP_TIMEOUT=-1 is not a whole number from 0 to 3600"), "{e}");
        let e = config(&[("CHRONTAINER_LOG_RETENTION_DAYS", "0")]).unwrap_err();
        assert!(e.0.contains("CHRONTAINER_LOG_RETENTION_DAYS=0"), "{e}");
        assert_eq!(
            config(&[("CHRONTAINER_MISFIRE_GRACE", "5")]).unwrap().misfire_grace,
            Duration::from_secs(5)
        );
    }

    #[test]
    fn auth_accepts_password_or_none_only() {
        assert_eq!(config(&[("CHRONTAINER_AUTH", "none")]).unwrap().auth, AuthMode::None);
        let e = config(&[("CHRONTAINER_AUTH", "off")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_AUTH=off is not allowed"), "{e}");
    }

    #[test]
    fn secret_from_file_and_never_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "correct horse battery\n").unwrap();
        let c = config(&[("CHRONTAINER_ADMIN_PASSWORD_FILE", path.to_str().unwrap())]).unwrap();
        assert_eq!(c.admin_password.as_deref(), Some("correct horse battery"));
        assert!(!format!("{c:?}").contains("horse"));

        let e = config(&[("CHRONTAINER_ADMIN_PASSWORD", "pw1234")]).unwrap_err();
        assert!(e.0.contains("too short") && !e.0.contains("pw1234"), "{e}");
        let e = config(&[("CHRONTAINER_ADMIN_PASSWORD_FILE", "/no/such/file")]).unwrap_err();
        assert!(e.0.starts_with("CHRONTAINER_ADMIN_PASSWORD_FILE=/no/such/file cannot be read"), "{e}");
    }
}
