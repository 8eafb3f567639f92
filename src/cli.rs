//! The command line: commands, their options, and every setting as a flag. A flag is not read into
//! `Config` here: it becomes an override of the environment variable it stands for, which `Config`
//! applies over the environment, so a setting has one set of rules whichever way it is given.

use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::path::PathBuf;

use lexopt::{Arg, Parser, ValueExt};

use crate::config::{ConfigError, Overrides};

/// A setting that can be given as `--flag` as well as by its environment variable.
#[derive(Debug)]
pub struct Setting {
    /// Without the leading `--`.
    pub flag: &'static str,
    pub var: &'static str,
    /// The value's name in the help; `None` for a switch (`--flag` alone sets `true`).
    pub value: Option<&'static str>,
    /// The value used when neither the flag nor the variable is given, as the variable would say it.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

const fn setting(
    flag: &'static str,
    var: &'static str,
    value: &'static str,
    default: Option<&'static str>,
    help: &'static str,
) -> Setting {
    Setting { flag, var, value: Some(value), default, help }
}

const fn switch(flag: &'static str, var: &'static str, help: &'static str) -> Setting {
    Setting { flag, var, value: None, default: None, help }
}

/// Every setting of `Config` that has a flag, in the order the help lists them.
pub const SETTINGS: &[Setting] = &[
    setting(
        "listen",
        "CHRONTAINER_LISTEN",
        "ADDR",
        Some("0.0.0.0:5000"),
        "address of the dashboard and API (IP:port)",
    ),
    setting(
        "data-dir",
        "CHRONTAINER_DATA_DIR",
        "DIR",
        Some("./data"),
        "where chrontainer.db lives (created if missing)",
    ),
    setting(
        "docker-host",
        "DOCKER_HOST",
        "URL",
        Some("unix:///var/run/docker.sock"),
        "the Docker Engine: unix:// or tcp:// (e.g. a socket proxy)",
    ),
    switch(
        "docker-tls-verify",
        "DOCKER_TLS_VERIFY",
        "TLS to a tcp:// Engine, with the files in --docker-cert-path",
    ),
    setting(
        "docker-cert-path",
        "DOCKER_CERT_PATH",
        "DIR",
        None,
        "ca.pem, cert.pem, key.pem for --docker-tls-verify (default ~/.docker)",
    ),
    setting("timezone", "CHRONTAINER_TIMEZONE", "ZONE", Some("UTC"), "time zone of new schedules (else TZ)"),
    setting(
        "stop-timeout",
        "CHRONTAINER_STOP_TIMEOUT",
        "SECONDS",
        Some("10"),
        "how long Docker waits before SIGKILL",
    ),
    setting(
        "misfire-grace",
        "CHRONTAINER_MISFIRE_GRACE",
        "SECONDS",
        Some("60"),
        "a run missed by less than this still runs once",
    ),
    setting(
        "log-retention-days",
        "CHRONTAINER_LOG_RETENTION_DAYS",
        "DAYS",
        Some("90"),
        "older activity-log rows are pruned",
    ),
    setting(
        "auth",
        "CHRONTAINER_AUTH",
        "password|oidc|proxy|none",
        Some("password"),
        "none turns the login off",
    ),
    setting(
        "admin-password-file",
        "CHRONTAINER_ADMIN_PASSWORD_FILE",
        "FILE",
        None,
        "the first admin's password, read from FILE (else generated)",
    ),
    setting("session-hours", "CHRONTAINER_SESSION_HOURS", "HOURS", Some("168"), "how long a sign-in lasts"),
    switch(
        "secure-cookies",
        "CHRONTAINER_SECURE_COOKIES",
        "mark the session cookie Secure (served over HTTPS)",
    ),
    switch("trust-proxy", "CHRONTAINER_TRUST_PROXY", "believe X-Forwarded-* from a reverse proxy in front"),
    setting("max-schedules", "CHRONTAINER_MAX_SCHEDULES", "N", Some("1000"), "schedules at most"),
    setting(
        "min-interval",
        "CHRONTAINER_MIN_INTERVAL",
        "SECONDS",
        Some("10"),
        "the shortest time between two runs of one schedule",
    ),
    setting(
        "allowed-hosts",
        "CHRONTAINER_ALLOWED_HOSTS",
        "NAMES",
        None,
        "names it may be reached by, besides IPs and localhost (a,b)",
    ),
    setting(
        "self-container",
        "CHRONTAINER_SELF_CONTAINER",
        "NAME",
        None,
        "its own container, never stopped or paused (normally detected)",
    ),
    setting("log", "RUST_LOG", "FILTER", Some("info"), "log filter, e.g. debug or chrontainer=debug"),
    setting(
        "public-url",
        "CHRONTAINER_PUBLIC_URL",
        "URL",
        None,
        "the address people reach it by; notifications link to it",
    ),
    setting(
        "notify-batch-seconds",
        "CHRONTAINER_NOTIFY_BATCH_SECONDS",
        "SECONDS",
        Some("300"),
        "repeats of one failure within this long become one message",
    ),
    setting("oidc-issuer", "CHRONTAINER_OIDC_ISSUER", "URL", None, "OpenID provider: sign in with it"),
    setting("oidc-client-id", "CHRONTAINER_OIDC_CLIENT_ID", "ID", None, "the client registered there"),
    setting(
        "oidc-client-secret-file",
        "CHRONTAINER_OIDC_CLIENT_SECRET_FILE",
        "FILE",
        None,
        "that client's secret, read from FILE",
    ),
    setting(
        "oidc-scopes",
        "CHRONTAINER_OIDC_SCOPES",
        "SCOPES",
        Some("openid profile email groups"),
        "the scopes asked for",
    ),
    setting("oidc-name", "CHRONTAINER_OIDC_NAME", "NAME", None, "the button's \"Sign in with NAME\""),
    setting(
        "oidc-groups-claim",
        "CHRONTAINER_OIDC_GROUPS_CLAIM",
        "CLAIM",
        Some("groups"),
        "the claim that lists a user's groups",
    ),
    setting(
        "oidc-admin-group",
        "CHRONTAINER_OIDC_ADMIN_GROUP",
        "GROUP",
        Some("chrontainer-admins"),
        "members are admins (OpenID and forward auth)",
    ),
    setting(
        "oidc-viewer-group",
        "CHRONTAINER_OIDC_VIEWER_GROUP",
        "GROUP",
        Some("chrontainer-viewers"),
        "members are viewers; anyone in neither is refused",
    ),
    setting(
        "trusted-proxies",
        "CHRONTAINER_TRUSTED_PROXIES",
        "NETS",
        None,
        "proxies whose forward-auth headers count (--auth proxy)",
    ),
    setting(
        "proxy-user-header",
        "CHRONTAINER_PROXY_USER_HEADER",
        "NAME",
        Some("Remote-User"),
        "forward auth: the user's name",
    ),
    setting(
        "proxy-groups-header",
        "CHRONTAINER_PROXY_GROUPS_HEADER",
        "NAME",
        Some("Remote-Groups"),
        "forward auth: the user's groups (comma-separated)",
    ),
    setting(
        "proxy-email-header",
        "CHRONTAINER_PROXY_EMAIL_HEADER",
        "NAME",
        Some("Remote-Email"),
        "forward auth: the user's e-mail address",
    ),
    setting(
        "label-grace",
        "CHRONTAINER_LABEL_GRACE",
        "SECONDS",
        Some("300"),
        "a label schedule outlives its removed container this long",
    ),
    setting("workers", "CHRONTAINER_WORKERS", "N", Some("2"), "HTTP worker threads (BENCHMARKS.md)"),
];

/// Variables `Config` reads that have no flag, and why.
pub const ENV_ONLY: &[(&str, &str)] = &[
    ("CHRONTAINER_ADMIN_PASSWORD", "the first admin's password (no flag: any user can read a command line)"),
    ("TZ", "the system's time zone, used without CHRONTAINER_TIMEZONE"),
    ("CHRONTAINER_OIDC_CLIENT_SECRET", "the OpenID client's secret (no flag: a command line is public)"),
];

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Healthcheck,
    ImportLegacy {
        path: PathBuf,
        dry_run: bool,
        check_docker: bool,
    },
    /// Break-glass: a new password for a user, set straight in the data directory's database.
    ResetPassword {
        username: String,
    },
    /// Print the JSON backup of the database in the data directory.
    Export,
    /// Restore a JSON backup into the data directory of a stopped service.
    Import {
        path: PathBuf,
        dry_run: bool,
        replace: bool,
    },
    /// Print this help text (for a command, or the whole program).
    Help(Topic),
    Version,
}

