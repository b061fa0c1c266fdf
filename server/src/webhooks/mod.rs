//! Outbound webhook delivery: signing, the HTTP client that refuses
//! internal addresses, and the apalis job with its worker. Events and
//! deliveries are recorded by the store with the changes that cause them.

pub mod bookkeeping;
pub mod client;
pub mod job;
pub mod signing;

use crate::config::Config;
use app::state::AppState;
use std::sync::Arc;

/// The deliverer and worker settings for `config`.
pub fn deliverer(
    config: &Config,
    state: &AppState,
    metrics: &crate::metrics::Metrics,
) -> anyhow::Result<(Arc<job::Deliverer>, job::WorkerSettings)> {
    let deliverer = job::Deliverer {
        store: state.store.clone(),
        secrets_key: state.settings.secrets_key.clone(),
        http: client::build(
            config.webhook_timeout,
            config.webhook_allow_private,
            config.webhook_concurrency,
        )?,
        schedule: config.webhook_retry_schedule.clone(),
        allow_private: config.webhook_allow_private,
        metrics: metrics.clone(),
        bookkeeper: bookkeeping::Bookkeeper::start(state.store.clone()),
        provisioner: Arc::new(crate::provisioning::Provisioner::new(
            state.store.clone(),
            state.settings.secrets_key.clone(),
            config.provisioning_timeout,
            config.webhook_retry_schedule.clone(),
            metrics.clone(),
        )?),
    };
    let settings = job::WorkerSettings {
        concurrency: config.webhook_concurrency,
        heartbeat: config.worker_heartbeat,
        missed_heartbeats: 3,
    };
    Ok((Arc::new(deliverer), settings))
}
