//! End customers: a reseller's own clients, always scoped to that reseller
//! (another reseller's id finds nothing).

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    customers::{Customer, CustomerFilter},
    ids::{CustomerId, ResellerId},
    lists::Page,
    orders::CustomerRef,
    timestamp::Timestamp,
};

impl StoreTx {
    /// The reseller's customer with this external id, created if new; one
    /// statement (the no-op update makes RETURNING answer for an existing
    /// row too).
    pub async fn upsert_customer(
        &mut self,
        reseller: &ResellerId,
        customer: &CustomerRef,
        now: Timestamp,
    ) -> StoreResult<CustomerId> {
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(
                "INSERT INTO customers (id, reseller_id, external_id, name, email, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (reseller_id, external_id) DO UPDATE SET external_id = excluded.external_id
                 RETURNING id",
            )
            .bind(CustomerId::generate())
            .bind(reseller)
            .bind(&customer.external_id)
            .bind(customer.name.as_deref())
            .bind(customer.email.as_deref())
            .bind(now)
            .fetch_one(&mut **t)
            .await?
        }))
    }
}

impl Store {
    pub async fn customer(&self, reseller: &ResellerId, id: &CustomerId) -> StoreResult<Customer> {
        with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, external_id, name, email, created_at FROM customers WHERE reseller_id = $1 AND id = $2",
            )
            .bind(reseller)
            .bind(id)
            .fetch_optional(pool)
            .await?
        })
        .found()
    }

    /// The reseller's customers among `ids` (another reseller's are not
    /// there), in no particular order.
    pub async fn customers_among(&self, reseller: &ResellerId, ids: &[CustomerId]) -> StoreResult<Vec<Customer>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(with_pool!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT id, external_id, name, email, created_at FROM customers WHERE reseller_id = ",
            );
            query.push_bind(reseller).push(" AND id IN (");
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(id);
            }
            query.push(")");
            query.build_query_as().fetch_all(pool).await?
        }))
    }

    /// Newest first.
    pub async fn customers(&self, reseller: &ResellerId, filter: &CustomerFilter) -> StoreResult<Page<Customer>> {
        let search = filter
            .search
            .as_deref()
            .map(|s| format!("%{}%", super::escape_like(&s.to_lowercase())));
        let rows: Vec<Customer> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, external_id, name, email, created_at FROM customers
                 WHERE reseller_id = $1
                   AND ($2 IS NULL OR external_id = $2)
                   AND ($3 IS NULL OR lower(external_id) LIKE $3 ESCAPE '\\' OR lower(name) LIKE $3 ESCAPE '\\')
                   AND ($4 IS NULL OR id < $4)
                 ORDER BY id DESC LIMIT $5",
            )
            .bind(reseller)
            .bind(filter.external_id.as_deref())
            .bind(search.as_deref())
            .bind(filter.page.after.as_ref())
            .bind(filter.page.fetch())
            .fetch_all(pool)
            .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |c| c.id.to_string()))
    }
}
