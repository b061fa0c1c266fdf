//! SQL on the test's own database: as another instance, or the passage
//! of time, would change it.

use super::*;

/// Runs `$body` with `$pool` bound to the test database's pool, whichever
/// database it is (the query types differ, so the body is written once and
/// compiled twice).
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        if let Some($pool) = $store.postgres_pool() {
            $body
        } else {
            let $pool = $store.sqlite_pool().expect("a SQLite or PostgreSQL store");
            $body
        }
    };
}

/// Runs `sql` with one bound timestamp on the test's own database, as
/// another instance (or the passage of time) would change it.
pub async fn execute_at(store: &Store, sql: &str, at: app::timestamp::Timestamp) -> u64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    on_pool!(store, pool => sqlx::query(sql).bind(at).execute(pool).await.expect("SQL runs").rows_affected())
}

/// Runs `sql` on the test's own database.
pub async fn execute(store: &Store, sql: &str) -> u64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    on_pool!(store, pool => sqlx::query(sql).execute(pool).await.expect("SQL runs").rows_affected())
}

/// Counts the rows `sql` (a `SELECT COUNT(*) ...`) finds.
pub async fn count(store: &Store, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    on_pool!(store, pool => sqlx::query_scalar(sql).fetch_one(pool).await.expect("SQL runs"))
}

/// Counts the rows `sql` finds, with one bound timestamp.
pub async fn count_at(store: &Store, sql: &str, at: app::timestamp::Timestamp) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    on_pool!(store, pool => sqlx::query_scalar(sql).bind(at).fetch_one(pool).await.expect("SQL runs"))
}

/// The one text value `sql` (a `SELECT` of one column, one row) finds.
pub async fn text(store: &Store, sql: &str) -> String {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    on_pool!(store, pool => sqlx::query_scalar(sql).fetch_one(pool).await.expect("SQL runs"))
}