/// The commands, as help topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Program,
    Serve,
    Healthcheck,
    ImportLegacy,
    ResetPassword,
    Export,
    Import,
}

impl Topic {
    fn from_name(name: &str) -> Option<Topic> {
        Some(match name {
            "serve" => Topic::Serve,
            "healthcheck" => Topic::Healthcheck,
            "import-legacy" => Topic::ImportLegacy,
            "reset-password" => Topic::ResetPassword,
            "export" => Topic::Export,
            "import" => Topic::Import,
            _ => return None,
        })
    }

    fn usage(self) -> &'static str {
        match self {
            Topic::Program => "usage: chrontainer [COMMAND] [SETTINGS…]  (the commands are below; serve by default)",
            Topic::Serve => "usage: chrontainer [serve] [SETTINGS…]",
            Topic::Healthcheck => "usage: chrontainer healthcheck [SETTINGS…]",
            Topic::ImportLegacy => {
                "usage: chrontainer import-legacy [--dry-run] [--no-docker-check] [SETTINGS…] <path-to-old-chrontainer.db>"
            }
            Topic::ResetPassword => "usage: chrontainer reset-password [SETTINGS…] <user>",
            Topic::Export => "usage: chrontainer export [SETTINGS…] > backup.json",
            Topic::Import => "usage: chrontainer import [--dry-run] [--replace] [SETTINGS…] <backup.json>",
        }
    }

    fn help_name(self) -> &'static str {
        match self {
            Topic::Program => "",
            Topic::Serve => " serve",
            Topic::Healthcheck => " healthcheck",
            Topic::ImportLegacy => " import-legacy",
            Topic::ResetPassword => " reset-password",
            Topic::Export => " export",
            Topic::Import => " import",
        }
    }
}

