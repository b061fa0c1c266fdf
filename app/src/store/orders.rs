//! Orders, their lines and services, and end customers: always scoped to
//! one reseller (another reseller's id finds nothing).

use super::{OptionalExt, Store, StoreError, StoreResult, webhooks::WebhookTx, with_pool, with_tx};
use crate::webhooks::{EventType, NewEvent};
use crate::{
    customers::{Customer, CustomerFilter},
    ids::{CustomerId, OrderId, ProductId, ResellerId, ServiceId},
    money::{BillingTerm, Money, TermPrices},
    orders::{
        ORDER_PLACED, Offer, Order, OrderCustomer, OrderLine, OrderRequest, next_renewal, order_total, price_order,
    },
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

/// Filters for listing orders, newest first.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub customer_id: Option<CustomerId>,
    pub before: Option<OrderId>,
    pub since: Option<Timestamp>,
    pub limit: u32,
}

/// The figures on the portal's dashboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DashboardStats {
    pub services_by_status: Vec<(ServiceStatus, i64)>,
    pub orders_this_month: i64,
    pub spend_this_month: Money,
    pub api_requests_24h: i64,
    pub api_errors_24h: i64,
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

const SERVICE_COLUMNS: &str =
    "id, order_id, customer_id, product_id, term, status, recurring_price, started_at, next_renewal_at";

