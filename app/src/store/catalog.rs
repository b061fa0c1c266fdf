//! Products and their (operator-only) provisioning settings.

use super::{OptionalExt, Store, StoreError, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    catalog::{Product, ProductDraft, ProductKind},
    ids::{ProductId, ResellerId},
    money::Money,
    provisioning::{Module, ModuleConfig},
    terms::TermPrices,
    timestamp::Timestamp,
};
use sqlx::types::Json;

/// A `products` row. Provisioning is not a column here: it cannot leak
/// through this type.
#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    id: ProductId,
    name: String,
    slug: String,
    #[sqlx(try_from = "String")]
    kind: ProductKind,
    description: String,
    is_active: bool,
    retail_monthly: Option<Money>,
    retail_quarterly: Option<Money>,
    retail_semi_annual: Option<Money>,
    retail_annual: Option<Money>,
    retail_hourly: Option<Money>,
    retail_setup_fee: Money,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Product {
            id: r.id,
            name: r.name,
            slug: r.slug,
            kind: r.kind,
            description: r.description,
            is_active: r.is_active,
            retail: TermPrices {
                monthly: r.retail_monthly,
                quarterly: r.retail_quarterly,
                semi_annual: r.retail_semi_annual,
                annual: r.retail_annual,
                hourly: r.retail_hourly,
            },
            retail_setup_fee: r.retail_setup_fee,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(crate) const PRODUCT_COLUMNS: &str = "id, name, slug, kind, description, is_active, \
     retail_monthly, retail_quarterly, retail_semi_annual, retail_annual, retail_hourly, \
     retail_setup_fee, created_at, updated_at";

/// A product's provisioning as stored: the module, its URL, the settings
/// sealed with the secrets key (`SecretsKey::seal` of their JSON) and the
/// sealed signing secret (`None` when writing: keep the stored one).
#[derive(Clone, Debug)]
pub struct SealedProvisioning {
    pub module: Module,
    pub url: Option<String>,
    pub sealed: String,
    pub sealed_secret: Option<String>,
}

/// Provisioning settings as read: sealed, or plaintext from before sealing
/// (sealed at the next start).
#[derive(Clone, Debug)]
pub enum StoredProvisioning {
    Sealed(SealedProvisioning),
    Plain(ModuleConfig),
}

#[derive(sqlx::FromRow)]
struct ProvisioningRow {
    product_id: ProductId,
    module: String,
    url: Option<String>,
    settings: Json<serde_json::Map<String, serde_json::Value>>,
    sealed_settings: Option<String>,
    sealed_secret: Option<String>,
}

const PROVISIONING_COLUMNS: &str = "product_id, module, url, settings, sealed_settings, sealed_secret";

impl From<ProvisioningRow> for StoredProvisioning {
    fn from(r: ProvisioningRow) -> Self {
        // The migration made every stored module one of the two.
        let module = Module::parse(&r.module).unwrap_or(Module::Manual);
        match r.sealed_settings {
            Some(sealed) => StoredProvisioning::Sealed(SealedProvisioning {
                module,
                url: r.url,
                sealed,
                sealed_secret: r.sealed_secret,
            }),
            None => StoredProvisioning::Plain(ModuleConfig {
                module,
                url: r.url,
                settings: r.settings.0,
            }),
        }
    }
}

/// A product's module in the catalogue list: never the settings.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ModuleRow {
    pub product_id: ProductId,
    #[sqlx(try_from = "String")]
    pub module: Module,
    pub url: Option<String>,
    pub has_settings: bool,
    pub has_secret: bool,
}

/// Binds a product's columns in the order both its INSERT and its UPDATE
/// number them: `$1` the id, `$2..$12` the draft, `$13` the time.
macro_rules! bind_product {
    ($query:expr, $id:expr, $draft:expr, $now:expr) => {
        $query
            .bind($id)
            .bind(&$draft.name)
            .bind($draft.slug.as_str())
            .bind($draft.kind.as_str())
            .bind(&$draft.description)
            .bind($draft.is_active)
            .bind($draft.retail.monthly)
            .bind($draft.retail.quarterly)
            .bind($draft.retail.semi_annual)
            .bind($draft.retail.annual)
            .bind($draft.retail.hourly)
            .bind($draft.retail_setup_fee)
            .bind($now)
    };
}

impl StoreTx {
    /// Inserts a product. A taken slug is `Conflict`.
    pub async fn insert_product(&mut self, id: &ProductId, draft: &ProductDraft, now: Timestamp) -> StoreResult<()> {
        on_tx!(self, t => {
            bind_product!(sqlx::query(
                "INSERT INTO products (id, name, slug, kind, description, is_active,
                    retail_monthly, retail_quarterly, retail_semi_annual, retail_annual, retail_hourly,
                    retail_setup_fee, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            ), id, draft, now)
            .execute(&mut **t)
            .await
            .map_err(StoreError::from_write)?;
        });
        // Catalogues are cached on the request path.
        self.bumps_epoch = true;
        Ok(())
    }

