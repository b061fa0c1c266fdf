//! Housekeeping while the server runs: expired idempotency keys (kept at
//! least 24 h), expired sessions and old login attempts.

use app::{store::Store, timestamp::Timestamp};
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(store: Store) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        sweep(&store).await;
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
