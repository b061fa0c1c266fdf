//! Housekeeping while the server runs: renewals of due services (every
//! minute, where the worker runs), expired idempotency keys (kept at least
//! 24 h), expired sessions and old login attempts (hourly).

use app::{services::service::renew_due, store::Store, timestamp::Timestamp};
use std::time::Duration;

const RENEW_EVERY: Duration = Duration::from_secs(60);
const SWEEP_EVERY: u32 = 60;

pub async fn run(store: Store, renewals: bool) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    let mut n: u32 = 0;
    loop {
        tick.tick().await;
        if renewals {
            match renew_due(&store, Timestamp::now()).await {
                Ok(0) => {}
                Ok(renewed) => tracing::info!(renewed, "services renewed"),
                Err(err) => tracing::warn!(code = %err.code, "renewing services failed"),
            }
        }
        if n.is_multiple_of(SWEEP_EVERY) {
            sweep(&store).await;
        }
        n = n.wrapping_add(1);
    }
}

/// One pass; errors are logged and the next pass tries again.
pub async fn sweep(store: &Store) {
    let now = Timestamp::now();
    match store.purge_idempotency_keys(now).await {
        Ok(n) if n > 0 => tracing::info!(removed = n, "expired idempotency keys purged"),
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "purging idempotency keys failed"),
    }
    if let Err(err) = store
        .purge_expired_sessions(now, now.minus(time::Duration::days(1)))
        .await
    {
        tracing::warn!(%err, "purging sessions failed");
    }
}
