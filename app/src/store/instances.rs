//! What several instances on one database share (DESIGN.md "Storage and
//! scale"): announcements of changes that request-path caches depend on
//! (PostgreSQL `LISTEN/NOTIFY`), leases of background work, leases of
//! rate-limit quota, and whether this database is ready to serve.

use super::{Db, Store, StoreResult, with_pool};
use crate::timestamp::Timestamp;
use std::time::Duration;

/// Quota rows per delete statement.
const PURGE_BATCH: i64 = 2_000;

/// The PostgreSQL channel changes are announced on.
pub const CHANGES_CHANNEL: &str = "fluxbilling_changes";

/// Sends the change announcement, signed `$announcer` (the sending
/// process), in the transaction `$conn` runs (PostgreSQL delivers it to
/// listeners when, and only if, that transaction commits); `$dialect` says
/// whether to (SQLite has no other instance to tell). A macro, not a
/// generic function: a generic executor's lifetime makes every caller's
/// future lose `Send`.
macro_rules! announce_change {
    ($dialect:expr, $announcer:expr, $conn:expr) => {
        if $dialect.announces_changes {
            sqlx::query("SELECT pg_notify('fluxbilling_changes', $1)")
                .bind($announcer)
                .execute($conn)
                .await?;
        }
    };
}
pub(crate) use announce_change;

/// What a listener saw (see [`Store::listen_for_changes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSignal {
    /// Another transaction (any instance's) committed a change.
    Changed,
    /// The listening connection was lost and is being re-established:
    /// announcements may have been missed.
    Reconnected,
}

/// A quota lease: how much of the window's quota this call got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaLease {
    /// Units granted by this call (0 when the window's quota is all taken).
    pub granted: u64,
    /// Units of the window not yet taken by any instance.
    pub left: u64,
    /// Which window: its start, in ms of the database's clock.
    pub window_index: i64,
    /// Time until that window ends.
    pub window_left: Duration,
}