/// A parsed command line: the command, and the settings given as flags.
#[derive(Debug)]
pub struct Invocation {
    pub command: Command,
    pub overrides: Overrides,
}

/// A command line that cannot be run: says what was wrong and how it is used (exit code 2).
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    topic: Topic,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chrontainer: {}\n{}\nRun `chrontainer help{}` for more.",
            self.message,
            self.topic.usage(),
            self.topic.help_name()
        )
    }
}

/// Parses the arguments after the program's name.
pub fn parse<I>(args: I) -> Result<Invocation, UsageError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut parser = Parser::from_args(args);
    let mut topic: Option<Topic> = None;
    let mut wants_help = false;
    let mut help_topic: Option<String> = None;
    let mut overrides = Overrides::default();
    let (mut dry_run, mut check_docker, mut replace, mut paths) = (false, true, false, Vec::new());

    loop {
        let at = topic.unwrap_or(Topic::Program);
        let fail = |message: String| UsageError { message, topic: at };
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return Err(fail(e.to_string())),
        };
        match arg {
            Arg::Short('h') | Arg::Long("help") => wants_help = true,
            Arg::Short('V') | Arg::Long("version") => {
                return Ok(Invocation { command: Command::Version, overrides })
            }
            Arg::Long("dry-run") if matches!(at, Topic::ImportLegacy | Topic::Import) => dry_run = true,
            Arg::Long("replace") if at == Topic::Import => replace = true,
            Arg::Long("no-docker-check") if at == Topic::ImportLegacy => check_docker = false,
            Arg::Long(name) => {
                let name = name.to_string();
                let Some(setting) = SETTINGS.iter().find(|s| s.flag == name) else {
                    return Err(fail(format!("unknown option --{name}")));
                };
                let value = match setting.value {
                    Some(_) => parser.value().and_then(|v| v.string()).map_err(|e| fail(e.to_string()))?,
                    None if parser.optional_value().is_some() => {
                        return Err(fail(format!("--{name} takes no value: give it alone, or leave it out")))
                    }
                    None => "true".to_string(),
                };
                overrides.set(setting.var, value);
            }
            Arg::Short(c) => return Err(fail(format!("unknown option -{c}"))),
            Arg::Value(value) => match topic {
                None => {
                    let name = value.string().map_err(|e| fail(e.to_string()))?;
                    topic = Some(match name.as_str() {
                        "help" => {
                            wants_help = true;
                            Topic::Program
                        }
                        other => Topic::from_name(other)
                            .ok_or_else(|| fail(format!("unknown command {other:?}")))?,
                    });
                    if name == "help" {
                        help_topic = Some(String::new());
                    }
                }
                Some(Topic::ImportLegacy | Topic::Import | Topic::ResetPassword) => {
                    paths.push(PathBuf::from(value))
                }
                Some(Topic::Program) if help_topic.as_deref() == Some("") => {
                    help_topic = Some(value.string().map_err(|e| fail(e.to_string()))?);
                }
                Some(_) => return Err(fail(format!("unexpected argument {:?}", value.to_string_lossy()))),
            },
        }
    }

    let at = topic.unwrap_or(Topic::Program);
    if wants_help {
        let topic = match help_topic.as_deref() {
            None | Some("") => at,
            Some(name) => Topic::from_name(name).ok_or_else(|| UsageError {
                message: format!("no help on {name:?}: there is no such command"),
                topic: Topic::Program,
            })?,
        };
        return Ok(Invocation { command: Command::Help(topic), overrides });
    }
    let command = match at {
        Topic::Program | Topic::Serve => Command::Serve,
        Topic::Healthcheck => Command::Healthcheck,
        Topic::ImportLegacy => {
            let path = one_path(
                paths,
                "the old database's path is missing",
                "give one old database, not several",
                at,
            )?;
            Command::ImportLegacy { path, dry_run, check_docker }
        }
        Topic::ResetPassword => match <[PathBuf; 1]>::try_from(paths) {
            Ok([name]) => Command::ResetPassword { username: name.to_string_lossy().into_owned() },
            Err(paths) => {
                let message = if paths.is_empty() { "the user's name is missing" } else { "give one user" };
                return Err(UsageError { message: message.into(), topic: at });
            }
        },
        Topic::Export => Command::Export,
        Topic::Import => {
            let path = one_path(
                paths,
                "the backup file's path is missing",
                "give one backup file, not several",
                at,
            )?;
            Command::Import { path, dry_run, replace }
        }
    };
    Ok(Invocation { command, overrides })
}

