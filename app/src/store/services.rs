//! Services: a reseller's (scoped reads), any reseller's (operators),
//! new ones (an order's), status changes and renewals.

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    ids::{ProductId, ResellerId, ServiceId},
    lists::Page,
    services::{Service, ServiceFilter, ServiceStatus, SuspensionReason},
    timestamp::Timestamp,
};

/// A service's columns, in the order of [`Service`]'s fields.
pub(crate) const COLUMNS: &str = "id, order_id, customer_id, product_id, term, status, recurring_price, price_locked_at, started_at, \
     next_renewal_at, suspension_reason, provisioning, details, cancel_at, cancel_reason, scheduled_change";

/// [`COLUMNS`], each named through `alias` (`s.id, s.order_id, ...`), for
/// queries that join services to other tables.
pub(crate) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQL condition "the service of `alias` holds a unit of its product"
/// (counted against the price book's `max_quantity`): every service until
/// it is terminated. The one place the rule is written for SQL.
pub(crate) fn holds_unit(alias: &str) -> String {
    format!("{alias}.status <> '{}'", ServiceStatus::Terminated.as_str())
}

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

    /// Up to `limit` services due at `now`: active ones due for renewal and
    /// any whose scheduled cancellation has come, oldest due first, locked for this transaction; on PostgreSQL rows another
    /// transaction holds are skipped, so several workers never renew one
    /// service twice.
    pub async fn due_services(&mut self, now: Timestamp, limit: i64) -> StoreResult<Vec<(Service, ResellerId)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, reseller_id FROM services
             WHERE (status = 'active' AND next_renewal_at <= $1)
                OR (cancel_at <= $1 AND status <> 'terminated')
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

    /// The price a price-book version moved the service to, locked `now`.
    pub async fn set_recurring_price(
        &mut self,
        id: &ServiceId,
        price: crate::money::Money,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("UPDATE services SET recurring_price = $2, price_locked_at = $3, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(price)
                .bind(now)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
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

impl StoreTx {
    /// Units of `product` the reseller holds (see [`holds_unit`]).
    pub(crate) async fn units_held(&mut self, reseller: &ResellerId, product: &ProductId) -> StoreResult<i64> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM services s WHERE s.reseller_id = $1 AND s.product_id = $2 AND {}",
            holds_unit("s")
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(sql).bind(reseller).bind(product).fetch_one(&mut **t).await?
        }))
    }

    /// New services, in statements of up to 200 rows (SQLite's parameter
    /// limit).
    pub async fn insert_services(&mut self, reseller: &ResellerId, services: &[Service]) -> StoreResult<()> {
        for chunk in services.chunks(200) {
            on_tx!(self, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO services (id, reseller_id, order_id, customer_id, product_id, term, status,
                        recurring_price, price_locked_at, started_at, next_renewal_at, updated_at, provisioning) ",
                );
                insert.push_values(chunk, |mut row, s| {
                    row.push_bind(&s.id)
                        .push_bind(reseller)
                        .push_bind(&s.order_id)
                        .push_bind(&s.customer_id)
                        .push_bind(&s.product_id)
                        .push_bind(s.term.as_str())
                        .push_bind(s.status.as_str())
                        .push_bind(s.recurring_price)
                        .push_bind(s.price_locked_at)
                        .push_bind(s.started_at)
                        .push_bind(s.next_renewal_at)
                        .push_bind(s.started_at)
                        .push_bind(s.provisioning.as_ref().map(sqlx::types::Json));
                });
                insert.build().execute(&mut **t).await?;
            });
        }
        Ok(())
    }
}

impl Store {
    pub async fn service(&self, reseller: &ResellerId, id: &ServiceId) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM services WHERE reseller_id = $1 AND id = $2"
        ));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    /// Newest first.
    pub async fn services(&self, reseller: &ResellerId, filter: &ServiceFilter) -> StoreResult<Page<Service>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM services
             WHERE reseller_id = $1
               AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR customer_id = $3)
               AND ($4 IS NULL OR order_id = $4)
               AND ($5 IS NULL OR id < $5)
             ORDER BY id DESC LIMIT $6"
        ));
        let rows: Vec<Service> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(reseller)
                .bind(filter.status.map(ServiceStatus::as_str))
                .bind(filter.customer_id.as_ref())
                .bind(filter.order_id.as_ref())
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |s| s.id.to_string()))
    }
}
