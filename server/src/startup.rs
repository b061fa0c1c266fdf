//! Building and running the server: callable from `main` and from tests
//! (port 0, fresh database).

use crate::{
    config::{Config, HttpLimits},
    connections, http,
    maintenance::Housekeeping,
    metrics::Metrics,
    partner_api::{PartnerState, audit::ApiLog, cache::PartnerCache, rate_limit},
    webhooks,
};
use anyhow::Context;
use app::{assets::SiteAssets, state::AppState, store::Store};
use leptos::config::{Env, LeptosOptions};
use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::AtomicBool},
};
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    router: axum::Router,
    api_log: ApiLog,
    api_log_writer: tokio::task::JoinHandle<()>,
    /// The webhook worker, unless served separately (`--no-worker`).
    worker: Option<(Arc<webhooks::job::Deliverer>, webhooks::job::WorkerSettings)>,
    limits: HttpLimits,
    housekeeping: Housekeeping,
    metrics: Metrics,
    /// Set on shutdown: `/readyz` answers 503 while the server drains.
    draining: Arc<AtomicBool>,
    drain: std::time::Duration,
}

/// Connects, migrates, finds the secrets key and seals what an earlier
/// version stored in plaintext: what `serve`, `worker` and `demo` share.
pub async fn open_state(config: &Config) -> anyhow::Result<AppState> {
    let store = Store::connect(&config.database_url)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    let key = config.load_secrets_key(&store).await?;
    let sealed = app::catalog::service::seal_stored_provisioning(&store, &key)
        .await
        .map_err(|e| anyhow::anyhow!("sealing provisioning settings: {}", e.message))?;
    if sealed > 0 {
        tracing::info!(products = sealed, "provisioning settings sealed at rest");
    }
    Ok(AppState::new(store, config.app_settings(key)))
}

impl Application {
    /// Connects, migrates, binds. The listener is bound before this returns,
    /// so `address()` is reachable as soon as `run_until_stopped` runs.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = open_state(&config).await?;
        let (api_log, api_log_writer) = ApiLog::start(state.store.clone());
        let metrics = Metrics::new();
        let partner = PartnerState {
            app: state.clone(),
            log: api_log.clone(),
            limiter: Arc::new(rate_limit::limiter(&state.store, config.rate_limit_window)),
            cache: Arc::new(PartnerCache::new(metrics.clone())),
            metrics: metrics.clone(),
        };
        let draining = Arc::new(AtomicBool::new(false));

        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let address = listener.local_addr()?;
        let assets = SiteAssets::load(&config.site_root);
        let options = LeptosOptions::builder()
            .output_name(app::assets::OUTPUT_NAME)
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .env(Env::PROD)
            // Leptos joins this to the binary's folder; an absolute path
            // points it at the site's own list of hashed names.
            .hash_files(assets.hash_file().is_some())
            .hash_file(
                assets
                    .hash_file()
                    .map(|path| path.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "hash.txt".to_owned())
                    .into(),
            )
            .build();
        let operations = http::Operations {
            metrics: metrics.clone(),
            metrics_token: config.metrics_token.as_deref().map(Arc::from),
            draining: draining.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
        };
        let router = http::router(state.clone(), partner, options, assets, config.http, operations);
        let worker = if config.run_worker {
            Some(webhooks::deliverer(&config, &state, &metrics)?)
        } else {
            None
        };
        let housekeeping = housekeeping(&config, &state, &metrics);
        Ok(Application {
            listener,
            address,
            state,
            router,
            api_log,
            api_log_writer,
            worker,
            limits: config.http,
            housekeeping,
            metrics,
            draining,
            drain: config.drain,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn api_log(&self) -> &ApiLog {
        &self.api_log
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests,
    /// writes every API log record still buffered, and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|(deliverer, settings)| {
            tokio::spawn(webhooks::job::run(deliverer, settings, until_stopped(stopped.clone())))
        });
        let housekeeping = tokio::spawn(self.housekeeping.clone().run());
        let listener = tokio::spawn(listen_for_changes(self.state.store.clone(), self.metrics.clone()));
        // Draining: not ready (the load balancer stops sending), still serving.
        let (draining, drain) = (self.draining.clone(), self.drain);
        let shutdown = async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Release);
            if !drain.is_zero() {
                tracing::info!(seconds = drain.as_secs(), "draining: /readyz answers 503");
                tokio::time::sleep(drain).await;
            }
        };
        let served = connections::serve(self.listener, self.router, self.limits, shutdown)
            .await
            .context("serving HTTP");
        housekeeping.abort();
        self.housekeeping.release().await;
        listener.abort();
        let _ = stop.send(true);
        if let Some(worker) = worker {
            // In-flight attempts finish; what is left is queued for later.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(20), worker).await;
        }
        // Every request has finished: write what the API log still holds.
        self.api_log.flush().await;
        tracing::info!("API log flushed");
        self.api_log_writer.abort();
        self.state.store.close().await;
        served
    }
}

/// Completes once `stopped` turns true.
pub async fn until_stopped(mut stopped: tokio::sync::watch::Receiver<bool>) {
    while !*stopped.borrow() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// `fluxbilling worker`: deliveries and renewals only, until a signal.
pub async fn run_worker(mut config: Config) -> anyhow::Result<()> {
    config.run_worker = true;
    let state = open_state(&config).await?;
    let metrics = Metrics::new();
    let (deliverer, settings) = webhooks::deliverer(&config, &state, &metrics)?;
    let chores = housekeeping(&config, &state, &metrics);
    let running = tokio::spawn(chores.clone().run());
    tracing::info!("webhook worker running");
    let result = webhooks::job::run(deliverer, settings, shutdown_signal()).await;
    running.abort();
    chores.release().await;
    state.store.close().await;
    result
}

/// This process's housekeeping; renewals where the worker runs.
fn housekeeping(config: &Config, state: &AppState, metrics: &Metrics) -> Housekeeping {
    Housekeeping {
        store: state.store.clone(),
        instance: format!("instance-{}", ulid::Ulid::new().to_string().to_lowercase()),
        every: config.housekeeping_every,
        renewals: config.run_worker,
        retention: config.retention,
        settings: state.settings.clone(),
        metrics: metrics.clone(),
    }
}

/// Drops this instance's request-path caches whenever another instance
/// announces a change (and after a lost connection, when some may have
/// been missed). Returns at once on SQLite.
async fn listen_for_changes(store: Store, metrics: Metrics) {
    let caches = store.clone();
    store
        .listen_for_changes(move |signal| {
            caches.forget_cached();
            metrics.change_signal(signal);
        })
        .await;
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