/// The one path a command takes.
fn one_path(paths: Vec<PathBuf>, missing: &str, several: &str, topic: Topic) -> Result<PathBuf, UsageError> {
    match <[PathBuf; 1]>::try_from(paths) {
        Ok([path]) => Ok(path),
        Err(paths) if paths.is_empty() => Err(UsageError { message: missing.into(), topic }),
        Err(_) => Err(UsageError { message: several.into(), topic }),
    }
}

/// The help text of a command, or of the whole program.
pub fn help(topic: Topic) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", topic.usage());
    match topic {
        Topic::Program => {
            let _ = writeln!(
                out,
                "Chrontainer {}: acts on Docker containers on cron schedules, with a dashboard and a JSON API.\n\n\
                 Commands:\n  \
                 serve           run the service (the default)\n  \
                 healthcheck     exit 0 when the instance at --listen answers /healthz\n  \
                 import-legacy   import the Python Chrontainer's database\n  \
                 export          print the JSON backup of the schedules\n  \
                 import          restore a JSON backup (the service stopped)\n  \
                 reset-password  break-glass: a new password for a user (service stopped)\n  \
                 help [COMMAND]  this text, or a command's\n\n\
                 Options:\n  \
                 -h, --help      this text (after a command: that command's)\n  \
                 -V, --version   the version",
                env!("CARGO_PKG_VERSION")
            );
            settings_help(&mut out);
        }
        Topic::Serve => {
            let _ = writeln!(
                out,
                "Runs the service until SIGTERM or SIGINT: the dashboard and the API at --listen, the \
                 schedules, the\nactivity log. Exit code 2 for a bad setting, 1 when it cannot start."
            );
            settings_help(&mut out);
        }
        Topic::Healthcheck => {
            let _ = writeln!(
                out,
                "Asks the instance at --listen (on 127.0.0.1 when it listens on every address) for \
                 /healthz:\nexit 0 when it answers 200, 1 otherwise. The image's HEALTHCHECK runs it.\n\n\
                 It takes the same settings as `chrontainer serve` (see `chrontainer help serve`)."
            );
        }
        Topic::ImportLegacy => {
            let _ = writeln!(
                out,
                "Imports the schedules and activity log of the original (Python) Chrontainer into the \
                 database in\n--data-dir, and prints what now behaves differently. Stop the service \
                 first; importing twice\ncreates nothing new.\n\n\
                 Options:\n  \
                 --dry-run          say what would be imported, import nothing\n  \
                 --no-docker-check  do not ask Docker which containers still exist\n\n\
                 It takes the same settings as `chrontainer serve` (see `chrontainer help serve`)."
            );
        }
        Topic::ResetPassword => {
            let _ = writeln!(
                out,
                "Break-glass, when nobody can sign in (CHRONTAINER_AUTH=oidc and the provider is gone, or a \
                 lost\npassword): sets a new generated password for <user> in the database in --data-dir, \
                 makes them\nan admin, ends their sessions, and prints the password once. Stop the service \
                 first; then\nstart it with CHRONTAINER_AUTH=password to sign in with that password.\n\n\
                 It takes the same settings as `chrontainer serve` (see `chrontainer help serve`)."
            );
        }
        Topic::Export => {
            let _ = writeln!(
                out,
                "Prints the versioned JSON backup of the database in --data-dir (as GET /api/export): \
                 the hosts by\nname and URL, the schedules by host and container name, never IDs. \
                 Restore it with\n`chrontainer import backup.json` or POST /api/import.\n\n\
                 It takes the same settings as `chrontainer serve` (see `chrontainer help serve`)."
            );
        }
        Topic::Import => {
            let _ = writeln!(
                out,
                "Restores a JSON backup (from `chrontainer export` or GET /api/export) into the database \
                 in\n--data-dir, and prints what was created, updated, left unchanged, removed and \
                 skipped. Stop the\nservice first. Importing the same file twice changes nothing; \
                 label schedules are skipped (they\ncome back with their containers' labels). Exit \
                 code 1 when some schedule could not be restored.\n\n\
                 Options:\n  \
                 --dry-run  say what would change, write nothing\n  \
                 --replace  also remove the schedules the file does not have (else they are kept)\n\n\
                 It takes the same settings as `chrontainer serve` (see `chrontainer help serve`)."
            );
        }
    }
    out
}

