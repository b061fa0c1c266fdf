//! Idempotency keys (one row per reseller and key, written with the work
//! it guards) and the claim that marks a key "in flight" while its
//! transaction runs: on PostgreSQL a transaction-scoped advisory lock,
//! released by the database when the transaction ends or its connection
//! dies; on SQLite, where one process owns the file, a set in this process.

use super::{Db, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{idempotency::Claim, ids::ResellerId, timestamp::Timestamp};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// A response saved under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedAnswer {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub expires_at: Timestamp,
}

/// SQLite's claims: keys whose transaction is running in this process.
#[derive(Clone, Debug, Default)]
pub(crate) struct LocalClaims(Arc<Mutex<HashSet<String>>>);

/// One key held in [`LocalClaims`]; dropping it releases the key.
/// A key claimed in this process (SQLite), released when dropped.
pub struct LocalClaim {
    claims: LocalClaims,
    name: String,
}

impl Drop for LocalClaim {
    fn drop(&mut self) {
        if let Ok(mut held) = self.claims.0.lock() {
            held.remove(&self.name);
        }
    }
}

impl LocalClaims {
    fn try_hold(&self, name: String) -> Option<LocalClaim> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.insert(name.clone()).then(|| LocalClaim {
            claims: self.clone(),
            name,
        })
    }
}

fn claim_name(reseller: &ResellerId, key: &str) -> String {
    format!("{reseller}\u{0}{key}")
}

/// A claim held apart from any work (see [`Store::hold_idempotency_claim`]),
/// until [`HeldClaim::release`].
pub enum HeldClaim {
    Local(#[allow(dead_code)] LocalClaim),
    Transaction(StoreTx),
}

impl HeldClaim {
    /// Releases the key now. On PostgreSQL the claim is a transaction's
    /// advisory lock: it ends with an explicit rollback, since a dropped
    /// sqlx transaction is only rolled back when its connection is next
    /// used, and until then the key would still look in flight.
    pub async fn release(self) -> StoreResult<()> {
        match self {
            HeldClaim::Local(claim) => {
                drop(claim);
                Ok(())
            }
            HeldClaim::Transaction(tx) => tx.rollback().await,
        }
    }
}

impl Store {
    /// Opens a write transaction that holds the claim on `key`, or `None`
    /// when another request holds it.
    pub async fn begin_claimed(&self, reseller: &ResellerId, key: &str) -> StoreResult<Option<StoreTx>> {
        match &self.db {
            Db::Sqlite(_) => {
                // Taken before BEGIN: SQLite's write lock would otherwise make
                // the second request wait for the first instead of hearing
                // that it is in flight.
                let Some(claim) = self.claims.try_hold(claim_name(reseller, key)) else {
                    return Ok(None);
                };
                let mut tx = self.begin().await?;
                tx.held.push(Box::new(claim));
                Ok(Some(tx))
            }
            Db::Postgres(_) => {
                let mut tx = self.begin().await?;
                let locked = tx
                    .try_lock(&format!("idempotency\u{0}{}", claim_name(reseller, key)))
                    .await?;
                Ok(locked.then_some(tx))
            }
        }
    }

    /// Holds the claim on `key` as a request in flight would, without
    /// blocking anyone else (on SQLite only the in-process claim, not the
    /// write lock). For tests and tools that need a key "in flight".
    pub async fn hold_idempotency_claim(&self, reseller: &ResellerId, key: &str) -> StoreResult<Option<HeldClaim>> {
        match &self.db {
            Db::Sqlite(_) => Ok(self.claims.try_hold(claim_name(reseller, key)).map(HeldClaim::Local)),
            Db::Postgres(_) => Ok(self.begin_claimed(reseller, key).await?.map(HeldClaim::Transaction)),
        }
    }

    /// Deletes expired keys, a batch at a time; returns how many.
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64> {
        let mut removed = 0;
        loop {
            let n = with_pool!(self, pool => {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE (reseller_id, idempotency_key) IN (
                        SELECT reseller_id, idempotency_key FROM idempotency_keys WHERE expires_at <= $1 LIMIT 1000)",
                )
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
            });
            removed += n;
            if n < 1000 {
                return Ok(removed);
            }
        }
    }
}

impl StoreTx {
    /// The answer saved under `key`, if any (expired or not).
    pub async fn saved_answer(&mut self, reseller: &ResellerId, key: &str) -> StoreResult<Option<SavedAnswer>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            request_hash: String,
            state: String,
            response_status: Option<i64>,
            response_body: Option<String>,
            expires_at: Timestamp,
        }
        let row: Option<Row> = on_tx!(self, t => {
            sqlx::query_as(
                "SELECT request_hash, state, response_status, response_body, expires_at
                 FROM idempotency_keys WHERE reseller_id = $1 AND idempotency_key = $2",
            )
            .bind(reseller)
            .bind(key)
            .fetch_optional(&mut **t)
            .await?
        });
        Ok(row.map(|row| SavedAnswer {
            // A row left "in flight" by a version that claimed keys in a
            // transaction of their own answers nothing: it has expired.
            expires_at: if row.state == "done" {
                row.expires_at
            } else {
                Timestamp::EPOCH
            },
            request_hash: row.request_hash,
            status: row.response_status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
            body: row.response_body.unwrap_or_default(),
        }))
    }

    pub async fn forget_idempotency_key(&mut self, reseller: &ResellerId, key: &str) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("DELETE FROM idempotency_keys WHERE reseller_id = $1 AND idempotency_key = $2")
                .bind(reseller)
                .bind(key)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }

    /// Saves the answer of a claimed request.
    pub async fn save_answer(
        &mut self,
        reseller: &ResellerId,
        claim: &Claim,
        status: u16,
        body: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO idempotency_keys (reseller_id, idempotency_key, request_hash, state,
                    response_status, response_body, created_at, expires_at)
                 VALUES ($1, $2, $3, 'done', $4, $5, $6, $7)",
            )
            .bind(reseller)
            .bind(claim.key.as_str())
            .bind(&claim.request_hash)
            .bind(i64::from(status))
            .bind(body)
            .bind(now)
            .bind(expires_at)
            .execute(&mut **t)
            .await
            .map_err(super::StoreError::from_write)?;
        });
        Ok(())
    }
}
