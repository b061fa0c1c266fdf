//! The partner API request log.

use super::{Store, StoreResult, with_pool, with_tx};
use crate::api_log::{ApiRequest, ApiRequestFilter, NewApiRequest};

/// Columns per row; SQLite allows 32766 parameters per statement.
const COLUMNS: usize = 10;
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Writes a batch in one transaction, many rows per statement.
    pub async fn insert_api_requests(&self, batch: &[NewApiRequest]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        with_tx!(self, tx => {
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                let values = (0..chunk.len())
                    .map(|r| {
                        let cells = (1..=COLUMNS).map(|c| format!("${}", r * COLUMNS + c)).collect::<Vec<_>>();
                        format!("({})", cells.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = sqlx::AssertSqlSafe(format!(
                    "INSERT INTO api_requests (request_id, at, reseller_id, key_prefix, method, path, status,
                        error_code, duration_us, client_addr) VALUES {values}"
                ));
                let mut query = sqlx::query(sql);
                for r in chunk {
                    query = query
                        .bind(&r.request_id)
                        .bind(r.at)
                        .bind(r.reseller_id.as_ref())
                        .bind(r.key_prefix.as_deref())
                        .bind(&r.method)
                        .bind(&r.path)
                        .bind(r.status)
                        .bind(r.error_code.as_deref())
                        .bind(r.duration_us)
                        .bind(&r.client_addr);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Newest first.
    pub async fn api_requests(&self, filter: &ApiRequestFilter) -> StoreResult<Vec<ApiRequest>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, request_id, at, reseller_id, key_prefix, method, path, status, error_code,
                        duration_us, client_addr
                 FROM api_requests
                 WHERE ($1 IS NULL OR reseller_id = $1)
                   AND ($2 IS NULL OR status = $2)
                   AND ($3 IS NULL OR error_code = $3)
                   AND ($4 IS NULL OR at >= $4)
                   AND ($5 IS NULL OR at < $5)
                   AND ($6 IS NULL OR id < $6)
                 ORDER BY id DESC LIMIT $7",
            )
            .bind(filter.reseller_id.as_ref())
            .bind(filter.status)
            .bind(filter.error_code.as_deref())
            .bind(filter.from)
            .bind(filter.to)
            .bind(filter.before)
            .bind(i64::from(filter.limit))
            .fetch_all(pool)
            .await?
        }))
    }
}
