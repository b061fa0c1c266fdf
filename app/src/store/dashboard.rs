//! The portal dashboard's figures, counted and summed by the database.

use super::{Store, StoreResult, with_pool};
use crate::{ids::ResellerId, money::Amount, services::ServiceStatus, timestamp::Timestamp};

/// The figures on the portal's dashboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DashboardStats {
    pub services_by_status: Vec<(ServiceStatus, i64)>,
    pub orders_this_month: i64,
    pub spend_this_month: Amount,
    pub api_requests_24h: i64,
    pub api_errors_24h: i64,
    /// (day number since 1970, orders, wholesale spend), days with orders.
    pub orders_by_day: Vec<(i64, i64, Amount)>,
    /// (hour number since 1970, requests, errors), hours with requests.
    pub api_by_hour: Vec<(i64, i64, i64)>,
}

impl Store {
    /// The dashboard's counts and sums, computed by the database.
    pub async fn dashboard(
        &self,
        reseller: &ResellerId,
        month_start: Timestamp,
        day_ago: Timestamp,
        days_ago: Timestamp,
    ) -> StoreResult<DashboardStats> {
        with_pool!(self, pool, dialect => {
            let by_status: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM services WHERE reseller_id = $1 GROUP BY status",
            )
            .bind(reseller)
            .fetch_all(pool)
            .await?;
            let (orders_this_month, spend_this_month): (i64, Amount) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(wholesale_total), 0) FROM orders
                 WHERE reseller_id = $1 AND created_at >= $2",
            )
            .bind(reseller)
            .bind(month_start)
            .fetch_one(pool)
            .await?;
            let (api_requests_24h, api_errors_24h): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0)
                 FROM api_requests WHERE reseller_id = $1 AND at >= $2",
            )
            .bind(reseller)
            .bind(day_ago)
            .fetch_one(pool)
            .await?;
            let by_day = sqlx::AssertSqlSafe(format!(
                "SELECT {day} AS d, COUNT(*), COALESCE(SUM(wholesale_total), 0) FROM orders
                 WHERE reseller_id = $1 AND created_at >= $2 GROUP BY d ORDER BY d",
                day = dialect.bucket("created_at", 86_400)
            ));
            let orders_by_day = sqlx::query_as(by_day).bind(reseller).bind(days_ago).fetch_all(pool).await?;
            let by_hour = sqlx::AssertSqlSafe(format!(
                "SELECT {hour} AS h, COUNT(*), COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0)
                 FROM api_requests WHERE reseller_id = $1 AND at >= $2 GROUP BY h ORDER BY h",
                hour = dialect.bucket("at", 3_600)
            ));
            let api_by_hour = sqlx::query_as(by_hour).bind(reseller).bind(day_ago).fetch_all(pool).await?;
            Ok(DashboardStats {
                orders_by_day,
                api_by_hour,
                services_by_status: ServiceStatus::ALL
                    .iter()
                    .copied()
                    .map(|s| (s, by_status.iter().find(|(k, _)| k == s.as_str()).map_or(0, |(_, n)| *n)))
                    .collect(),
                orders_this_month,
                spend_this_month,
                api_requests_24h,
                api_errors_24h,
            })
        })
    }
}
