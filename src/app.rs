//! Start-up and shutdown: lock the data directory, migrate, start the actors and the web server,
//! then wait for SIGTERM/SIGINT and stop in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Supervisor;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};

use crate::actors::docker::{DockerActor, InFlight};
use crate::actors::log::LogActor;
use crate::actors::scheduler::SchedulerActor;
use crate::actors::store::Store;
use crate::actors::Actors;
use crate::config::{AuthMode, Config};
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::store::{db, queries};
use crate::web::{self, AppState};

/// Why the service could not start or run; printed as one line, exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// Runs the service until SIGTERM or SIGINT. Must be called inside an actix `System`.
pub async fn run(config: Config) -> Result<(), StartError> {
    let started = Instant::now();
    let _lock = db::lock_data_dir(&config.data_dir).map_err(StartError)?;
    let db_path = config.database_path();
    drop(db::open(&db_path).map_err(|e| StartError(format!("{e}: {}", e.cause())))?);

    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let bus = EventBus::default();
    let store = Store::start(db_path);
    match config.auth {
        AuthMode::Password => crate::auth::users::ensure_first_admin(
            &store,
            config.admin_password.clone(),
            &crate::auth::initial_password::path(&config.data_dir),
        )
        .await
        .map_err(|e| StartError(format!("creating the first admin: {}", e.cause())))?,
        AuthMode::None => log::warn!(
            "CHRONTAINER_AUTH=none: authentication is OFF. Anyone who can reach {} can stop every container \
             and, through Docker, control this host: use it only on a network you trust completely",
            config.listen
        ),
    }
    let docker = {
        let (bus, metrics, timeout) = (bus.clone(), metrics.clone(), config.stop_timeout);
        Supervisor::start(move |_| DockerActor::new(bus, metrics, timeout))
    };
    let log = {
        let (store, bus, metrics, days) =
            (store.clone(), bus.clone(), metrics.clone(), config.log_retention_days);
        Supervisor::start(move |_| LogActor::new(store, bus, metrics, days))
    };
    let scheduler = {
        let (store, docker, log, bus, metrics) =
            (store.clone(), docker.clone(), log.clone(), bus.clone(), metrics.clone());
        let grace = config.misfire_grace;
        Supervisor::start(move |_| SchedulerActor::new(store, docker, log, bus, metrics, grace))
    };
    let templates =
        Arc::new(web::pages::templates().map_err(|e| StartError(format!("templates: {}", e.cause())))?);
    let state = AppState {
        config: config.clone(),
        actors: Actors { store: store.clone(), docker: docker.clone(), scheduler, log },
        bus,
        metrics,
        templates,
        throttle: Arc::default(),
    };

    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(4);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(actix_web::web::Data::new(state.clone()))
            // registered last, so outermost: the headers go on every answer, refusals included
            .wrap(from_fn(web::middleware::authenticate))
            .wrap(from_fn(web::middleware::security_headers))
            .configure(web::configure)
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(config.stop_timeout.as_secs() + 5)
    .bind(config.listen)
    .map_err(|e| StartError(format!("CHRONTAINER_LISTEN={} cannot be bound: {e}", config.listen)))?;
    for addr in server.addrs() {
        log::info!("listening on http://{addr} (started in {} ms)", started.elapsed().as_millis());
    }
    let server = server.run();
    let handle = server.handle();
    let server_task = actix_rt::spawn(server);

    wait_for_signal().await;
    log::info!("shutting down: no new requests; waiting for actions in flight");
    handle.stop(true).await;
    let deadline = Instant::now() + config.stop_timeout + Duration::from_secs(1);
    while Instant::now() < deadline {
        match docker.send(InFlight).await {
            Ok(0) | Err(_) => break,
            Ok(_) => actix_rt::time::sleep(Duration::from_millis(100)).await,
        }
    }
    if let Err(e) = store.run(queries::checkpoint).await {
        log::warn!("WAL checkpoint at shutdown failed: {}", e.cause());
    }
    let _ = server_task.await;
    log::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => log::info!("SIGTERM received"),
                _ = tokio::signal::ctrl_c() => log::info!("SIGINT received"),
            }
        }
        Err(e) => {
            log::warn!("cannot listen for SIGTERM ({e}); stopping on SIGINT only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
