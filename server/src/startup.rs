//! Building and running the server: callable from `main` and from tests
//! (port 0, fresh database).

use crate::{
    config::{Config, HttpLimits},
    connections, http, maintenance,
    partner_api::{PartnerState, audit::ApiLog, rate_limit::RateLimiter},
    webhooks,
};
use anyhow::Context;
use app::{state::AppState, store::Store};
use leptos::config::{Env, LeptosOptions};
use std::{future::Future, net::SocketAddr, sync::Arc};
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
    retention: std::time::Duration,
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
        let partner = PartnerState {
            app: state.clone(),
            log: api_log.clone(),
            limiter: Arc::new(RateLimiter::new(config.rate_limit_window)),
            cache: Arc::default(),
        };

        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let address = listener.local_addr()?;
        let options = LeptosOptions::builder()
            .output_name("fluxbilling")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .env(Env::PROD)
            .build();
        let router = http::router(state.clone(), partner, options, config.http);
        let worker = if config.run_worker {
            Some(webhooks::deliverer(&config, &state)?)
        } else {
            None
        };
        Ok(Application {
            listener,
            address,
            state,
            router,
            api_log,
            api_log_writer,
            worker,
            limits: config.http,
            retention: config.retention,
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
        let housekeeping = tokio::spawn(maintenance::run(
            self.state.store.clone(),
            worker.is_some(),
            self.retention,
        ));
        let served = connections::serve(self.listener, self.router, self.limits, shutdown)
            .await
            .context("serving HTTP");
        housekeeping.abort();
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
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let state = open_state(&config).await?;
    let (deliverer, settings) = webhooks::deliverer(&config, &state)?;
    let housekeeping = tokio::spawn(maintenance::run(state.store.clone(), true, config.retention));
    tracing::info!("webhook worker running");
    let result = webhooks::job::run(deliverer, settings, shutdown_signal()).await;
    housekeeping.abort();
    state.store.close().await;
    result
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
