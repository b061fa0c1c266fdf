//! Idempotency keys of order placements (one row per reseller and key).
//!
//! The key is claimed in its own short transaction, committed before the
//! work starts, so that a second request with the same key while the first
//! is still running sees "in flight" instead of waiting; the response is
//! saved when the work is done and replayed afterwards.

use super::{Store, StoreResult, with_pool, with_tx};
use crate::{ids::ResellerId, timestamp::Timestamp};

/// What to do with a request carrying an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// The key is ours: do the work, then `finish` (or `abandon`) it.
    Started,
    /// Done before with the same body: answer this again.
    Replay { status: u16, body: String },
    /// Used before with another body.
    Mismatch,
    /// A request with this key is still running.
    InFlight,
}

#[derive(sqlx::FromRow)]
struct Existing {
    request_hash: String,
    state: String,
    response_status: Option<i64>,
    response_body: Option<String>,
    created_at: Timestamp,
    expires_at: Timestamp,
}

impl Store {
    /// Claims `key` for a request whose body hashes to `request_hash`.
    /// Expired keys are reused; a claim still "in flight" after
    /// `stale_after` (a crashed server) may be taken over.
    pub async fn idempotency_start(
        &self,
        reseller: &ResellerId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        ttl: time::Duration,
        stale_after: time::Duration,
    ) -> StoreResult<IdempotencyStart> {
        let expires = now.plus(ttl);
        // The common case, a new key, is one statement on the relaxed pool:
        // if a crash loses the claim, it also lost the order it guarded
        // (the order's own commit flushes the claim to disk before it).
        let claimed = with_pool!(self.relaxed(), pool => {
            sqlx::query(
                "INSERT INTO idempotency_keys (reseller_id, idempotency_key, request_hash, state, created_at, expires_at)
                 VALUES ($1, $2, $3, 'in_flight', $4, $5)
                 ON CONFLICT (reseller_id, idempotency_key) DO NOTHING",
            )
            .bind(reseller)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .bind(expires)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if claimed == 1 {
            return Ok(IdempotencyStart::Started);
        }
        with_tx!(self, tx => {
            let outcome = {
                let existing: Existing = sqlx::query_as(
                    "SELECT request_hash, state, response_status, response_body, created_at, expires_at
                     FROM idempotency_keys WHERE reseller_id = $1 AND idempotency_key = $2",
                )
                .bind(reseller)
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                let expired = existing.expires_at <= now;
                let stale = existing.state == "in_flight" && existing.created_at <= now.minus(stale_after);
                if expired || (stale && existing.request_hash == request_hash) {
                    sqlx::query(
                        "UPDATE idempotency_keys SET request_hash = $3, state = 'in_flight', response_status = NULL,
                            response_body = NULL, created_at = $4, expires_at = $5
                         WHERE reseller_id = $1 AND idempotency_key = $2",
                    )
                    .bind(reseller)
                    .bind(key)
                    .bind(request_hash)
                    .bind(now)
                    .bind(expires)
                    .execute(&mut *tx)
                    .await?;
                    IdempotencyStart::Started
                } else if existing.request_hash != request_hash {
                    IdempotencyStart::Mismatch
                } else if existing.state == "in_flight" {
                    IdempotencyStart::InFlight
                } else {
                    IdempotencyStart::Replay {
                        status: existing.response_status.unwrap_or(200) as u16,
                        body: existing.response_body.unwrap_or_default(),
                    }
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Saves the response to replay.
    pub async fn idempotency_finish(
        &self,
        reseller: &ResellerId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4
                 WHERE reseller_id = $1 AND idempotency_key = $2",
            )
            .bind(reseller)
            .bind(key)
            .bind(i64::from(status))
            .bind(body)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Releases a claim whose work failed on our side, so a retry runs.
    pub async fn idempotency_abandon(&self, reseller: &ResellerId, key: &str) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE reseller_id = $1 AND idempotency_key = $2 AND state = 'in_flight'")
                .bind(reseller)
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes expired keys; returns how many.
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
