//! Purging what is older than the retention period (`FLUX_RETENTION_DAYS`):
//! the partner API request log, webhook attempts, finished deliveries and
//! their events, and the queue's finished jobs. Each statement deletes one
//! batch and commits on its own, so no sweep holds a lock for long (nor,
//! on SQLite, the write lock between batches).

use super::{Db, Store, StoreResult, with_pool};
use crate::timestamp::Timestamp;

/// Rows per delete statement.
const BATCH: i64 = 2_000;

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub api_requests: u64,
    pub attempts: u64,
    pub deliveries: u64,
    pub events: u64,
    pub jobs: u64,
}

impl Store {
    /// Deletes, a batch at a time, what is older than `before`. Pending and
    /// held deliveries (and so their events) are kept whatever their age.
    pub async fn purge_older_than(&self, before: Timestamp) -> StoreResult<Purged> {
        Ok(Purged {
            api_requests: self.purge_batches(PURGE_API_REQUESTS, before).await?,
            attempts: self.purge_batches(&purge_attempts(), before).await?,
            deliveries: self.purge_deliveries(before).await?,
            events: self.purge_batches(PURGE_EVENTS, before).await?,
            jobs: self.purge_jobs(before).await?,
        })
    }

    async fn purge_batches(&self, sql: &str, before: Timestamp) -> StoreResult<u64> {
        let mut removed = 0;
        loop {
            let sql = sqlx::AssertSqlSafe(sql.to_owned());
            let n = with_pool!(self, pool => {
                sqlx::query(sql).bind(before).bind(BATCH).execute(pool).await?.rows_affected()
            });
            removed += n;
            if n < BATCH as u64 {
                return Ok(removed);
            }
        }
    }

    /// Finished deliveries (succeeded, failed, cancelled), with whatever
    /// attempts they have left.
    async fn purge_deliveries(&self, before: Timestamp) -> StoreResult<u64> {
        let mut removed = 0;
        loop {
            let n = with_pool!(self, pool => {
                let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM webhook_deliveries d WHERE d.created_at < $1 AND {} ORDER BY d.id LIMIT $2",
                    super::webhooks::is_final("d")
                )))
                .bind(before)
                .bind(BATCH)
                .fetch_all(pool)
                .await?;
                for chunk in ids.chunks(500) {
                    let mut attempts = sqlx::QueryBuilder::new("DELETE FROM webhook_attempts WHERE delivery_id IN (");
                    let mut list = attempts.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    attempts.push(")");
                    attempts.build().execute(pool).await?;
                    let mut deliveries = sqlx::QueryBuilder::new("DELETE FROM webhook_deliveries WHERE id IN (");
                    let mut list = deliveries.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    deliveries.push(")");
                    deliveries.build().execute(pool).await?;
                }
                ids.len() as u64
            });
            removed += n;
            if n < BATCH as u64 {
                return Ok(removed);
            }
        }
    }

    /// The delivery queue's finished jobs (apalis keeps them otherwise).
    async fn purge_jobs(&self, before: Timestamp) -> StoreResult<u64> {
        let mut removed = 0;
        loop {
            let n = match &self.db {
                Db::Postgres(pool) => sqlx::query(
                    "DELETE FROM apalis.jobs WHERE id IN (
                        SELECT id FROM apalis.jobs WHERE status IN ('Done', 'Killed') AND done_at < $1 LIMIT $2)",
                )
                .bind(before)
                .bind(BATCH)
                .execute(pool)
                .await?
                .rows_affected(),
                // apalis-sqlite keeps `done_at` in unix seconds.
                Db::Sqlite(pool) => sqlx::query(
                    "DELETE FROM Jobs WHERE id IN (
                        SELECT id FROM Jobs WHERE status IN ('Done', 'Killed') AND done_at < $1 LIMIT $2)",
                )
                .bind(before.unix_seconds())
                .bind(BATCH)
                .execute(pool)
                .await?
                .rows_affected(),
            };
            removed += n;
            if n < BATCH as u64 {
                return Ok(removed);
            }
        }
    }
}

const PURGE_API_REQUESTS: &str = "DELETE FROM api_requests WHERE id IN (
    SELECT id FROM api_requests WHERE at < $1 ORDER BY id LIMIT $2)";

/// Attempts of finished deliveries (a pending delivery keeps its history).
fn purge_attempts() -> String {
    format!(
        "DELETE FROM webhook_attempts WHERE id IN (
            SELECT a.id FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE a.at < $1 AND {} ORDER BY a.id LIMIT $2)",
        super::webhooks::is_final("d")
    )
}

/// Events none of whose deliveries is left (all purged, or none made).
const PURGE_EVENTS: &str = "DELETE FROM webhook_events WHERE id IN (
    SELECT e.id FROM webhook_events e WHERE e.created_at < $1
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
    ORDER BY e.id LIMIT $2)";