    /// Replaces a product's definition. A taken slug is `Conflict`, an
    /// unknown id `NotFound`.
    pub async fn update_product(&mut self, id: &ProductId, draft: &ProductDraft, now: Timestamp) -> StoreResult<()> {
        let updated = on_tx!(self, t => {
            bind_product!(sqlx::query(
                "UPDATE products SET name = $2, slug = $3, kind = $4, description = $5, is_active = $6,
                    retail_monthly = $7, retail_quarterly = $8, retail_semi_annual = $9,
                    retail_annual = $10, retail_hourly = $11, retail_setup_fee = $12, updated_at = $13
                 WHERE id = $1",
            ), id, draft, now)
            .execute(&mut **t)
            .await
            .map_err(StoreError::from_write)?
            .rows_affected()
        });
        super::changed_one(updated)?;
        self.bumps_epoch = true;
        Ok(())
    }

    /// Creates or replaces a product's (sealed) provisioning settings.
    pub async fn put_provisioning(
        &mut self,
        id: &ProductId,
        provisioning: &SealedProvisioning,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO product_provisioning
                    (product_id, module, url, settings, sealed_settings, sealed_secret, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (product_id) DO UPDATE
                 SET module = excluded.module, url = excluded.url, settings = excluded.settings,
                     sealed_settings = excluded.sealed_settings,
                     sealed_secret = COALESCE(excluded.sealed_secret, product_provisioning.sealed_secret),
                     updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(provisioning.module.as_str())
            .bind(provisioning.url.as_deref())
            .bind(Json(serde_json::Map::new()))
            .bind(&provisioning.sealed)
            .bind(provisioning.sealed_secret.as_deref())
            .bind(now)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }
}

impl Store {
    pub async fn product(&self, id: &ProductId) -> StoreResult<Product> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"));
        let row: Option<ProductRow> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        });
        row.map(Product::from).found()
    }

    /// All products, newest last.
    pub async fn list_products(&self) -> StoreResult<Vec<Product>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {PRODUCT_COLUMNS} FROM products ORDER BY name, id"));
        let rows: Vec<ProductRow> = with_pool!(self, pool => {
            sqlx::query_as(sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Product::from).collect())
    }

    /// Operator-only: the provisioning settings of one product, as stored.
    pub async fn product_provisioning(&self, id: &ProductId) -> StoreResult<Option<StoredProvisioning>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PROVISIONING_COLUMNS} FROM product_provisioning WHERE product_id = $1"
        ));
        let row: Option<ProvisioningRow> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(StoredProvisioning::from))
    }

    /// Settings stored before they were sealed at rest (see `seal_provisioning`).
    pub async fn unsealed_provisioning(&self) -> StoreResult<Vec<(ProductId, ModuleConfig)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {PROVISIONING_COLUMNS} FROM product_provisioning WHERE sealed_settings IS NULL"
        ));
        let rows: Vec<ProvisioningRow> = with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                let id = r.product_id.clone();
                let module = Module::parse(&r.module).unwrap_or(Module::Manual);
                (
                    id,
                    ModuleConfig {
                        module,
                        url: r.url,
                        settings: r.settings.0,
                    },
                )
            })
            .collect())
    }

    /// Replaces a product's plaintext settings by their sealed form.
    pub async fn seal_provisioning(&self, id: &ProductId, sealed: &str) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE product_provisioning SET sealed_settings = $2, settings = $3
                 WHERE product_id = $1 AND sealed_settings IS NULL",
            )
            .bind(id)
            .bind(sealed)
            .bind(Json(serde_json::Map::new()))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// One value sealed with the secrets key (a webhook secret or
    /// provisioning settings), if the database holds any: start-up checks
    /// that the key it was given opens it.
    pub async fn any_sealed_secret(&self) -> StoreResult<Option<String>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT webhook_secret_sealed FROM reseller_profiles WHERE webhook_secret_sealed IS NOT NULL
                 UNION ALL
                 SELECT sealed_settings FROM product_provisioning WHERE sealed_settings IS NOT NULL
                 UNION ALL
                 SELECT sealed_secret FROM product_provisioning WHERE sealed_secret IS NOT NULL
                 LIMIT 1",
            )
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The names of the products a reseller may see: those its price book
    /// offers (enabled rows of active products) and those it holds
    /// services of. Never the rest of the catalogue.
    pub async fn product_names_for(&self, reseller: &ResellerId) -> StoreResult<Vec<(ProductId, String)>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT p.id, p.name FROM products p
                 WHERE EXISTS (SELECT 1 FROM reseller_products rp
                               WHERE rp.reseller_id = $1 AND rp.product_id = p.id AND rp.is_enabled AND p.is_active)
                    OR EXISTS (SELECT 1 FROM services s WHERE s.reseller_id = $1 AND s.product_id = p.id)
                 ORDER BY p.name, p.id",
            )
            .bind(reseller)
            .fetch_all(pool)
            .await?
        }))
    }
}

impl Store {
    /// Every product's module (products without a row are `manual`).
    pub async fn product_modules(&self) -> StoreResult<Vec<ModuleRow>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT product_id, module, url, sealed_settings IS NOT NULL AS has_settings,
                        sealed_secret IS NOT NULL AS has_secret
                 FROM product_provisioning",
            )
            .fetch_all(pool)
            .await?
        }))
    }
}

impl StoreTx {
    /// Which of `products` call the `http` module.
    pub async fn http_products(&mut self, products: &[ProductId]) -> StoreResult<Vec<ProductId>> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_tx!(self, t => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT product_id FROM product_provisioning WHERE module = 'http' AND product_id IN (",
            );
            let mut list = query.separated(", ");
            for p in products {
                list.push_bind(p);
            }
            query.push(")");
            query.build_query_scalar().fetch_all(&mut **t).await?
        }))
    }
}
