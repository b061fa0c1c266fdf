//! The price book: rows, their history, and the catalogue a reseller sees.

use super::{Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    audit::Actor,
    catalog::{Product, ProductKind},
    ids::{ProductId, ResellerId},
    money::{Money, Percent},
    price_book::{CatalogItem, PriceChange, PriceRow, PriceRowDraft},
    terms::TermPrices,
    timestamp::Timestamp,
};
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct PriceRowRecord {
    reseller_id: ResellerId,
    product_id: ProductId,
    wholesale_monthly: Option<Money>,
    wholesale_quarterly: Option<Money>,
    wholesale_semi_annual: Option<Money>,
    wholesale_annual: Option<Money>,
    wholesale_hourly: Option<Money>,
    wholesale_setup_fee: Money,
    discount_rate_override: Option<Percent>,
    is_enabled: bool,
    max_quantity: Option<i64>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<PriceRowRecord> for PriceRow {
    fn from(r: PriceRowRecord) -> Self {
        PriceRow {
            reseller_id: r.reseller_id,
            product_id: r.product_id,
            prices: TermPrices {
                monthly: r.wholesale_monthly,
                quarterly: r.wholesale_quarterly,
                semi_annual: r.wholesale_semi_annual,
                annual: r.wholesale_annual,
                hourly: r.wholesale_hourly,
            },
            setup_fee: r.wholesale_setup_fee,
            discount_rate_override: r.discount_rate_override,
            is_enabled: r.is_enabled,
            max_quantity: r.max_quantity,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ROW_COLUMNS: &str = "reseller_id, product_id, wholesale_monthly, wholesale_quarterly, \
     wholesale_semi_annual, wholesale_annual, wholesale_hourly, wholesale_setup_fee, \
     discount_rate_override, is_enabled, max_quantity, created_at, updated_at";

impl StoreTx {
    /// The current row, locked until the transaction ends (PostgreSQL; on
    /// SQLite the write transaction excludes other writers already).
    pub async fn lock_price_row(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
    ) -> StoreResult<Option<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products WHERE reseller_id = $1 AND product_id = $2{}",
            self.dialect().for_update
        ));
        let row: Option<PriceRowRecord> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).fetch_optional(&mut **t).await?
        });
        Ok(row.map(PriceRow::from))
    }

    /// Creates or replaces the row.
    pub async fn upsert_price_row(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        draft: &PriceRowDraft,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_products (reseller_id, product_id, wholesale_monthly, wholesale_quarterly,
                    wholesale_semi_annual, wholesale_annual, wholesale_hourly, wholesale_setup_fee,
                    discount_rate_override, is_enabled, max_quantity, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                 ON CONFLICT (reseller_id, product_id) DO UPDATE SET
                    wholesale_monthly = excluded.wholesale_monthly,
                    wholesale_quarterly = excluded.wholesale_quarterly,
                    wholesale_semi_annual = excluded.wholesale_semi_annual,
                    wholesale_annual = excluded.wholesale_annual,
                    wholesale_hourly = excluded.wholesale_hourly,
                    wholesale_setup_fee = excluded.wholesale_setup_fee,
                    discount_rate_override = excluded.discount_rate_override,
                    is_enabled = excluded.is_enabled,
                    max_quantity = excluded.max_quantity,
                    updated_at = excluded.updated_at",
            )
            .bind(reseller)
            .bind(product)
            .bind(draft.prices.monthly)
            .bind(draft.prices.quarterly)
            .bind(draft.prices.semi_annual)
            .bind(draft.prices.annual)
            .bind(draft.prices.hourly)
            .bind(draft.setup_fee)
            .bind(draft.discount_rate_override)
            .bind(draft.is_enabled)
            .bind(draft.max_quantity)
            .bind(now)
            .execute(&mut **t)
            .await?;
        });
        // Catalogues are cached on the request path.
        self.bumps_epoch = true;
        Ok(())
    }

    /// The row's history entry: who changed it from `old` to `new`.
    pub async fn insert_price_change(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        actor: &Actor,
        old: Option<&PriceRowDraft>,
        new: &PriceRowDraft,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_product_history
                    (reseller_id, product_id, at, actor_kind, actor_id, actor_name, old_row, new_row)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(reseller)
            .bind(product)
            .bind(now)
            .bind(actor.kind.as_str())
            .bind(actor.id.as_deref())
            .bind(&actor.name)
            .bind(old.map(Json))
            .bind(Json(new))
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }
}

