//! Housekeeping while the server runs: renewals of due services (every
//! minute, where the worker runs), expired idempotency keys (kept at least
//! 24 h), expired sessions and old login attempts, and everything older
//! than the retention period (hourly).

use app::{services::service::renew_due, store::Store, timestamp::Timestamp};
use std::time::Duration;

const RENEW_EVERY: Duration = Duration::from_secs(60);
const SWEEP_EVERY: u32 = 60;

pub async fn run(store: Store, renewals: bool, retention: Duration) {
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
            sweep(&store, Timestamp::now(), retention).await;
        }
        n = n.wrapping_add(1);
    }
}

/// One pass as of `now`; errors are logged and the next pass tries again.
pub async fn sweep(store: &Store, now: Timestamp, retention: Duration) {
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
    let before = now.minus(time::Duration::try_from(retention).unwrap_or(time::Duration::days(90)));
    match store.purge_older_than(before).await {
        Ok(purged) if purged != app::store::Purged::default() => {
            tracing::info!(?purged, "entries older than the retention period purged");
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "purging old entries failed"),
    }
}
