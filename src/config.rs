//! Configuration from the environment, validated at start-up. Every setting is listed in
//! ARCHITECTURE.md and README.md; every secret may also be given as `NAME_FILE` (Docker secrets).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;

/// Whether the dashboard and API ask for a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    Password,
    None,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Only for display: bollard reads `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` itself.
    pub docker_host: String,
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
    /// env_logger's filter (`RUST_LOG`), e.g. `info` or `chrontainer=debug`.
    pub log_filter: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("docker_host", &self.docker_host)
            .field("timezone", &self.timezone)
            .field("stop_timeout", &self.stop_timeout)
            .field("misfire_grace", &self.misfire_grace)
            .field("log_retention_days", &self.log_retention_days)
            .field("auth", &self.auth)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<redacted>"))
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("session_lifetime", &self.session_lifetime)
            .field("log_filter", &self.log_filter)
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
        let docker_host = get("DOCKER_HOST").unwrap_or_else(|| "unix:///var/run/docker.sock".into());

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
            Some(other) => {
                return Err(ConfigError(format!(
                    "CHRONTAINER_AUTH={other} is not allowed: use password (the default) or none"
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
        let log_filter = get("RUST_LOG").unwrap_or_else(|| "info".into());

        Ok(Config {
            listen,
            data_dir,
            docker_host,
            timezone,
            stop_timeout: Duration::from_secs(stop_timeout),
            misfire_grace: Duration::from_secs(misfire_grace),
            log_retention_days,
            auth,
            admin_password,
            secure_cookies,
            trust_proxy,
            session_lifetime: Duration::from_secs(session_hours * 3600),
            log_filter,
        })
    }

    /// The SQLite file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("chrontainer.db")
    }
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
