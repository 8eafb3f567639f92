//! `chrontainer` runs the service; `chrontainer healthcheck` asks a running one for `/healthz`
//! (the image has no curl); `chrontainer import-legacy OLD.db` imports the original's database.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use chrontainer::config::Config;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => serve(),
        Some("healthcheck") => healthcheck(),
        Some("import-legacy") => import_legacy(std::env::args().skip(2).collect()),
        Some("--version" | "-V") => {
            println!("chrontainer {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("chrontainer: unknown command {other:?}; commands: serve (the default), healthcheck, import-legacy, --version");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chrontainer: {e}");
            return ExitCode::from(2);
        }
    };
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
fn healthcheck() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chrontainer: {e}");
            return ExitCode::from(2);
        }
    };
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

/// `import-legacy [--dry-run] [--no-docker-check] OLD.db`: see `chrontainer::import::legacy`.
fn import_legacy(args: Vec<String>) -> ExitCode {
    const USAGE: &str =
        "usage: chrontainer import-legacy [--dry-run] [--no-docker-check] <path-to-old-chrontainer.db>";
    let (mut dry_run, mut check_docker, mut paths) = (false, true, Vec::new());
    for arg in args {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--no-docker-check" => check_docker = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with("--") => {
                eprintln!("chrontainer: unknown option {flag}; {USAGE}");
                return ExitCode::from(2);
            }
            _ => paths.push(arg),
        }
    }
    let [legacy] = <[String; 1]>::try_from(paths).unwrap_or_else(|_| [String::new()]);
    if legacy.is_empty() {
        eprintln!("chrontainer: {USAGE}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chrontainer: {e}");
            return ExitCode::from(2);
        }
    };
    let options = chrontainer::import::legacy::Options { legacy: legacy.into(), dry_run, check_docker };
    match chrontainer::import::legacy::run(&config, &options, &mut std::io::stdout()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chrontainer: import-legacy: {e}");
            ExitCode::from(1)
        }
    }
}
