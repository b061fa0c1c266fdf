//! Service status changes and renewals (operator-side, any reseller).

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    ids::{ResellerId, ServiceId},
    services::{Service, ServiceStatus, SuspensionReason},
    timestamp::Timestamp,
};

/// A service's columns, in the order of [`Service`]'s fields.
pub(crate) const COLUMNS: &str = "id, order_id, customer_id, product_id, term, status, recurring_price, started_at, \
     next_renewal_at, suspension_reason";

/// A service and whose it is.
#[derive(sqlx::FromRow)]
struct Owned {
    #[sqlx(flatten)]
    service: Service,
    reseller_id: ResellerId,
}

impl Store {
    /// Any reseller's service (operators), with whose it is.
    pub async fn service_owned(&self, id: &ServiceId) -> StoreResult<(Service, ResellerId)> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, reseller_id FROM services WHERE id = $1"));
        let row: Option<Owned> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        });
        row.map(|r| (r.service, r.reseller_id)).found()
    }

    /// Any reseller's service (operators).
    pub async fn service_any(&self, id: &ServiceId) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM services WHERE id = $1"));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        })
        .found()
    }
}

impl StoreTx {
    /// Moves a service from `from` to `to` if it is still in `from`
    /// (compare-and-set: two concurrent changes cannot both win), with the
    /// suspension's reason (cleared otherwise). Returns the service as
    /// changed and its reseller, or `None`.
    pub async fn set_service_status(
        &mut self,
        id: &ServiceId,
        from: ServiceStatus,
        to: ServiceStatus,
        reason: Option<SuspensionReason>,
        now: Timestamp,
    ) -> StoreResult<Option<(Service, ResellerId)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE services SET status = $3, suspension_reason = $5, updated_at = $4
             WHERE id = $1 AND status = $2
             RETURNING {COLUMNS}, reseller_id"
        ));
        let row: Option<Owned> = on_tx!(self, t => {
            sqlx::query_as(sql)
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(now)
                .bind(reason)
                .fetch_optional(&mut **t)
                .await?
        });
        Ok(row.map(|r| (r.service, r.reseller_id)))
    }

    /// Up to `limit` active services due for renewal at `now`, oldest due
    /// first, locked for this transaction; on PostgreSQL rows another
    /// transaction holds are skipped, so several workers never renew one
    /// service twice.
    pub async fn due_services(&mut self, now: Timestamp, limit: i64) -> StoreResult<Vec<(Service, ResellerId)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, reseller_id FROM services
             WHERE status = 'active' AND next_renewal_at <= $1
             ORDER BY next_renewal_at LIMIT $2{}",
            self.dialect().skip_locked
        ));
        let rows: Vec<Owned> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(now).bind(limit).fetch_all(&mut **t).await?
        });
        Ok(rows.into_iter().map(|r| (r.service, r.reseller_id)).collect())
    }

    /// The service, locked until the transaction ends, with whose it is.
    pub async fn lock_service(&mut self, id: &ServiceId) -> StoreResult<Option<(Service, ResellerId)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, reseller_id FROM services WHERE id = $1{}",
            self.dialect().for_update
        ));
        let row: Option<Owned> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(id).fetch_optional(&mut **t).await?
        });
        Ok(row.map(|r| (r.service, r.reseller_id)))
    }

    pub async fn set_next_renewal(&mut self, id: &ServiceId, next: Timestamp, now: Timestamp) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("UPDATE services SET next_renewal_at = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(next)
                .bind(now)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }
}
