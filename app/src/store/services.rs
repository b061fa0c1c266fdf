//! Service status changes and renewals (operator-side, any reseller).

use super::{
    OptionalExt, Store, StoreResult, TransitionOutcome, audit::insert_audit, webhooks::WebhookTx, with_pool, with_tx,
};
use crate::{
    ids::{ResellerId, ServiceId},
    orders::next_renewal,
    services::{Service, ServiceStatus},
    store::NewAuditEntry,
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent},
};

const COLUMNS: &str =
    "id, order_id, customer_id, product_id, term, status, recurring_price, started_at, next_renewal_at";

impl Store {
    /// Any reseller's service (operators).
    pub async fn service_any(&self, id: &ServiceId) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM services WHERE id = $1"));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    /// Moves a service from `from` to `to` if it is still in `from`, with
    /// the event and the audit entry, in one transaction.
    pub async fn transition_service(
        &self,
        id: &ServiceId,
        from: ServiceStatus,
        to: ServiceStatus,
        event: EventType,
        audit: &NewAuditEntry<'_>,
    ) -> StoreResult<TransitionOutcome> {
        let select = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, reseller_id FROM services WHERE id = $1"));
        with_tx!(self, tx => {
            let changed = sqlx::query("UPDATE services SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2")
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(audit.at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(TransitionOutcome::StateChanged);
            }
            #[derive(sqlx::FromRow)]
            struct Row {
                #[sqlx(flatten)]
                service: Service,
                reseller_id: ResellerId,
            }
            let row: Row = sqlx::query_as(select).bind(id).fetch_one(&mut *tx).await?;
            let data = serde_json::to_value(&row.service).unwrap_or_default();
            tx.record_events(&row.reseller_id, &[NewEvent { event_type: event, data }], audit.at).await?;
            insert_audit(audit).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(TransitionOutcome::Done)
    }

    /// Renews up to `limit` due active services by one term each, with a
    /// `service.renewed` event per renewal; returns how many. On PostgreSQL
    /// the rows are taken with SKIP LOCKED, so several workers can renew at
    /// once without renewing anything twice.
    pub async fn renew_due_services(&self, now: Timestamp, limit: i64) -> StoreResult<usize> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            service: Service,
            reseller_id: ResellerId,
        }
        with_tx!(self, tx, dialect => {
            let sql = format!(
                "SELECT {COLUMNS}, reseller_id FROM services
                 WHERE status = 'active' AND next_renewal_at <= $1
                 ORDER BY next_renewal_at LIMIT $2{}",
                dialect.skip_locked
            );
            let due: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            let renewed = due.len();
            for Row { mut service, reseller_id } in due {
                let period_start = service.next_renewal_at;
                service.next_renewal_at = next_renewal(period_start, service.term);
                sqlx::query("UPDATE services SET next_renewal_at = $2, updated_at = $3 WHERE id = $1")
                    .bind(&service.id)
                    .bind(service.next_renewal_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let mut data = serde_json::to_value(&service).unwrap_or_default();
                data["period_start"] = serde_json::to_value(period_start).unwrap_or_default();
                tx.record_events(&reseller_id, &[NewEvent { event_type: EventType::ServiceRenewed, data }], now)
                    .await?;
            }
            tx.commit().await?;
            Ok(renewed)
        })
    }
}