fn settings_help(out: &mut String) {
    let _ = writeln!(out, "\nSettings (a flag wins over its environment variable):");
    for s in SETTINGS {
        let left = match s.value {
            Some(value) => format!("--{} {value}", s.flag),
            None => format!("--{}", s.flag),
        };
        let default = s.default.map(|d| format!("; default {d}")).unwrap_or_default();
        let _ = writeln!(out, "  {left:<26} {}\n  {:<26} [env {}{default}]", s.help, "", s.var);
    }
    let _ = writeln!(out, "\nOnly in the environment:");
    for (var, why) in ENV_ONLY {
        let _ = writeln!(out, "  {var:<26} {why}");
    }
}

/// A configuration error, worded for the flag when the bad value came from one: Config names the
/// variable (`CHRONTAINER_LISTEN=abc is not …`), but the person typed `--listen abc`.
pub fn explain(error: &ConfigError, overrides: &Overrides) -> String {
    let text = &error.0;
    for s in SETTINGS {
        if overrides.get(s.var).is_none() {
            continue;
        }
        if let Some(rest) = text.strip_prefix(s.var).and_then(|r| r.strip_prefix('=')) {
            return format!("--{} {rest}", s.flag);
        }
    }
    text.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::HashMap;

    fn run(args: &[&str]) -> Result<Invocation, UsageError> {
        parse(args.iter().copied())
    }

    fn command(args: &[&str]) -> Command {
        run(args).unwrap().command
    }

    fn error(args: &[&str]) -> String {
        run(args).unwrap_err().to_string()
    }

    #[test]
    fn serve_is_the_default_and_settings_become_overrides() {
        assert_eq!(command(&[]), Command::Serve);
        assert_eq!(command(&["serve"]), Command::Serve);
        let inv = run(&["--listen", "127.0.0.1:0", "serve", "--data-dir=/tmp/x", "--trust-proxy"]).unwrap();
        assert_eq!(inv.command, Command::Serve);
        assert_eq!(inv.overrides.get("CHRONTAINER_LISTEN"), Some("127.0.0.1:0"));
        assert_eq!(inv.overrides.get("CHRONTAINER_DATA_DIR"), Some("/tmp/x"));
        assert_eq!(inv.overrides.get("CHRONTAINER_TRUST_PROXY"), Some("true"));
        assert_eq!(inv.overrides.get("CHRONTAINER_AUTH"), None);
    }

    #[test]
    fn help_and_version_everywhere() {
        for args in [&["--help"][..], &["-h"], &["help"]] {
            assert_eq!(command(args), Command::Help(Topic::Program), "{args:?}");
        }
        for args in [&["import-legacy", "--help"][..], &["import-legacy", "-h"], &["help", "import-legacy"]] {
            assert_eq!(command(args), Command::Help(Topic::ImportLegacy), "{args:?}");
        }
        // help wins over a missing path or a bad value elsewhere on the line
        assert_eq!(command(&["import-legacy", "--dry-run", "-h"]), Command::Help(Topic::ImportLegacy));
        assert_eq!(command(&["healthcheck", "--help"]), Command::Help(Topic::Healthcheck));
        assert_eq!(command(&["serve", "-h"]), Command::Help(Topic::Serve));
        assert_eq!(command(&["--version"]), Command::Version);
        assert_eq!(command(&["-V"]), Command::Version);
        assert!(error(&["help", "nonsense"]).contains("no help on \"nonsense\""));
    }

    #[test]
    fn import_legacy_keeps_its_options_and_one_path() {
        assert_eq!(
            command(&["import-legacy", "--dry-run", "--no-docker-check", "old.db"]),
            Command::ImportLegacy { path: "old.db".into(), dry_run: true, check_docker: false }
        );
        assert_eq!(
            command(&["import-legacy", "old.db", "--data-dir", "d"]),
            Command::ImportLegacy { path: "old.db".into(), dry_run: false, check_docker: true }
        );
        let e = error(&["import-legacy"]);
        assert!(e.contains("path is missing") && e.contains("usage: chrontainer import-legacy"), "{e}");
        assert!(error(&["import-legacy", "a.db", "b.db"]).contains("one old database"));
        // its options belong to it alone
        assert!(error(&["--dry-run"]).contains("unknown option --dry-run"));
    }

    #[test]
    fn errors_name_the_argument_and_show_the_usage() {
        let e = error(&["--lisen", "x"]);
        assert!(e.starts_with("chrontainer: unknown option --lisen\nusage: chrontainer [COMMAND]"), "{e}");
        let e = error(&["healthcheck", "-x"]);
        assert!(e.contains("unknown option -x\nusage: chrontainer healthcheck"), "{e}");
        assert!(error(&["frobnicate"]).contains("unknown command \"frobnicate\""));
        assert!(error(&["serve", "extra"]).contains("unexpected argument \"extra\""));
        let e = error(&["--listen"]);
        assert!(e.contains("--listen"), "{e}");
        assert!(error(&["--secure-cookies=false"]).contains("--secure-cookies takes no value"));
    }

    #[test]
    fn every_setting_appears_in_the_help_with_its_variable() {
        let text = help(Topic::Program);
        for s in SETTINGS {
            assert!(text.contains(&format!("--{}", s.flag)) && text.contains(s.var), "{}", s.flag);
        }
        for (var, _) in ENV_ONLY {
            assert!(text.contains(var), "{var}");
        }
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(help(Topic::ImportLegacy).contains("--dry-run"));
    }

    /// A setting added to `Config` without a flag (or a reason for having none) fails here.
    #[test]
    fn every_variable_config_reads_has_a_flag_or_a_reason() {
        let source = include_str!("config.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut names: Vec<&str> = code
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                    && (s.starts_with("CHRONTAINER_")
                        || s.starts_with("DOCKER_")
                        || *s == "TZ"
                        || *s == "RUST_LOG")
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        assert!(names.contains(&"CHRONTAINER_LISTEN"), "{names:?}");
        for name in names {
            let known = SETTINGS.iter().any(|s| s.var == name) || ENV_ONLY.iter().any(|(v, _)| *v == name);
            assert!(
                known,
                "{name} is read by Config but has no flag in cli::SETTINGS (nor a reason in ENV_ONLY)"
            );
        }
    }

    /// The README's configuration table names every flag beside its variable.
    #[test]
    fn the_readme_lists_every_flag() {
        let readme = include_str!("../README.md");
        for s in SETTINGS {
            assert!(readme.contains(&format!("`--{}`", s.flag)), "README.md does not name --{}", s.flag);
            assert!(readme.contains(&format!("`{}", s.var)), "README.md does not name {}", s.var);
        }
    }

    /// The defaults the help shows are the ones `Config` really uses.
    #[test]
    fn the_defaults_in_the_help_are_configs_own() {
        let none = format!("{:?}", Config::from_lookup(|_| None).unwrap());
        for s in SETTINGS {
            let Some(default) = s.default else { continue };
            let vars: HashMap<&str, &str> = [(s.var, default)].into();
            let given = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
            assert_eq!(format!("{given:?}"), none, "--{} default {default}", s.flag);
        }
    }

    #[test]
    fn a_bad_value_from_a_flag_is_worded_for_the_flag() {
        let inv = run(&["--listen", "abc"]).unwrap();
        let lookup = |k: &str| inv.overrides.get(k).map(str::to_string);
        let e = Config::from_lookup(lookup).unwrap_err();
        assert_eq!(
            explain(&e, &inv.overrides),
            "--listen abc is not host:port (an IP address and a port, e.g. 0.0.0.0:5000)"
        );
        // from the environment it keeps the variable's name
        assert_eq!(explain(&e, &Overrides::default()), e.0);
    }
}