impl Store {
    pub async fn price_row(&self, reseller: &ResellerId, product: &ProductId) -> StoreResult<Option<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products WHERE reseller_id = $1 AND product_id = $2"
        ));
        let row: Option<PriceRowRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(product).fetch_optional(pool).await?
        });
        Ok(row.map(PriceRow::from))
    }

    pub async fn price_rows(&self, reseller: &ResellerId) -> StoreResult<Vec<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products WHERE reseller_id = $1 ORDER BY product_id"
        ));
        let rows: Vec<PriceRowRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(PriceRow::from).collect())
    }

    /// The row's changes, newest first (every row of the reseller when
    /// `product` is `None`).
    pub async fn price_history(
        &self,
        reseller: &ResellerId,
        product: Option<&ProductId>,
    ) -> StoreResult<Vec<PriceChange>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            product_id: ProductId,
            at: Timestamp,
            actor_name: String,
            old_row: Option<Json<PriceRowDraft>>,
            new_row: Json<PriceRowDraft>,
        }
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, product_id, at, actor_name, old_row, new_row FROM reseller_product_history
                 WHERE reseller_id = $1 AND ($2 IS NULL OR product_id = $2)
                 ORDER BY id DESC LIMIT 500",
            )
            .bind(reseller)
            .bind(product)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| PriceChange {
                id: r.id,
                product_id: r.product_id,
                at: r.at,
                actor_name: r.actor_name,
                old: r.old_row.map(|j| j.0),
                new: r.new_row.0,
            })
            .collect())
    }

    /// Every product with the reseller's row for it, if any (the admin grid).
    pub async fn price_grid(&self, reseller: &ResellerId) -> StoreResult<Vec<(Product, Option<PriceRow>)>> {
        let products = self.list_products().await?;
        let mut rows = self.price_rows(reseller).await?;
        Ok(products
            .into_iter()
            .map(|p| {
                let row = rows
                    .iter()
                    .position(|r| r.product_id == p.id)
                    .map(|i| rows.swap_remove(i));
                (p, row)
            })
            .collect())
    }

    /// What the reseller may buy: enabled rows of active products, with the
    /// units it holds. Provisioning settings are in another table and cannot
    /// appear here.
    pub async fn reseller_catalog(&self, reseller: &ResellerId) -> StoreResult<Vec<CatalogItem>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: ProductId,
            name: String,
            slug: String,
            #[sqlx(try_from = "String")]
            kind: ProductKind,
            description: String,
            wholesale_monthly: Option<Money>,
            wholesale_quarterly: Option<Money>,
            wholesale_semi_annual: Option<Money>,
            wholesale_annual: Option<Money>,
            wholesale_hourly: Option<Money>,
            wholesale_setup_fee: Money,
            max_quantity: Option<i64>,
            units_held: i64,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.name, p.slug, p.kind, p.description,
                rp.wholesale_monthly, rp.wholesale_quarterly, rp.wholesale_semi_annual,
                rp.wholesale_annual, rp.wholesale_hourly, rp.wholesale_setup_fee, rp.max_quantity,
                (SELECT COUNT(*) FROM services s
                  WHERE s.reseller_id = rp.reseller_id AND s.product_id = rp.product_id
                    AND {holds}) AS units_held
             FROM reseller_products rp JOIN products p ON p.id = rp.product_id
             WHERE rp.reseller_id = $1 AND rp.is_enabled AND p.is_active
             ORDER BY p.name, p.id",
            holds = super::services::holds_unit("s")
        ));
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sql)
            .bind(reseller)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| CatalogItem {
                id: r.id,
                name: r.name,
                slug: r.slug,
                kind: r.kind,
                description: r.description,
                prices: TermPrices {
                    monthly: r.wholesale_monthly,
                    quarterly: r.wholesale_quarterly,
                    semi_annual: r.wholesale_semi_annual,
                    annual: r.wholesale_annual,
                    hourly: r.wholesale_hourly,
                },
                setup_fee: r.wholesale_setup_fee,
                max_quantity: r.max_quantity,
                units_held: r.units_held,
            })
            // A row that prices no term sells nothing.
            .filter(|item| item.prices.priced().next().is_some())
            .collect())
    }
}
