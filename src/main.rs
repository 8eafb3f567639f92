//! `chrontainer` runs the service; `chrontainer healthcheck` asks a running one for `/healthz`
//! (the image has no curl); `chrontainer import-legacy OLD.db` imports the original's database.
//! The command line itself is `chrontainer::cli`; `chrontainer --help` tells it all.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrontainer::cli::{self, Command};
use chrontainer::config::{Config, Overrides};

fn main() -> ExitCode {
    let invocation = match cli::parse(std::env::args_os().skip(1)) {
        Ok(invocation) => invocation,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let overrides = &invocation.overrides;
    match invocation.command {
        Command::Help(topic) => {
            print!("{}", cli::help(topic));
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("chrontainer {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Serve => config(overrides).map_or_else(|code| code, serve),
        Command::Healthcheck => config(overrides).map_or_else(|code| code, healthcheck),
        Command::ImportLegacy { path, dry_run, check_docker } => config(overrides)
            .map_or_else(|code| code, |config| import_legacy(config, path, dry_run, check_docker)),
        Command::ResetPassword { username } => {
            config(overrides).map_or_else(|code| code, |config| reset_password(&config, &username))
        }
    }
}

/// The settings, or exit code 2 after a line naming the bad one.
fn config(overrides: &Overrides) -> Result<Config, ExitCode> {
    Config::from_env_with(overrides).map_err(|e| {
        eprintln!("chrontainer: {}", cli::explain(&e, overrides));
        ExitCode::from(2)
    })
}

fn serve(config: Config) -> ExitCode {
    env_logger::Builder::new().parse_filters(&config.log_filter).init();
    match actix_rt::System::new().block_on(chrontainer::app::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("chrontainer: {e}");
            ExitCode::from(1)
        }
    }
}

/// Exit 0 when the local instance answers 200 on `/healthz`.
fn healthcheck(config: Config) -> ExitCode {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr = SocketAddr::new([127, 0, 0, 1].into(), addr.port());
    }
    let answer = (|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    })();
    match answer {
        Ok(a) if a.starts_with("HTTP/1.1 200") || a.starts_with("HTTP/1.0 200") => ExitCode::SUCCESS,
        Ok(a) => {
            eprintln!("unhealthy: {}", a.lines().next().unwrap_or(""));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `import-legacy`: see `chrontainer::import::legacy`.
fn import_legacy(config: Config, legacy: PathBuf, dry_run: bool, check_docker: bool) -> ExitCode {
    let options = chrontainer::import::legacy::Options { legacy, dry_run, check_docker };
    match chrontainer::import::legacy::run(&config, &options, &mut std::io::stdout()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chrontainer: import-legacy: {e}");
            ExitCode::from(1)
        }
    }
}

/// `reset-password USER`: the break-glass path when nobody can sign in. The new password goes to
/// standard output, once, for the operator who ran the command; never to a log.
fn reset_password(config: &Config, username: &str) -> ExitCode {
    let run = || -> Result<String, String> {
        let _lock = chrontainer::store::db::lock_data_dir(&config.data_dir)
            .map_err(|e| format!("{e}; stop the service first (e.g. `docker compose stop chrontainer`)"))?;
        let path = config.database_path();
        let mut conn = chrontainer::store::db::open(&path)
            .map_err(|e| format!("cannot open {}: {}", path.display(), e.cause()))?;
        let secret = chrontainer::auth::password::generate().map_err(|e| e.cause())?;
        let hash = chrontainer::auth::password::hash(&secret).map_err(|e| e.cause())?;
        let now = chrono::Utc::now().naive_utc();
        let user = chrontainer::store::users::reset_password_offline(&mut conn, username, &hash, now)
            .map_err(|e| e.cause())?;
        chrontainer::auth::initial_password::forget_for(&config.data_dir, &user.username);
        Ok(format!(
            "The user {} is an admin with the new password:\n\n    {secret}\n\nTheir sessions have ended. \
             Start Chrontainer with CHRONTAINER_AUTH=password (or --auth password) to sign in with it, \
             then change it on the settings page.",
            user.username
        ))
    };
    match run() {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chrontainer: reset-password: {e}");
            ExitCode::from(1)
        }
    }
}