impl Store {
    /// Runs until the store closes, calling `on_signal` for every other
    /// process's announcement and after every lost connection. On SQLite returns at
    /// once: one instance, nothing to hear.
    pub async fn listen_for_changes(&self, on_signal: impl Fn(ChangeSignal) + Send) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let mut backoff = Duration::from_millis(100);
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
                Ok(listener) => listener,
                Err(err) if pool.is_closed() => {
                    tracing::debug!(%err, "store closed: change listener stops");
                    return;
                }
                Err(err) => {
                    tracing::warn!(%err, "change listener cannot connect; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(err) = listener.listen(CHANGES_CHANNEL).await {
                tracing::warn!(%err, "change listener cannot subscribe; retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            backoff = Duration::from_millis(100);
            // What was cached while nobody listened may be stale.
            on_signal(ChangeSignal::Reconnected);
            loop {
                match listener.try_recv().await {
                    Ok(Some(heard)) if heard.payload() == &*self.announcer => {}
                    Ok(Some(_)) => on_signal(ChangeSignal::Changed),
                    // The connection dropped; the next call reconnects and
                    // re-subscribes. Anything sent meanwhile is lost.
                    Ok(None) => {
                        tracing::warn!("change listener lost its connection; reconnecting");
                        on_signal(ChangeSignal::Reconnected);
                    }
                    Err(err) => {
                        if pool.is_closed() {
                            return;
                        }
                        tracing::warn!(%err, "change listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }

    /// Drops every request-path cache of this process (the epoch moves on).
    pub fn forget_cached(&self) {
        self.bump_epoch();
    }

    /// Takes or renews the lease `name` for `holder` until `until`: true
    /// when `holder` holds it now (it was free, expired, or already its).
    pub async fn take_lease(&self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> StoreResult<bool> {
        let held: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO background_leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE background_leases.holder = excluded.holder OR background_leases.expires_at <= $4
                 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(until)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(held.is_some())
    }

    /// Gives the lease up (graceful shutdown): another instance may take
    /// it at its next pass instead of waiting for it to expire.
    pub async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM background_leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Takes up to `want` units of `limit` for `key` in the current
    /// `window` (PostgreSQL only: one statement, by the database's clock).
    /// `None` on SQLite, whose limits count in memory.
    pub async fn lease_quota(
        &self,
        scope: &str,
        key: &str,
        limit: u64,
        want: u64,
        window: Duration,
    ) -> StoreResult<Option<QuotaLease>> {
        // Lost leases (a crash before the flush) only mean a window's quota
        // was less used than recorded: the relaxed pool is enough.
        let Db::Postgres(pool) = &self.relaxed else {
            return Ok(None);
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let want = i64::try_from(want).unwrap_or(i64::MAX).min(limit);
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
        // A window starts at the first lease after the last one ended (as
        // on SQLite, at a key's first event), by the database's clock:
        // `window_index` is its start in ms. In SET, the table's columns
        // are the values before the update, `excluded.window_index` is
        // now; `granted` is what this call took, `leased` the window's
        // total.
        let row: (i64, i64, i64, i64) = sqlx::query_as(
            "WITH clock AS (
                 SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT) AS now_ms
             )
             INSERT INTO quota_leases AS q (scope, key, window_index, leased, granted, ends_ms)
             SELECT $1, $2, now_ms, $4, $4, now_ms + $5 FROM clock
             ON CONFLICT (scope, key) DO UPDATE SET
                 window_index = CASE WHEN q.ends_ms > excluded.window_index
                     THEN q.window_index ELSE excluded.window_index END,
                 ends_ms = CASE WHEN q.ends_ms > excluded.window_index
                     THEN q.ends_ms ELSE excluded.ends_ms END,
                 leased = CASE WHEN q.ends_ms > excluded.window_index
                     THEN q.leased + GREATEST(0, LEAST($4, $3 - q.leased)) ELSE excluded.leased END,
                 granted = CASE WHEN q.ends_ms > excluded.window_index
                     THEN GREATEST(0, LEAST($4, $3 - q.leased)) ELSE excluded.granted END
             RETURNING granted, leased, window_index, ends_ms - (SELECT now_ms FROM clock)",
        )
        .bind(scope)
        .bind(key)
        .bind(limit)
        .bind(want)
        .bind(window_ms)
        .fetch_one(pool)
        .await?;
        let (granted, leased, window_index, left_ms) = row;
        Ok(Some(QuotaLease {
            granted: u64::try_from(granted).unwrap_or(0),
            left: u64::try_from(limit.saturating_sub(leased)).unwrap_or(0),
            window_index,
            window_left: Duration::from_millis(u64::try_from(left_ms).unwrap_or(0)),
        }))
    }

    /// Deletes the quota rows of windows that ended before `before`, a
    /// batch at a time (PostgreSQL; SQLite keeps none); returns how many.
    /// A key whose row is gone starts its next window afresh, as it would
    /// anyway: only windows still running hold quota that counts.
    pub async fn purge_ended_quota(&self, before: Timestamp) -> StoreResult<u64> {
        let Db::Postgres(pool) = &self.db else {
            return Ok(0);
        };
        let before_ms = before.unix_micros() / 1000;
        let mut removed = 0;
        loop {
            let n = sqlx::query(
                "DELETE FROM quota_leases WHERE (scope, key) IN (
                     SELECT scope, key FROM quota_leases WHERE ends_ms < $1 LIMIT $2)",
            )
            .bind(before_ms)
            .bind(PURGE_BATCH)
            .execute(pool)
            .await?
            .rows_affected();
            removed += n;
            if n < PURGE_BATCH as u64 {
                return Ok(removed);
            }
        }
    }

    /// Whether every migration this build knows is applied (`/readyz`).
    /// Versions a newer build applied are fine: migrations only add.
    pub async fn migrations_applied(&self) -> StoreResult<bool> {
        let applied: Vec<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(pool)
                .await?
        });
        let known: Vec<i64> = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("../migrations/sqlite")
                .iter()
                .map(|m| m.version)
                .collect(),
            Db::Postgres(_) => sqlx::migrate!("../migrations/postgres")
                .iter()
                .map(|m| m.version)
                .collect(),
        };
        Ok(known.iter().all(|version| applied.contains(version)))
    }
}
