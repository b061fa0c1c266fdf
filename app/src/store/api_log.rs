//! The partner API request log.

use super::{Db, Store, StoreResult, with_pool};
use crate::api_log::{ApiRequest, ApiRequestFilter, NewApiRequest};

/// Columns per row; SQLite allows 32766 parameters per statement.
const COLUMNS: usize = 10;
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Writes a batch: PostgreSQL through `COPY` (far cheaper per row than
    /// bound INSERT parameters, which matters at thousands of requests a
    /// second), SQLite in one transaction of multi-row INSERTs.
    pub async fn insert_api_requests(&self, batch: &[NewApiRequest]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Relaxed pool: losing the last few log rows in a crash is the
        // accepted price for not flushing the disk for each batch.
        match &self.relaxed {
            Db::Postgres(pool) => {
                use sqlx::postgres::PgPoolCopyExt;
                let mut copy = pool
                    .copy_in_raw(
                        "COPY api_requests (request_id, at, reseller_id, key_prefix, method, path, status,
                            error_code, duration_us, client_addr) FROM STDIN (FORMAT csv)",
                    )
                    .await?;
                copy.send(copy_csv(batch).into_bytes()).await?;
                copy.finish().await?;
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

/// The batch as CSV for `COPY ... (FORMAT csv)`: every text quoted (an
/// unquoted empty field is NULL), timestamps in RFC 3339.
fn copy_csv(batch: &[NewApiRequest]) -> String {
    fn text(value: &str) -> String {
        format!("\"{}\"", value.replace('"', "\"\""))
    }
    fn optional(value: Option<&str>) -> String {
        value.map(text).unwrap_or_default()
    }
    let mut out = String::with_capacity(batch.len() * 160);
    for r in batch {
        let row = [
            text(&r.request_id),
            r.at.rfc3339(),
            optional(r.reseller_id.as_ref().map(|id| id.as_str())),
            optional(r.key_prefix.as_deref()),
            text(&r.method),
            text(&r.path),
            r.status.to_string(),
            optional(r.error_code.as_deref()),
            r.duration_us.to_string(),
            text(&r.client_addr),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_quote_text_and_leave_nulls_empty() {
        let row = NewApiRequest {
            request_id: "req_1".into(),
            at: crate::timestamp::Timestamp::parse_rfc3339("2026-01-02T03:04:05Z").unwrap(),
            reseller_id: None,
            key_prefix: None,
            method: "GET".into(),
            path: "/api/v1/x?a=\"b\",c".into(),
            status: 401,
            error_code: Some("unauthenticated".into()),
            duration_us: 12,
            client_addr: "127.0.0.1".into(),
        };
        assert_eq!(
            copy_csv(&[row]),
            "\"req_1\",2026-01-02T03:04:05Z,,,\"GET\",\"/api/v1/x?a=\"\"b\"\",c\",401,\"unauthenticated\",12,\"127.0.0.1\"\n"
        );
    }
}
