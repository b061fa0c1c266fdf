//! Orders and their lines, always scoped to one reseller (another
//! reseller's id finds nothing), and the price book's offers an order is
//! priced from.

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    ids::{CustomerId, OrderId, ProductId, ResellerId, ServiceId},
    lists::Page,
    money::Money,
    orders::{Offer, Order, OrderCustomer, OrderFilter, OrderLine},
    terms::{BillingTerm, TermPrices},
    timestamp::Timestamp,
};

#[derive(sqlx::FromRow)]
struct OfferRow {
    wholesale_monthly: Option<Money>,
    wholesale_quarterly: Option<Money>,
    wholesale_semi_annual: Option<Money>,
    wholesale_annual: Option<Money>,
    wholesale_hourly: Option<Money>,
    /// `None` before the row's first version takes effect.
    wholesale_setup_fee: Option<Money>,
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

/// `$first, $first+1, ...` for an IN list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const ORDER_SELECT: &str = "SELECT o.id, o.customer_id, c.external_id, o.status, o.wholesale_total, \
     o.currency, o.created_at FROM orders o JOIN customers c ON c.id = o.customer_id";

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
    /// Prices are the versions in effect at `at`.
    pub async fn lock_offers(
        &mut self,
        reseller: &ResellerId,
        products: &[ProductId],
        at: Timestamp,
    ) -> StoreResult<Vec<Offer>> {
        let mut offers = Vec::with_capacity(products.len());
        for product_id in products {
            let Some(mut row) = self.offer_row(reseller, product_id, at, false).await? else {
                continue;
            };
            if row.max_quantity.is_some() && self.dialect().has_row_locks() {
                let Some(locked) = self.offer_row(reseller, product_id, at, true).await? else {
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
        at: Timestamp,
        locked: bool,
    ) -> StoreResult<Option<OfferRow>> {
        let lock = if locked {
            self.dialect().for_update_of("rp")
        } else {
            String::new()
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT v.wholesale_monthly, v.wholesale_quarterly, v.wholesale_semi_annual,
                v.wholesale_annual, v.wholesale_hourly, v.wholesale_setup_fee, rp.max_quantity,
                (rp.is_enabled AND p.is_active) AS is_enabled
             FROM reseller_products rp JOIN products p ON p.id = rp.product_id {join}
             WHERE rp.reseller_id = $1 AND rp.product_id = $2{lock}",
            join = super::price_book::in_effect_join("$3"),
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).bind(at).fetch_optional(&mut **t).await?
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
}

impl OfferRow {
    fn into_offer(self, product_id: ProductId, units_held: i64) -> Offer {
        Offer {
            product_id,
            // A row none of whose versions has taken effect sells nothing.
            available: self.is_enabled && self.wholesale_setup_fee.is_some(),
            prices: TermPrices {
                monthly: self.wholesale_monthly,
                quarterly: self.wholesale_quarterly,
                semi_annual: self.wholesale_semi_annual,
                annual: self.wholesale_annual,
                hourly: self.wholesale_hourly,
            },
            setup_fee: self.wholesale_setup_fee.unwrap_or(Money::ZERO),
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
}
