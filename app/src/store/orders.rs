//! Orders, their lines and services, and end customers: always scoped to
//! one reseller (another reseller's id finds nothing).

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    customers::{Customer, CustomerFilter},
    ids::{CustomerId, OrderId, ProductId, ResellerId, ServiceId},
    lists::Page,
    money::{BillingTerm, Money, TermPrices},
    orders::{CustomerRef, Offer, Order, OrderCustomer, OrderFilter, OrderLine},
    services::{Service, ServiceFilter, ServiceStatus},
    timestamp::Timestamp,
};

#[derive(sqlx::FromRow)]
struct OfferRow {
    wholesale_monthly: Option<Money>,
    wholesale_quarterly: Option<Money>,
    wholesale_semi_annual: Option<Money>,
    wholesale_annual: Option<Money>,
    wholesale_hourly: Option<Money>,
    wholesale_setup_fee: Money,
    max_quantity: Option<i64>,
    /// The row is enabled and the product active.
    is_enabled: bool,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: OrderId,
    customer_id: CustomerId,
    external_id: String,
    status: String,
    wholesale_total: Money,
    currency: String,
    created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    order_id: OrderId,
    product_id: ProductId,
    #[sqlx(try_from = "String")]
    term: BillingTerm,
    quantity: i64,
    unit_price: Money,
    setup_fee: Money,
    line_total: Money,
}

/// The figures on the portal's dashboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DashboardStats {
    pub services_by_status: Vec<(ServiceStatus, i64)>,
    pub orders_this_month: i64,
    pub spend_this_month: crate::money::Amount,
    pub api_requests_24h: i64,
    pub api_errors_24h: i64,
    /// (day number since 1970, orders, wholesale spend), days with orders.
    pub orders_by_day: Vec<(i64, i64, crate::money::Amount)>,
    /// (hour number since 1970, requests, errors), hours with requests.
    pub api_by_hour: Vec<(i64, i64, i64)>,
}

/// `$first, $first+1, ...` for an IN list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const ORDER_SELECT: &str = "SELECT o.id, o.customer_id, c.external_id, o.status, o.wholesale_total, \
     o.currency, o.created_at FROM orders o JOIN customers c ON c.id = o.customer_id";

use super::services::COLUMNS as SERVICE_COLUMNS;

impl StoreTx {
    /// The book's offer of each product, for pricing (products without a
    /// row are simply missing). A row with a `max_quantity` is read again
    /// with a lock, so concurrent orders for it queue, and then the units
    /// held are counted in a statement of their own: on PostgreSQL a
    /// statement sees the database as of its start, so a count in the
    /// locking SELECT would miss the services of the order that held the
    /// lock before us. Uncapped rows take no lock, so orders for them do not
    /// queue behind each other. `products` must be sorted (locks are then
    /// always taken in the same order).
    pub async fn lock_offers(&mut self, reseller: &ResellerId, products: &[ProductId]) -> StoreResult<Vec<Offer>> {
        let mut offers = Vec::with_capacity(products.len());
        for product_id in products {
            let Some(mut row) = self.offer_row(reseller, product_id, false).await? else {
                continue;
            };
            if row.max_quantity.is_some() && self.dialect().has_row_locks() {
                let Some(locked) = self.offer_row(reseller, product_id, true).await? else {
                    continue; // Deleted since the first read.
                };
                row = locked;
            }
            let units_held = match row.max_quantity {
                Some(_) => self.units_held(reseller, product_id).await?,
                None => 0, // Not needed without a cap.
            };
            offers.push(row.into_offer(product_id.clone(), units_held));
        }
        Ok(offers)
    }

    /// One row of the book, `locked` FOR UPDATE where the database has row
    /// locks (SQLite's write transaction already excludes other writers).
    async fn offer_row(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        locked: bool,
    ) -> StoreResult<Option<OfferRow>> {
        const OFFER: &str = "SELECT rp.wholesale_monthly, rp.wholesale_quarterly, rp.wholesale_semi_annual,
                rp.wholesale_annual, rp.wholesale_hourly, rp.wholesale_setup_fee, rp.max_quantity,
                (rp.is_enabled AND p.is_active) AS is_enabled
             FROM reseller_products rp JOIN products p ON p.id = rp.product_id
             WHERE rp.reseller_id = $1 AND rp.product_id = $2";
        let lock = if locked {
            self.dialect().for_update_of("rp")
        } else {
            String::new()
        };
        let sql = sqlx::AssertSqlSafe(format!("{OFFER}{lock}"));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).fetch_optional(&mut **t).await?
        }))
    }

    /// Units of `product` the reseller holds (services not terminated).
    async fn units_held(&mut self, reseller: &ResellerId, product: &ProductId) -> StoreResult<i64> {
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM services
                 WHERE reseller_id = $1 AND product_id = $2 AND status <> 'terminated'",
            )
            .bind(reseller)
            .bind(product)
            .fetch_one(&mut **t)
            .await?
        }))
    }

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

    /// The order row and its lines (one statement each).
    pub async fn insert_order(&mut self, reseller: &ResellerId, order: &Order) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO orders (id, reseller_id, customer_id, status, wholesale_total, currency, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&order.id)
            .bind(reseller)
            .bind(&order.customer.id)
            .bind(&order.status)
            .bind(order.wholesale_total)
            .bind(&order.currency)
            .bind(order.created_at)
            .execute(&mut **t)
            .await?;
            let mut lines = sqlx::QueryBuilder::new(
                "INSERT INTO order_lines (order_id, line_no, product_id, term, quantity, unit_price, setup_fee, line_total) ",
            );
            lines.push_values(order.lines.iter().enumerate(), |mut row, (line_no, line)| {
                row.push_bind(&order.id)
                    .push_bind(line_no as i64)
                    .push_bind(&line.product_id)
                    .push_bind(line.term.as_str())
                    .push_bind(line.quantity)
                    .push_bind(line.unit_price)
                    .push_bind(line.setup_fee)
                    .push_bind(line.line_total);
            });
            lines.build().execute(&mut **t).await?;
        });
        Ok(())
    }

    /// New services, in statements of up to 200 rows (SQLite's parameter
    /// limit).
    pub async fn insert_services(&mut self, reseller: &ResellerId, services: &[Service]) -> StoreResult<()> {
        for chunk in services.chunks(200) {
            on_tx!(self, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO services (id, reseller_id, order_id, customer_id, product_id, term, status,
                        recurring_price, started_at, next_renewal_at, updated_at) ",
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
                        .push_bind(s.started_at)
                        .push_bind(s.next_renewal_at)
                        .push_bind(s.started_at);
                });
                insert.build().execute(&mut **t).await?;
            });
        }
        Ok(())
    }
}

