//! `/products`: the catalogue. Provisioning settings can be written here
//! but are never returned (`has_provisioning` says whether some are stored).

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, path_id},
    problem::ApiResult,
};
use app::{
    catalog::{Product, ProductDraft, ProductForm, Provisioning, service as catalog},
    ids::ProductId,
    money::Money,
    state::AppState,
    timestamp::Timestamp,
};
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(list).post(create))
        .route("/products/{id}", get(read).put(replace))
}

/// A product on the wire.
#[derive(Debug, Serialize)]
pub struct ProductOut {
    pub id: ProductId,
    pub name: String,
    pub slug: String,
    pub kind: &'static str,
    pub description: String,
    pub is_active: bool,
    pub retail_monthly: Option<Money>,
    pub retail_quarterly: Option<Money>,
    pub retail_semi_annual: Option<Money>,
    pub retail_annual: Option<Money>,
    pub retail_hourly: Option<Money>,
    pub retail_setup_fee: Money,
    pub has_provisioning: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ProductOut {
    fn new(p: Product, has_provisioning: bool) -> Self {
        ProductOut {
            id: p.id,
            name: p.name,
            slug: p.slug,
            kind: p.kind.as_str(),
            description: p.description,
            is_active: p.is_active,
            retail_monthly: p.retail.monthly,
            retail_quarterly: p.retail.quarterly,
            retail_semi_annual: p.retail.semi_annual,
            retail_annual: p.retail.annual,
            retail_hourly: p.retail.hourly,
            retail_setup_fee: p.retail_setup_fee,
            has_provisioning,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// The create/replace body: `ProductForm`'s fields plus `provisioning`.
/// Unknown fields are refused, so a misspelt price is not silently unsold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    name: String,
    slug: String,
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    is_active: Option<bool>,
    #[serde(default)]
    retail_monthly: Option<String>,
    #[serde(default)]
    retail_quarterly: Option<String>,
    #[serde(default)]
    retail_semi_annual: Option<String>,
    #[serde(default)]
    retail_annual: Option<String>,
    #[serde(default)]
    retail_hourly: Option<String>,
    #[serde(default)]
    retail_setup_fee: Option<String>,
    #[serde(default)]
    provisioning: Option<Provisioning>,
}

impl ProductIn {
    fn into_parts(self) -> ApiResult<(ProductDraft, Option<Provisioning>)> {
        let draft = ProductDraft::try_from(ProductForm {
            name: self.name,
            slug: self.slug,
            kind: self.kind,
            description: self.description,
            is_active: self.is_active.unwrap_or(true),
            retail_monthly: self.retail_monthly,
            retail_quarterly: self.retail_quarterly,
            retail_semi_annual: self.retail_semi_annual,
            retail_annual: self.retail_annual,
            retail_hourly: self.retail_hourly,
            retail_setup_fee: self.retail_setup_fee,
        })?;
        Ok((draft, self.provisioning))
    }
}

async fn out(state: &AppState, product: Product) -> ApiResult<ProductOut> {
    let provisioned = catalog::provisioned_product_ids(&state.store).await?;
    let has = provisioned.contains(&product.id);
    Ok(ProductOut::new(product, has))
}

async fn create(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(body): ApiJson<ProductIn>,
) -> ApiResult<(StatusCode, Json<ProductOut>)> {
    let (draft, provisioning) = body.into_parts()?;
    let key = &state.settings.secrets_key;
    let product = catalog::create_product(&state.store, key, &operator.actor, draft, provisioning).await?;
    Ok((StatusCode::CREATED, Json(out(&state, product).await?)))
}

async fn replace(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ProductIn>,
) -> ApiResult<Json<ProductOut>> {
    let id: ProductId = path_id(&id, "product")?;
    let (draft, provisioning) = body.into_parts()?;
    let key = &state.settings.secrets_key;
    let product = catalog::update_product(&state.store, key, &operator.actor, &id, draft, provisioning).await?;
    Ok(Json(out(&state, product).await?))
}

async fn read(State(state): State<AppState>, _: Operator, ApiPath(id): ApiPath<String>) -> ApiResult<Json<ProductOut>> {
    let id: ProductId = path_id(&id, "product")?;
    let product = catalog::product(&state.store, &id).await?;
    Ok(Json(out(&state, product).await?))
}

/// The whole catalogue (operators have tens of products, not thousands:
/// one page).
async fn list(State(state): State<AppState>, _: Operator) -> ApiResult<Json<app::lists::Page<ProductOut>>> {
    let provisioned = catalog::provisioned_product_ids(&state.store).await?;
    let data = catalog::list_products(&state.store)
        .await?
        .into_iter()
        .map(|p| {
            let has = provisioned.contains(&p.id);
            ProductOut::new(p, has)
        })
        .collect();
    Ok(Json(app::lists::Page {
        data,
        next_cursor: None,
    }))
}
