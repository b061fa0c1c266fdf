//! The price book: rows, their history, and the catalogue a reseller sees.

use super::{Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    audit::Actor,
    catalog::{Product, ProductKind},
    ids::{PriceVersionId, ProductId, ResellerId},
    money::{Money, Percent},
    price_book::{CatalogItem, ExistingServices, PriceChange, PriceRow, PriceRowDraft, PriceVersion},
    terms::{BillingTerm, TermPrices},
    timestamp::Timestamp,
};
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct PriceRowRecord {
    reseller_id: ResellerId,
    product_id: ProductId,
    version_id: Option<PriceVersionId>,
    wholesale_monthly: Option<Money>,
    wholesale_quarterly: Option<Money>,
    wholesale_semi_annual: Option<Money>,
    wholesale_annual: Option<Money>,
    wholesale_hourly: Option<Money>,
    wholesale_setup_fee: Option<Money>,
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
            version_id: r.version_id,
            prices: TermPrices {
                monthly: r.wholesale_monthly,
                quarterly: r.wholesale_quarterly,
                semi_annual: r.wholesale_semi_annual,
                annual: r.wholesale_annual,
                hourly: r.wholesale_hourly,
            },
            setup_fee: r.wholesale_setup_fee.unwrap_or(Money::ZERO),
            discount_rate_override: r.discount_rate_override,
            is_enabled: r.is_enabled,
            max_quantity: r.max_quantity,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VersionRecord {
    id: PriceVersionId,
    product_id: ProductId,
    effective_from: Timestamp,
    wholesale_monthly: Option<Money>,
    wholesale_quarterly: Option<Money>,
    wholesale_semi_annual: Option<Money>,
    wholesale_annual: Option<Money>,
    wholesale_hourly: Option<Money>,
    wholesale_setup_fee: Money,
    #[sqlx(try_from = "String")]
    existing_services: ExistingServices,
}

impl From<VersionRecord> for PriceVersion {
    fn from(r: VersionRecord) -> Self {
        PriceVersion {
            id: r.id,
            product_id: r.product_id,
            effective_from: r.effective_from,
            prices: TermPrices {
                monthly: r.wholesale_monthly,
                quarterly: r.wholesale_quarterly,
                semi_annual: r.wholesale_semi_annual,
                annual: r.wholesale_annual,
                hourly: r.wholesale_hourly,
            },
            setup_fee: r.wholesale_setup_fee,
            existing_services: r.existing_services,
        }
    }
}

const VERSION_COLUMNS: &str = "id, product_id, effective_from, wholesale_monthly, wholesale_quarterly, \
     wholesale_semi_annual, wholesale_annual, wholesale_hourly, wholesale_setup_fee, existing_services";

/// `LEFT JOIN` of the version of `rp`'s row in effect at the parameter
/// `at` (`$n`) as `v`: the latest one whose `effective_from` is not after
/// it. The one place "in effect" is written for SQL (the rule is
/// `price_book::versions::in_effect`); a row none of whose versions has
/// taken effect joins nothing and sells nothing.
pub(crate) fn in_effect_join(at: &str) -> String {
    format!(
        "LEFT JOIN price_versions v ON v.id = (SELECT pv.id FROM price_versions pv
            WHERE pv.reseller_id = rp.reseller_id AND pv.product_id = rp.product_id
              AND pv.effective_from <= {at}
            ORDER BY pv.effective_from DESC LIMIT 1)"
    )
}

/// The row's columns with its prices from `v` (see [`in_effect_join`]).
const ROW_COLUMNS: &str = "rp.reseller_id, rp.product_id, v.id AS version_id, v.wholesale_monthly, \
     v.wholesale_quarterly, v.wholesale_semi_annual, v.wholesale_annual, v.wholesale_hourly, \
     v.wholesale_setup_fee, rp.discount_rate_override, rp.is_enabled, rp.max_quantity, rp.created_at, \
     rp.updated_at";