impl OfferRow {
    fn into_offer(self, product_id: ProductId, units_held: i64) -> Offer {
        Offer {
            product_id,
            available: self.is_enabled,
            prices: TermPrices {
                monthly: self.wholesale_monthly,
                quarterly: self.wholesale_quarterly,
                semi_annual: self.wholesale_semi_annual,
                annual: self.wholesale_annual,
                hourly: self.wholesale_hourly,
            },
            setup_fee: self.wholesale_setup_fee,
            max_quantity: self.max_quantity,
            units_held,
        }
    }
}

impl Store {
    /// Adds lines and service ids to order rows (two queries for the page).
    async fn complete_orders(&self, rows: Vec<OrderRow>) -> StoreResult<Vec<Order>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders(1, rows.len());
        let lines_sql = sqlx::AssertSqlSafe(format!(
            "SELECT order_id, product_id, term, quantity, unit_price, setup_fee, line_total
             FROM order_lines WHERE order_id IN ({list}) ORDER BY order_id, line_no"
        ));
        let services_sql = sqlx::AssertSqlSafe(format!(
            "SELECT order_id, id FROM services WHERE order_id IN ({list}) ORDER BY id"
        ));
        let (lines, services): (Vec<LineRow>, Vec<(OrderId, ServiceId)>) = with_pool!(self, pool => {
            let mut q = sqlx::query_as(lines_sql);
            for r in &rows {
                q = q.bind(&r.id);
            }
            let lines = q.fetch_all(pool).await?;
            let mut q = sqlx::query_as(services_sql);
            for r in &rows {
                q = q.bind(&r.id);
            }
            (lines, q.fetch_all(pool).await?)
        });
        Ok(rows
            .into_iter()
            .map(|r| Order {
                lines: lines
                    .iter()
                    .filter(|l| l.order_id == r.id)
                    .map(|l| OrderLine {
                        product_id: l.product_id.clone(),
                        term: l.term,
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        setup_fee: l.setup_fee,
                        line_total: l.line_total,
                    })
                    .collect(),
                service_ids: services
                    .iter()
                    .filter(|(o, _)| *o == r.id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                id: r.id,
                status: r.status,
                customer: OrderCustomer {
                    id: r.customer_id,
                    external_id: r.external_id,
                },
                wholesale_total: r.wholesale_total,
                currency: r.currency,
                created_at: r.created_at,
            })
            .collect())
    }

    pub async fn order(&self, reseller: &ResellerId, id: &OrderId) -> StoreResult<Order> {
        let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.reseller_id = $1 AND o.id = $2"));
        let row: Option<OrderRow> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(id).fetch_optional(pool).await?
        });
        self.complete_orders(vec![row.found()?]).await?.pop().found()
    }

    /// Newest first.
    pub async fn orders(&self, reseller: &ResellerId, filter: &OrderFilter) -> StoreResult<Page<Order>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{ORDER_SELECT}
             WHERE o.reseller_id = $1
               AND ($2 IS NULL OR o.customer_id = $2)
               AND ($3 IS NULL OR o.id < $3)
               AND ($5 IS NULL OR lower(c.external_id) LIKE $5 ESCAPE '\\' OR lower(c.name) LIKE $5 ESCAPE '\\')
             ORDER BY o.id DESC LIMIT $4"
        ));
        let customer = filter
            .customer
            .as_deref()
            .map(|s| format!("%{}%", super::escape_like(&s.to_lowercase())));
        let rows: Vec<OrderRow> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(reseller)
                .bind(filter.customer_id.as_ref())
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .bind(customer.as_deref())
                .fetch_all(pool)
                .await?
        });
        let page = Page::from_overfetch(rows, filter.page.limit, |r| r.id.to_string());
        Ok(Page {
            data: self.complete_orders(page.data).await?,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn service(&self, reseller: &ResellerId, id: &ServiceId) -> StoreResult<Service> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SERVICE_COLUMNS} FROM services WHERE reseller_id = $1 AND id = $2"
        ));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    /// Newest first.
    pub async fn services(&self, reseller: &ResellerId, filter: &ServiceFilter) -> StoreResult<Page<Service>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SERVICE_COLUMNS} FROM services
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
            let (orders_this_month, spend_this_month): (i64, crate::money::Amount) = sqlx::query_as(
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