impl Store {
    /// Places an order in one transaction: locks the price book rows of the
    /// products ordered (PostgreSQL; SQLite's write lock already serialises),
    /// counts the units held, prices the lines (refusing with the domain's
    /// error), finds or creates the customer, writes the order, its lines,
    /// one service per unit and, when the request carried one, the
    /// idempotency key's saved response. Concurrent orders cannot exceed
    /// `max_quantity`; the response is replayable exactly when the order
    /// exists.
    pub async fn place_order(
        &self,
        reseller: &ResellerId,
        request: &OrderRequest,
        currency: &str,
        now: Timestamp,
        idempotency_key: Option<&str>,
    ) -> StoreResult<Order> {
        let order_id = OrderId::generate();
        with_tx!(self, tx, dialect => {
            // Per product: its row (with whether the product is active).
            // A row with a `max_quantity` is read again with a lock, so
            // concurrent orders for it queue, then the units held are
            // counted in a statement of their own: on PostgreSQL a
            // statement sees the database as of its start, so a count in the
            // locking SELECT would miss the services of the order that held
            // the lock before us. Uncapped rows need no lock at all, so
            // orders for them do not queue behind each other.
            let offer_sql = "SELECT rp.wholesale_monthly, rp.wholesale_quarterly, rp.wholesale_semi_annual,
                    rp.wholesale_annual, rp.wholesale_hourly, rp.wholesale_setup_fee, rp.max_quantity,
                    (rp.is_enabled AND p.is_active) AS is_enabled
                 FROM reseller_products rp JOIN products p ON p.id = rp.product_id
                 WHERE rp.reseller_id = $1 AND rp.product_id = $2";
            let locking_sql = format!("{offer_sql}{}", dialect.for_update_of("rp"));
            let mut offers = Vec::new();
            for product_id in request.product_ids() {
                let mut row: Option<OfferRow> = sqlx::query_as(offer_sql)
                    .bind(reseller)
                    .bind(&product_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let capped = row.as_ref().is_some_and(|r| r.max_quantity.is_some());
                if capped && !dialect.for_update.is_empty() {
                    row = sqlx::query_as(sqlx::AssertSqlSafe(locking_sql.clone()))
                        .bind(reseller)
                        .bind(&product_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                let Some(row) = row else { continue };
                let units_held: i64 = if row.max_quantity.is_some() {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM services
                         WHERE reseller_id = $1 AND product_id = $2 AND status <> 'terminated'",
                    )
                    .bind(reseller)
                    .bind(&product_id)
                    .fetch_one(&mut *tx)
                    .await?
                } else {
                    0 // Not needed without a cap.
                };
                offers.push(Offer {
                    product_id,
                    available: row.is_enabled,
                    prices: TermPrices {
                        monthly: row.wholesale_monthly,
                        quarterly: row.wholesale_quarterly,
                        semi_annual: row.wholesale_semi_annual,
                        annual: row.wholesale_annual,
                        hourly: row.wholesale_hourly,
                    },
                    setup_fee: row.wholesale_setup_fee,
                    max_quantity: row.max_quantity,
                    units_held,
                });
            }
            let lines = price_order(request, &offers).map_err(StoreError::Refused)?;
            let total = order_total(&lines);

            // Found or created in one statement (the no-op update makes
            // RETURNING answer for an existing row too).
            let customer = &request.customer;
            let customer_id: CustomerId = sqlx::query_scalar(
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
            .fetch_one(&mut *tx)
            .await?;

            sqlx::query(
                "INSERT INTO orders (id, reseller_id, customer_id, status, wholesale_total, currency, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&order_id)
            .bind(reseller)
            .bind(&customer_id)
            .bind(ORDER_PLACED)
            .bind(total)
            .bind(currency)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let mut service_ids = Vec::new();
            let mut service_ids_per_line = Vec::new();
            for (line_no, line) in lines.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO order_lines (order_id, line_no, product_id, term, quantity, unit_price, setup_fee, line_total)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&order_id)
                .bind(line_no as i64)
                .bind(&line.product_id)
                .bind(line.term.as_str())
                .bind(line.quantity)
                .bind(line.unit_price)
                .bind(line.setup_fee)
                .bind(line.line_total)
                .execute(&mut *tx)
                .await?;
                // All units of a line in one statement (chunks keep SQLite's
                // parameter limit).
                let units: Vec<ServiceId> = (0..line.quantity).map(|_| ServiceId::generate()).collect();
                for chunk in units.chunks(200) {
                    let values = (0..chunk.len())
                        .map(|i| format!("(${}, $1, $2, $3, $4, $5, 'pending', $6, $7, $8, $7)", i + 9))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = sqlx::AssertSqlSafe(format!(
                        "INSERT INTO services (id, reseller_id, order_id, customer_id, product_id, term, status,
                            recurring_price, started_at, next_renewal_at, updated_at) VALUES {values}"
                    ));
                    let mut insert = sqlx::query(sql)
                        .bind(reseller)
                        .bind(&order_id)
                        .bind(&customer_id)
                        .bind(&line.product_id)
                        .bind(line.term.as_str())
                        .bind(line.unit_price)
                        .bind(now)
                        .bind(next_renewal(now, line.term));
                    for id in chunk {
                        insert = insert.bind(id);
                    }
                    insert.execute(&mut *tx).await?;
                }
                service_ids.extend(units.iter().cloned());
                service_ids_per_line.push(units);
            }
            let order = Order {
                id: order_id,
                status: ORDER_PLACED.to_owned(),
                customer: OrderCustomer {
                    id: customer_id,
                    external_id: customer.external_id.clone(),
                },
                lines,
                service_ids,
                wholesale_total: total,
                currency: currency.to_owned(),
                created_at: now,
            };
            // The events, with the change (and their delivery jobs).
            let mut events = vec![NewEvent {
                event_type: EventType::OrderCreated,
                data: serde_json::to_value(&order).unwrap_or_default(),
            }];
            for (line, ids) in order.lines.iter().zip(service_ids_per_line.iter()) {
                for service_id in ids {
                    let service = Service {
                        id: service_id.clone(),
                        order_id: order.id.clone(),
                        customer_id: order.customer.id.clone(),
                        product_id: line.product_id.clone(),
                        term: line.term,
                        status: ServiceStatus::Pending,
                        recurring_price: line.unit_price,
                        started_at: now,
                        next_renewal_at: next_renewal(now, line.term),
                    };
                    events.push(NewEvent {
                        event_type: EventType::ServiceCreated,
                        data: serde_json::to_value(&service).unwrap_or_default(),
                    });
                }
            }
            tx.record_events(reseller, &events, now).await?;
            if let Some(key) = idempotency_key {
                let body = serde_json::to_string(&order).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
                sqlx::query(
                    "UPDATE idempotency_keys SET state = 'done', response_status = 201, response_body = $3
                     WHERE reseller_id = $1 AND idempotency_key = $2",
                )
                .bind(reseller)
                .bind(key)
                .bind(body)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(order)
        })
    }

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
    pub async fn orders(&self, reseller: &ResellerId, filter: &OrderFilter) -> StoreResult<Vec<Order>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{ORDER_SELECT}
             WHERE o.reseller_id = $1
               AND ($2 IS NULL OR o.customer_id = $2)
               AND ($3 IS NULL OR o.id < $3)
               AND ($4 IS NULL OR o.created_at >= $4)
             ORDER BY o.id DESC LIMIT $5"
        ));
        let rows: Vec<OrderRow> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(reseller)
                .bind(filter.customer_id.as_ref())
                .bind(filter.before.as_ref())
                .bind(filter.since)
                .bind(i64::from(filter.limit))
                .fetch_all(pool)
                .await?
        });
        self.complete_orders(rows).await
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
    pub async fn services(&self, reseller: &ResellerId, filter: &ServiceFilter) -> StoreResult<Vec<Service>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SERVICE_COLUMNS} FROM services
             WHERE reseller_id = $1
               AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR customer_id = $3)
               AND ($4 IS NULL OR order_id = $4)
               AND ($5 IS NULL OR id < $5)
             ORDER BY id DESC LIMIT $6"
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(reseller)
                .bind(filter.status.map(ServiceStatus::as_str))
                .bind(filter.customer_id.as_ref())
                .bind(filter.order_id.as_ref())
                .bind(filter.before.as_ref())
                .bind(i64::from(filter.limit))
                .fetch_all(pool)
                .await?
        }))
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
    pub async fn customers(&self, reseller: &ResellerId, filter: &CustomerFilter) -> StoreResult<Vec<Customer>> {
        let search = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{}%", super::escape_like(&s.to_lowercase())));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, external_id, name, email, created_at FROM customers
                 WHERE reseller_id = $1
                   AND ($2 IS NULL OR external_id = $2)
                   AND ($3 IS NULL OR lower(external_id) LIKE $3 ESCAPE '\\')
                   AND ($4 IS NULL OR id < $4)
                 ORDER BY id DESC LIMIT $5",
            )
            .bind(reseller)
            .bind(filter.external_id.as_deref())
            .bind(search.as_deref())
            .bind(filter.before.as_ref())
            .bind(i64::from(filter.limit))
            .fetch_all(pool)
            .await?
        }))
    }

    /// The dashboard's counts and sums, computed by the database.
    pub async fn dashboard(
        &self,
        reseller: &ResellerId,
        month_start: Timestamp,
        day_ago: Timestamp,
    ) -> StoreResult<DashboardStats> {
        with_pool!(self, pool => {
            let by_status: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM services WHERE reseller_id = $1 GROUP BY status",
            )
            .bind(reseller)
            .fetch_all(pool)
            .await?;
            let (orders_this_month, spend_this_month): (i64, Money) = sqlx::query_as(
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
            Ok(DashboardStats {
                services_by_status: ServiceStatus::ALL
                    .into_iter()
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
