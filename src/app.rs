//! Start-up and shutdown: lock the data directory, migrate, start the actors and the web server,
//! then wait for SIGTERM/SIGINT and stop in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Supervisor;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};

use crate::actors::labels::{self, LabelActor};
use crate::actors::log_actor::LogActor;
use crate::actors::notify::{NotifyActor, NotifySettings};
use crate::actors::runner::Runner;
use crate::actors::scheduler::{Limits, SchedulerActor};
use crate::actors::watch::WatchActor;
use crate::actors::Actors;
use crate::config::{AuthMode, Config};
use crate::docker::{Hosts, InFlight, OwnContainer};
use crate::domain::HostId;
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::outbound::Outbound;
use crate::store::{self, db, Store};
use crate::web::{self, AppState};

/// How long after listening start-up's own work (the first container lists, arming the schedules)
/// is done, and the code it ran can be unmapped (`memory::release_start_up_code`).
const START_UP_SETTLES: Duration = Duration::from_secs(5);

/// Why the service could not start or run; printed as one line, exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// Runs the service until SIGTERM or SIGINT. Must be called inside an actix `System`.
pub async fn run(config: Config) -> Result<(), StartError> {
    let started = Instant::now();
    crate::memory::return_large_blocks_to_the_os();
    let _lock = db::lock_data_dir(&config.data_dir).map_err(StartError)?;
    let db_path = config.database_path();
    drop(db::open(&db_path).map_err(|e| StartError(format!("{e}: {}", e.cause())))?);

    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let bus = EventBus::default();
    let store = Store::start(db_path);
    match config.auth {
        AuthMode::Password | AuthMode::Oidc | AuthMode::Proxy => store::users::ensure_first_admin(
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
    let hosts = start_hosts(&config, &store, &bus, &metrics).await?;
    let docker = hosts.get(&HostId::local()).map_err(|e| StartError(e.to_string()))?;
    let notify = {
        let (store, metrics, hosts, bus) = (store.clone(), metrics.clone(), hosts.clone(), bus.clone());
        let settings = NotifySettings {
            public_url: config.public_url.clone(),
            default_tz: config.timezone,
            batch_window: config.notify_batch,
        };
        Supervisor::start(move |_| NotifyActor::new(store, metrics, hosts.clone(), bus, settings.clone()))
    };
    let log = {
        let (store, bus, metrics, days) =
            (store.clone(), bus.clone(), metrics.clone(), config.log_retention_days);
        let notify = notify.clone();
        Supervisor::start(move |_| LogActor::new(store, bus, metrics, days).with_notifier(notify.clone()))
    };
    let runner = Runner::new(hosts.clone(), log);
    let scheduler = {
        let (store, runner, bus, metrics) = (store.clone(), runner.clone(), bus.clone(), metrics.clone());
        let grace = config.misfire_grace;
        let limits = Limits { max_schedules: config.max_schedules, min_interval: config.min_interval };
        Supervisor::start(move |_| SchedulerActor::new(store, runner, bus, metrics, grace, limits))
    };
    let watch = {
        let (store, runner, hosts, bus) = (store.clone(), runner.clone(), hosts.clone(), bus.clone());
        let grace = config.misfire_grace;
        Supervisor::start(move |_| WatchActor::new(store, runner, hosts, bus, grace))
    };
    let labels = {
        let (store, hosts, scheduler, runner, bus) =
            (store.clone(), hosts.clone(), scheduler.clone(), runner.clone(), bus.clone());
        let settings = labels::Settings { default_tz: config.timezone, grace: config.label_grace };
        Supervisor::start(move |_| LabelActor::new(store, hosts.clone(), scheduler, runner, bus, settings))
    };
    let templates =
        Arc::new(web::pages::templates().map_err(|e| StartError(format!("templates: {}", e.cause())))?);
    let state = AppState {
        config: config.clone(),
        actors: Actors {
            store: store.clone(),
            docker,
            hosts: hosts.clone(),
            scheduler,
            runner,
            watch,
            notify,
            labels,
        },
        bus,
        metrics,
        templates,
        throttle: Arc::default(),
        password_changes: Arc::default(),
        passwords: Arc::default(),
        streams: Arc::default(),
        rendered: Arc::default(),
        sso: config
            .oidc
            .clone()
            .map(|o| Arc::new(crate::auth::oidc::Provider::new(o, &config.group_roles, Outbound::new()))),
    };

    let server = HttpServer::new(move || {
        App::new()
            .app_data(actix_web::web::Data::new(state.clone()))
            // the last registered is the outermost: the headers go on every answer, refusals
            // included; then the host check, before anyone is identified
            .wrap(from_fn(web::middleware::authenticate))
            .wrap(from_fn(web::middleware::head_as_get))
            .wrap(from_fn(web::middleware::known_host))
            .wrap(from_fn(web::middleware::security_headers))
            .configure(web::configure)
    })
    .workers(config.workers)
    .disable_signals()
    .shutdown_timeout(config.stop_timeout.as_secs() + 5)
    .bind(config.listen)
    .map_err(|e| StartError(format!("CHRONTAINER_LISTEN={} cannot be bound: {e}", config.listen)))?;
    if let Some(warning) = plain_http_warning(&config) {
        log::warn!("{warning}");
    }
    for addr in server.addrs() {
        log::info!("listening on http://{addr} (started in {} ms)", started.elapsed().as_millis());
    }
    let server = server.run();
    let handle = server.handle();
    let server_task = actix_rt::spawn(server);
    actix_rt::spawn(async {
        actix_rt::time::sleep(START_UP_SETTLES).await;
        crate::memory::release_start_up_code();
    });

    wait_for_signal().await;
    log::info!("shutting down: no new requests; waiting for actions in flight");
    handle.stop(true).await;
    let deadline = Instant::now() + config.stop_timeout + Duration::from_secs(1);
    for (_, docker) in hosts.all() {
        while Instant::now() < deadline {
            match docker.send(InFlight).await {
                Ok(0) | Err(_) => break,
                Ok(_) => actix_rt::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    if let Err(e) = store::checkpoint(&store).await {
        log::warn!("WAL checkpoint at shutdown failed: {}", e.cause());
    }
    let _ = server_task.await;
    log::info!("stopped");
    Ok(())
}

/// One DockerActor per host: `local` from `DOCKER_HOST` (its row created at first start), then
/// every host added in the UI or the API.
async fn start_hosts(
    config: &Config,
    store: &Store,
    bus: &EventBus,
    metrics: &Arc<Metrics>,
) -> Result<Hosts, StartError> {
    let failed = |e: crate::error::AppError| StartError(format!("reading the hosts: {}", e.cause()));
    store::hosts::ensure_local(store, config.docker.url.clone()).await.map_err(failed)?;
    let own = OwnContainer::detect(config.self_container.clone());
    let hosts = Hosts::new(own, bus.clone(), metrics.clone(), config.stop_timeout, store.clone());
    hosts.start(HostId::local(), config.docker.clone());
    for row in store::hosts::list(store).await.map_err(failed)? {
        if row.name.as_str() != HostId::LOCAL {
            let endpoint = web::api::hosts::endpoint_of(&row, &config.data_dir);
            hosts.start(row.name, endpoint);
        }
    }
    Ok(hosts)
}

/// The warning for sign-ins that will cross the network unencrypted: a password is asked for,
/// the address is not loopback, and nothing says HTTPS is in front (secure cookies, or a proxy
/// trusted to tell).
fn plain_http_warning(config: &Config) -> Option<String> {
    let exposed = config.auth == AuthMode::Password
        && !config.listen.ip().is_loopback()
        && !config.secure_cookies
        && !config.trust_proxy;
    exposed.then(|| {
        format!(
            "sign-ins cross the network in clear text: Chrontainer listens on {} over plain HTTP, so anyone \
             on the way can read passwords and session cookies. Put Chrontainer behind HTTPS (a reverse \
             proxy, DEPLOYMENT.md section 7) and set CHRONTAINER_TRUST_PROXY=true or \
             CHRONTAINER_SECURE_COOKIES=true, or listen on 127.0.0.1 only",
            config.listen
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn plain_http_beyond_loopback_is_warned_about_unless_https_is_in_front() {
        let warning = plain_http_warning(&config(&[])).expect("the default 0.0.0.0:5000 is warned about");
        assert!(warning.starts_with("sign-ins cross the network in clear text"), "{warning}");
        assert!(plain_http_warning(&config(&[("CHRONTAINER_LISTEN", "192.168.1.2:5000")])).is_some());
        assert!(plain_http_warning(&config(&[("CHRONTAINER_LISTEN", "[::]:5000")])).is_some());
        for quiet in [
            ("CHRONTAINER_LISTEN", "127.0.0.1:5000"),
            ("CHRONTAINER_LISTEN", "[::1]:5000"),
            ("CHRONTAINER_SECURE_COOKIES", "true"),
            ("CHRONTAINER_TRUST_PROXY", "true"),
            ("CHRONTAINER_AUTH", "none"),
        ] {
            assert!(plain_http_warning(&config(&[quiet])).is_none(), "{quiet:?}");
        }
    }
}
