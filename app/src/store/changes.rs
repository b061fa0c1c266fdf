//! Cancellations and changes on the services table: each one statement
//! that returns the service as it is after. Callers hold the service's
//! lock (`lock_service`).

use super::{StoreResult, StoreTx, services::COLUMNS, tx::on_tx};
use crate::{
    changes::ScheduledChange,
    ids::{ProductId, ServiceId},
    money::Money,
    services::Service,
    terms::BillingTerm,
    timestamp::Timestamp,
};

impl StoreTx {
    /// Schedules (`Some`) or withdraws (`None`) the service's cancellation.
    pub async fn set_cancel_at(
        &mut self,
        id: &ServiceId,
        cancel_at: Option<Timestamp>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE services SET cancel_at = $2, cancel_reason = $3, updated_at = $4 WHERE id = $1
             RETURNING {COLUMNS}"
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(id).bind(cancel_at).bind(reason).bind(now).fetch_one(&mut **t).await?
        }))
    }

    /// Terminates the service at `at` (the cancellation's time), keeping
    /// the reason; whatever change waited on it is dropped.
    pub async fn end_service(
        &mut self,
        id: &ServiceId,
        at: Timestamp,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE services SET status = 'terminated', suspension_reason = NULL, cancel_at = $2,
                cancel_reason = COALESCE($3, cancel_reason), scheduled_change = NULL, updated_at = $4
             WHERE id = $1
             RETURNING {COLUMNS}"
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(id).bind(at).bind(reason).bind(now).fetch_one(&mut **t).await?
        }))
    }

    /// Leaves a change waiting for the next renewal (`Some`) or withdraws
    /// it (`None`).
    pub async fn set_scheduled_change(
        &mut self,
        id: &ServiceId,
        change: Option<&ScheduledChange>,
        now: Timestamp,
    ) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE services SET scheduled_change = $2, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}"
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql)
                .bind(id)
                .bind(change.map(sqlx::types::Json))
                .bind(now)
                .fetch_one(&mut **t)
                .await?
        }))
    }

    /// The service's new product, term and locked price (no change waits
    /// after).
    pub async fn set_plan(
        &mut self,
        id: &ServiceId,
        product: &ProductId,
        term: BillingTerm,
        price: Money,
        now: Timestamp,
    ) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE services SET product_id = $2, term = $3, recurring_price = $4, scheduled_change = NULL,
                price_locked_at = $5, updated_at = $5
             WHERE id = $1 RETURNING {COLUMNS}"
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql)
                .bind(id)
                .bind(product)
                .bind(term.as_str())
                .bind(price)
                .bind(now)
                .fetch_one(&mut **t)
                .await?
        }))
    }
}