impl StoreTx {
    /// The row as in effect at `at`, locked until the transaction ends
    /// (PostgreSQL; on SQLite the write transaction excludes other writers
    /// already). Writers of a row's versions take this lock first, so they
    /// queue.
    pub async fn lock_price_row(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        at: Timestamp,
    ) -> StoreResult<Option<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products rp {join}
             WHERE rp.reseller_id = $1 AND rp.product_id = $2{lock}",
            join = in_effect_join("$3"),
            lock = self.dialect().for_update_of("rp"),
        ));
        let row: Option<PriceRowRecord> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).bind(at).fetch_optional(&mut **t).await?
        });
        Ok(row.map(PriceRow::from))
    }

    /// Creates the row or sets what applies to it at once (enabled, the
    /// quantity cap, the discount override); its prices are versions.
    pub async fn upsert_row_settings(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        draft: &PriceRowDraft,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_products (reseller_id, product_id, discount_rate_override, is_enabled,
                    max_quantity, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (reseller_id, product_id) DO UPDATE SET
                    discount_rate_override = excluded.discount_rate_override,
                    is_enabled = excluded.is_enabled,
                    max_quantity = excluded.max_quantity,
                    updated_at = excluded.updated_at",
            )
            .bind(reseller)
            .bind(product)
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

    /// A new version of the row's prices. `announced` when its
    /// `price_book.changed` went out with the write (a version in effect at
    /// once); a scheduled one is announced again when it takes effect.
    pub async fn insert_version(
        &mut self,
        reseller: &ResellerId,
        version: &PriceVersion,
        now: Timestamp,
        announced: bool,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO price_versions (id, reseller_id, product_id, effective_from, wholesale_monthly,
                    wholesale_quarterly, wholesale_semi_annual, wholesale_annual, wholesale_hourly,
                    wholesale_setup_fee, existing_services, created_at, updated_at, announced_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)",
            )
            .bind(&version.id)
            .bind(reseller)
            .bind(&version.product_id)
            .bind(version.effective_from)
            .bind(version.prices.monthly)
            .bind(version.prices.quarterly)
            .bind(version.prices.semi_annual)
            .bind(version.prices.annual)
            .bind(version.prices.hourly)
            .bind(version.setup_fee)
            .bind(version.existing_services.as_str())
            .bind(now)
            .bind(announced.then_some(now))
            .execute(&mut **t)
            .await?;
        });
        self.bumps_epoch = true;
        Ok(())
    }

    /// Replaces a scheduled version's prices, policy and date.
    pub async fn update_version(&mut self, version: &PriceVersion, now: Timestamp) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "UPDATE price_versions SET effective_from = $2, wholesale_monthly = $3,
                    wholesale_quarterly = $4, wholesale_semi_annual = $5, wholesale_annual = $6,
                    wholesale_hourly = $7, wholesale_setup_fee = $8, existing_services = $9, updated_at = $10
                 WHERE id = $1",
            )
            .bind(&version.id)
            .bind(version.effective_from)
            .bind(version.prices.monthly)
            .bind(version.prices.quarterly)
            .bind(version.prices.semi_annual)
            .bind(version.prices.annual)
            .bind(version.prices.hourly)
            .bind(version.setup_fee)
            .bind(version.existing_services.as_str())
            .bind(now)
            .execute(&mut **t)
            .await?;
        });
        self.bumps_epoch = true;
        Ok(())
    }

    /// A withdrawn version: it never took effect, so nothing refers to it
    /// (the audit log keeps what it was).
    pub async fn delete_version(&mut self, id: &PriceVersionId) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("DELETE FROM price_versions WHERE id = $1").bind(id).execute(&mut **t).await?;
        });
        self.bumps_epoch = true;
        Ok(())
    }

    /// Every version of the row, oldest first.
    pub async fn row_versions(&mut self, reseller: &ResellerId, product: &ProductId) -> StoreResult<Vec<PriceVersion>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM price_versions WHERE reseller_id = $1 AND product_id = $2
             ORDER BY effective_from"
        ));
        let rows: Vec<VersionRecord> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).fetch_all(&mut **t).await?
        });
        Ok(rows.into_iter().map(PriceVersion::from).collect())
    }

    /// The row's `at_renewal` versions that took effect after `after` and
    /// by `until`: what may move a service's renewal price.
    pub async fn renewal_versions(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        after: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<PriceVersion>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM price_versions
             WHERE reseller_id = $1 AND product_id = $2 AND existing_services = 'at_renewal'
               AND effective_from > $3 AND effective_from <= $4"
        ));
        let rows: Vec<VersionRecord> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(product).bind(after).bind(until).fetch_all(&mut **t).await?
        });
        Ok(rows.into_iter().map(PriceVersion::from).collect())
    }

    /// Versions that have taken effect by `now` and were not announced,
    /// oldest first, with their reseller.
    pub async fn unannounced_versions(
        &mut self,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(ResellerId, PriceVersion)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            reseller_id: ResellerId,
            #[sqlx(flatten)]
            version: VersionRecord,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT reseller_id, {VERSION_COLUMNS} FROM price_versions
             WHERE announced_at IS NULL AND effective_from <= $1
             ORDER BY effective_from LIMIT $2"
        ));
        let rows: Vec<Row> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(now).bind(limit).fetch_all(&mut **t).await?
        });
        Ok(rows.into_iter().map(|r| (r.reseller_id, r.version.into())).collect())
    }

    /// Marks a version announced; false if another pass did first (each
    /// announcement goes out once, whichever instance runs the pass).
    pub async fn mark_announced(&mut self, id: &PriceVersionId, now: Timestamp) -> StoreResult<bool> {
        let marked = on_tx!(self, t => {
            sqlx::query("UPDATE price_versions SET announced_at = $2 WHERE id = $1 AND announced_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        // Cached catalogues show the prices now in effect.
        self.bumps_epoch |= marked > 0;
        Ok(marked > 0)
    }

    /// The row's history entry: who changed it from `old` to `new`.
    pub async fn insert_price_change(
        &mut self,
        reseller: &ResellerId,
        product: &ProductId,
        actor: &Actor,
        old: Option<&PriceRowDraft>,
        new: &PriceRowDraft,
        effective_from: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_product_history
                    (reseller_id, product_id, at, actor_kind, actor_id, actor_name, old_row, new_row, effective_from)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(reseller)
            .bind(product)
            .bind(now)
            .bind(actor.kind.as_str())
            .bind(actor.id.as_deref())
            .bind(&actor.name)
            .bind(old.map(Json))
            .bind(Json(new))
            .bind(effective_from)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }
}

impl Store {
    /// The row as in effect at `at`.
    pub async fn price_row(
        &self,
        reseller: &ResellerId,
        product: &ProductId,
        at: Timestamp,
    ) -> StoreResult<Option<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products rp {join}
             WHERE rp.reseller_id = $1 AND rp.product_id = $2",
            join = in_effect_join("$3")
        ));
        let row: Option<PriceRowRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(product).bind(at).fetch_optional(pool).await?
        });
        Ok(row.map(PriceRow::from))
    }

    /// Every row of the reseller as in effect at `at`.
    pub async fn price_rows(&self, reseller: &ResellerId, at: Timestamp) -> StoreResult<Vec<PriceRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS} FROM reseller_products rp {join}
             WHERE rp.reseller_id = $1 ORDER BY rp.product_id",
            join = in_effect_join("$2")
        ));
        let rows: Vec<PriceRowRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(at).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(PriceRow::from).collect())
    }

    /// The versions of the reseller's rows (one product's, if given) that
    /// take effect after `after`, by product and date.
    pub async fn upcoming_versions(
        &self,
        reseller: &ResellerId,
        product: Option<&ProductId>,
        after: Timestamp,
    ) -> StoreResult<Vec<PriceVersion>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM price_versions
             WHERE reseller_id = $1 AND ($2 IS NULL OR product_id = $2) AND effective_from > $3
             ORDER BY product_id, effective_from"
        ));
        let rows: Vec<VersionRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(product).bind(after).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(PriceVersion::from).collect())
    }

    /// The reseller's `at_renewal` versions of `products` that took effect
    /// after `after` (the oldest price lock among the services asked
    /// about): what may move their renewal prices.
    pub async fn renewal_versions_of(
        &self,
        reseller: &ResellerId,
        products: &[ProductId],
        after: Timestamp,
    ) -> StoreResult<Vec<PriceVersion>> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        let list = (0..products.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM price_versions
             WHERE reseller_id = $1 AND existing_services = 'at_renewal' AND effective_from > $2
               AND product_id IN ({list})"
        ));
        let rows: Vec<VersionRecord> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(sql).bind(reseller).bind(after);
            for product in products {
                query = query.bind(product);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(PriceVersion::from).collect())
    }

    /// The rows of one product across resellers, or of one reseller's
    /// book, as in effect at `at`, with the reseller's and the product's
    /// names: what a bulk change moves.
    pub async fn bulk_rows(
        &self,
        product: Option<&ProductId>,
        reseller: Option<&ResellerId>,
        at: Timestamp,
    ) -> StoreResult<Vec<(PriceRow, String, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            row: PriceRowRecord,
            company_name: String,
            product_name: String,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ROW_COLUMNS}, r.company_name, p.name AS product_name
             FROM reseller_products rp
             JOIN reseller_profiles r ON r.id = rp.reseller_id
             JOIN products p ON p.id = rp.product_id {join}
             WHERE ($1 IS NULL OR rp.product_id = $1) AND ($2 IS NULL OR rp.reseller_id = $2)
             ORDER BY r.company_name, p.name, rp.reseller_id, rp.product_id",
            join = in_effect_join("$3")
        ));
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(product).bind(reseller).bind(at).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| (r.row.into(), r.company_name, r.product_name))
            .collect())
    }

    /// The term and price of each running service of the row: what a
    /// version's impact is computed over.
    pub async fn held_prices(
        &self,
        reseller: &ResellerId,
        product: &ProductId,
    ) -> StoreResult<Vec<(BillingTerm, Money)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(try_from = "String")]
            term: BillingTerm,
            recurring_price: Money,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT s.term, s.recurring_price FROM services s
             WHERE s.reseller_id = $1 AND s.product_id = $2 AND {holds}",
            holds = super::services::holds_unit("s")
        ));
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).bind(product).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|r| (r.term, r.recurring_price)).collect())
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
            effective_from: Option<Timestamp>,
        }
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, product_id, at, actor_name, old_row, new_row, effective_from FROM reseller_product_history
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
                effective_from: r.effective_from,
            })
            .collect())
    }

    /// Every product with the reseller's row for it, if any (the admin grid).
    pub async fn price_grid(
        &self,
        reseller: &ResellerId,
        at: Timestamp,
    ) -> StoreResult<Vec<(Product, Option<PriceRow>)>> {
        let products = self.list_products().await?;
        let mut rows = self.price_rows(reseller, at).await?;
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

    /// What the reseller may buy at `at`: enabled rows of active products,
    /// priced by the version in effect then, with the units it holds now.
    /// Provisioning settings are in another table and cannot appear here.
    pub async fn reseller_catalog(&self, reseller: &ResellerId, at: Timestamp) -> StoreResult<Vec<CatalogItem>> {
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
            wholesale_setup_fee: Option<Money>,
            max_quantity: Option<i64>,
            units_held: i64,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.name, p.slug, p.kind, p.description,
                v.wholesale_monthly, v.wholesale_quarterly, v.wholesale_semi_annual,
                v.wholesale_annual, v.wholesale_hourly, v.wholesale_setup_fee, rp.max_quantity,
                (SELECT COUNT(*) FROM services s
                  WHERE s.reseller_id = rp.reseller_id AND s.product_id = rp.product_id
                    AND {holds}) AS units_held
             FROM reseller_products rp JOIN products p ON p.id = rp.product_id {join}
             WHERE rp.reseller_id = $1 AND rp.is_enabled AND p.is_active
             ORDER BY p.name, p.id",
            holds = super::services::holds_unit("s"),
            join = in_effect_join("$2"),
        ));
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(sql)
            .bind(reseller)
            .bind(at)
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
                setup_fee: r.wholesale_setup_fee.unwrap_or(Money::ZERO),
                max_quantity: r.max_quantity,
                units_held: r.units_held,
                upcoming: Vec::new(),
            })
            // A row that prices no term sells nothing.
            .filter(|item| item.prices.priced().next().is_some())
            .collect())
    }
}
