//! The partner API request log.

use super::{Db, Store, StoreResult, with_pool};
use crate::{
    api_log::{ApiRequest, ApiRequestFilter, NewApiRequest},
    lists::Page,
};

/// Columns per row; SQLite allows 32766 parameters per statement.
const COLUMNS: usize = 10;
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Writes a batch: PostgreSQL in INSERTs over arrays (one parameter
    /// per column, not per cell, which matters at thousands of requests a
    /// second), SQLite in one transaction of multi-row INSERTs.
    pub async fn insert_api_requests(&self, batch: &[NewApiRequest]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Relaxed pool: losing the last few log rows in a crash is the
        // accepted price for not flushing the disk for each batch.
        match &self.relaxed {
            Db::Postgres(pool) => {
                for chunk in pg_chunks(batch) {
                    insert_pg_chunk(pool, chunk).await?;
                }
            }
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                    let values = (0..chunk.len())
                        .map(|r| {
                            let cells = (1..=COLUMNS)
                                .map(|c| format!("${}", r * COLUMNS + c))
                                .collect::<Vec<_>>();
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
            }
        }
        Ok(())
    }

    /// Newest first. Only the filters given become conditions, so each
    /// combination is its own statement whose plan can use the index that
    /// serves it (`($1 IS NULL OR status = $1)` cannot use any once
    /// PostgreSQL caches a generic plan, and SQLite never does): the
    /// operator's "show me the errors" page must not walk the whole log.
    pub async fn api_requests(&self, filter: &ApiRequestFilter) -> StoreResult<Page<ApiRequest>> {
        let rows: Vec<ApiRequest> = with_pool!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT id, request_id, at, reseller_id, key_prefix, method, path, status, error_code,
                        duration_us, client_addr
                 FROM api_requests WHERE TRUE",
            );
            if let Some(reseller) = &filter.reseller_id {
                query.push(" AND reseller_id = ").push_bind(reseller);
            }
            if let Some(status) = filter.status {
                query.push(" AND status = ").push_bind(status);
            }
            if let Some(code) = &filter.error_code {
                query.push(" AND error_code = ").push_bind(code);
            }
            if let Some(prefix) = &filter.path_prefix {
                // substr, not LIKE: the same case-sensitive match on both
                // databases, and no wildcard to escape. An int4 length:
                // PostgreSQL has no substr(text, int8, int8).
                let chars = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                query.push(" AND substr(path, 1, ").push_bind(chars).push(") = ").push_bind(prefix);
            }
            if let Some(from) = filter.from {
                query.push(" AND at >= ").push_bind(from);
            }
            if let Some(to) = filter.to {
                query.push(" AND at < ").push_bind(to);
            }
            if let Some(after) = filter.page.after {
                query.push(" AND id < ").push_bind(after);
            }
            query.push(" ORDER BY id DESC LIMIT ").push_bind(filter.page.fetch());
            query.build_query_as().fetch_all(pool).await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |r| r.id.to_string()))
    }
}

/// Bytes of row data per PostgreSQL statement: under one TLS record
/// (16 KiB). sqlx 0.9.0 leaves TCP_NODELAY off (sqlx#4335), so a statement
/// sent as several records has its small last one held by Nagle until the
/// server's delayed ACK, ~40 ms: the log then fell behind at ~10k
/// requests/s and stalled them. Small statements go out in one write.
const PG_STATEMENT_BYTES: usize = 12 * 1024;

/// Splits a batch into runs of rows that stay under [`PG_STATEMENT_BYTES`].
fn pg_chunks(batch: &[NewApiRequest]) -> impl Iterator<Item = &[NewApiRequest]> {
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut n = 0;
        while n < rest.len() && (n == 0 || bytes + row_bytes(&rest[n]) <= PG_STATEMENT_BYTES) {
            bytes += row_bytes(&rest[n]);
            n += 1;
        }
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

/// About what a row costs on the wire: its text plus fixed-size fields and
/// per-element array headers.
fn row_bytes(r: &NewApiRequest) -> usize {
    let text = r.request_id.len()
        + r.reseller_id.as_ref().map_or(0, |id| id.as_str().len())
        + r.key_prefix.as_ref().map_or(0, String::len)
        + r.method.len()
        + r.path.len()
        + r.error_code.as_ref().map_or(0, String::len)
        + r.client_addr.len();
    text + 32 + 10 * 4 + 24
}

/// One INSERT over arrays (one parameter per column, not per cell).
async fn insert_pg_chunk(pool: &sqlx::PgPool, chunk: &[NewApiRequest]) -> StoreResult<()> {
    fn column<T>(chunk: &[NewApiRequest], f: impl Fn(&NewApiRequest) -> T) -> Vec<T> {
        chunk.iter().map(f).collect()
    }
    sqlx::query(
        "INSERT INTO api_requests (request_id, at, reseller_id, key_prefix, method, path, status,
            error_code, duration_us, client_addr)
         SELECT * FROM UNNEST($1::text[], $2::text[]::timestamptz[], $3::text[], $4::text[],
            $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::text[])",
    )
    .bind(column(chunk, |r| r.request_id.clone()))
    .bind(column(chunk, |r| r.at.rfc3339()))
    .bind(column(chunk, |r| {
        r.reseller_id.as_ref().map(|id| id.as_str().to_owned())
    }))
    .bind(column(chunk, |r| r.key_prefix.clone()))
    .bind(column(chunk, |r| r.method.clone()))
    .bind(column(chunk, |r| r.path.clone()))
    .bind(column(chunk, |r| r.status))
    .bind(column(chunk, |r| r.error_code.clone()))
    .bind(column(chunk, |r| r.duration_us))
    .bind(column(chunk, |r| r.client_addr.clone()))
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path_len: usize) -> NewApiRequest {
        NewApiRequest {
            request_id: "req_01jd8x2m3n4p5q6r7s8t9v0w1x".into(),
            at: crate::timestamp::Timestamp::now(),
            reseller_id: None,
            key_prefix: Some("flux_key_abcdef".into()),
            method: "GET".into(),
            path: "x".repeat(path_len),
            status: 200,
            error_code: None,
            duration_us: 12,
            client_addr: "127.0.0.1".into(),
        }
    }

    #[test]
    fn chunks_keep_every_row_in_order_and_stay_small() {
        let batch: Vec<_> = (0..500).map(|i| row(10 + i % 300)).collect();
        let chunks: Vec<_> = pg_chunks(&batch).collect();
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 500);
        assert!(
            chunks
                .iter()
                .all(|c| c.iter().map(row_bytes).sum::<usize>() <= PG_STATEMENT_BYTES)
        );
        let flat: Vec<_> = chunks.concat().into_iter().map(|r| r.path.len()).collect();
        assert_eq!(flat, batch.iter().map(|r| r.path.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_row_larger_than_the_limit_still_goes_alone() {
        let batch = vec![row(20_000), row(5)];
        let sizes: Vec<_> = pg_chunks(&batch).map(<[_]>::len).collect();
        assert_eq!(sizes, vec![1, 1]);
    }
}
