//! Housekeeping while the server runs: renewals of due services (every
//! minute, where the worker runs), expired idempotency keys (kept at least
//! 24 h), expired sessions and old login attempts, rate-limit windows that
//! ended, everything older than the retention period, and the balance
//! snapshots of months whose statement became final (hourly). Renewals
//! and snapshots follow the business clock (`app::clock`); the security
//! windows the sweep purges follow the system clock.
//!
//! Several instances may share the database: each job runs on one of them
//! at a time, the holder of its lease (`background_leases`, renewed on
//! every pass, given up on shutdown, taken over by another instance once
//! it runs out: three missed passes, and at least 30 s).

use crate::metrics::Metrics;
use app::{
    billing::service::close_periods, price_book::service::announce_due, services::service::renew_due, state::Settings,
    store::Store, timestamp::Timestamp,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How long after its end a rate-limit window's row is kept: more than
/// the clocks of the database and an instance may differ.
const QUOTA_CLOCK_MARGIN: time::Duration = time::Duration::minutes(5);
/// Passes a lease outlives its last renewal by...
const LEASE_PASSES: u32 = 3;
/// ...and at least this long, so a holder whose pass runs late on a busy
/// machine keeps it (another instance takes over a crashed holder's lease
/// after this at most).
const LEASE_AT_LEAST: Duration = Duration::from_secs(30);

/// One instance's housekeeping.
#[derive(Clone, Debug)]
pub struct Housekeeping {
    pub store: Store,
    /// Names this instance in the leases (unique per process).
    pub instance: String,
    pub every: Duration,
    /// Whether this instance renews services (it runs the worker).
    pub renewals: bool,
    pub retention: Duration,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
}

/// The jobs, each with its own lease: an instance without the worker
/// (`serve --no-worker`) sweeps but does not renew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Renewals,
    Sweeps,
}

impl Job {
    fn lease(self) -> &'static str {
        match self {
            Job::Renewals => "renewals",
            Job::Sweeps => "sweeps",
        }
    }
}

impl Housekeeping {
    pub async fn run(self) {
        let mut tick = tokio::time::interval(self.every);
        let mut last_sweep: Option<Instant> = None;
        loop {
            tick.tick().await;
            if self.renewals && self.holds(Job::Renewals).await {
                match renew_due(&self.store, self.store.now()).await {
                    Ok(0) => {}
                    Ok(renewed) => tracing::info!(renewed, "services renewed"),
                    Err(err) => tracing::warn!(code = %err.code, "renewing services failed"),
                }
                // Under the same lease: each announcement goes out once.
                match announce_due(&self.store, self.store.now()).await {
                    Ok(0) => {}
                    Ok(announced) => tracing::info!(announced, "price versions took effect"),
                    Err(err) => tracing::warn!(code = %err.code, "announcing price versions failed"),
                }
            }
            let sweep_due = last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY);
            if sweep_due && self.holds(Job::Sweeps).await {
                sweep(&self.store, Timestamp::now(), self.retention).await;
                close(&self.store, &self.settings).await;
                last_sweep = Some(Instant::now());
            }
        }
    }

    /// Takes or renews `job`'s lease; false when another instance holds it
    /// (or the database cannot say: then nobody should assume it).
    async fn holds(&self, job: Job) -> bool {
        let now = Timestamp::now();
        let lasts = (self.every * LEASE_PASSES).max(LEASE_AT_LEAST);
        let lasts = time::Duration::try_from(lasts).unwrap_or(time::Duration::minutes(3));
        let held = match self
            .store
            .take_lease(job.lease(), &self.instance, now, now.plus(lasts))
            .await
        {
            Ok(held) => held,
            Err(err) => {
                tracing::warn!(%err, lease = job.lease(), "taking the housekeeping lease failed");
                false
            }
        };
        if job == Job::Renewals {
            self.metrics.housekeeping(held);
        }
        held
    }

    /// Gives up this instance's leases (graceful shutdown).
    pub async fn release(&self) {
        for job in [Job::Renewals, Job::Sweeps] {
            if let Err(err) = self.store.release_lease(job.lease(), &self.instance).await {
                tracing::warn!(%err, lease = job.lease(), "releasing the housekeeping lease failed");
            }
        }
    }
}

/// Snapshots the balances of months whose statement is now final; errors
/// are logged and the next pass tries again.
pub async fn close(store: &Store, settings: &Settings) {
    match close_periods(store, settings).await {
        Ok(0) => {}
        Ok(written) => tracing::info!(written, "balance snapshots of final months written"),
        Err(err) => tracing::warn!(code = %err.code, "writing balance snapshots failed"),
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
    // Windows that ended a while ago: the lease that wrote a row measured
    // its window by the database's clock, `now` is this instance's, and a
    // row purged while its window runs would hand out the window afresh.
    match store.purge_ended_quota(now.minus(QUOTA_CLOCK_MARGIN)).await {
        Ok(n) if n > 0 => tracing::info!(removed = n, "ended rate-limit windows purged"),
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "purging rate-limit windows failed"),
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
