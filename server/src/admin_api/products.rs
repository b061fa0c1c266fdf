//! `/products`: the catalogue. Provisioning settings can be written here
//! but are never returned (`has_provisioning` says whether some are
//! stored); `provisioning` shows the module and its URL, and the signing
//! secret once, in the answer that made it (or rotated it).

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, path_id},
    problem::ApiResult,
};
use app::{
    catalog::{Product, ProductDraft, ProductForm, service as catalog},
    ids::ProductId,
    money::Money,
    provisioning::{ModuleConfig, ModuleView},
    state::AppState,
    timestamp::Timestamp,
};
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(list).post(create))
        .route("/products/{id}", get(read).put(replace))
        .route("/products/{id}/provisioning-secret", axum::routing::post(rotate_secret))
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
    pub provisioning: ModuleView,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ProductOut {
    fn new(p: Product, provisioning: ModuleView) -> Self {
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
            has_provisioning: provisioning.has_settings,
            provisioning,
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
    provisioning: Option<ModuleConfig>,
}

impl ProductIn {
    fn into_parts(self) -> ApiResult<(ProductDraft, Option<ModuleConfig>)> {
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
        let provisioning = self.provisioning.map(ModuleConfig::validated).transpose()?;
        Ok((draft, provisioning))
    }
}

/// The product with its module; `secret` when this answer made one.
async fn out(state: &AppState, saved: catalog::Saved) -> ApiResult<ProductOut> {
    let mut module = catalog::module(&state.store, &saved.product.id).await?;
    module.secret = saved.secret;
    Ok(ProductOut::new(saved.product, module))
}

async fn create(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(body): ApiJson<ProductIn>,
) -> ApiResult<(StatusCode, Json<ProductOut>)> {
    let (draft, provisioning) = body.into_parts()?;
    let key = &state.settings.secrets_key;
    let saved = catalog::create_product(&state.store, key, &operator.actor, draft, provisioning).await?;
    Ok((StatusCode::CREATED, Json(out(&state, saved).await?)))
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
    let saved = catalog::update_product(&state.store, key, &operator.actor, &id, draft, provisioning).await?;
    Ok(Json(out(&state, saved).await?))
}

/// `POST /products/{id}/provisioning-secret`: a new signing secret,
/// returned this once (the old one stops verifying at once).
async fn rotate_secret(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id: ProductId = path_id(&id, "product")?;
    let key = &state.settings.secrets_key;
    let secret = catalog::rotate_provisioning_secret(&state.store, key, &operator.actor, &id).await?;
    Ok(Json(serde_json::json!({ "product_id": id, "secret": secret })))
}

async fn read(State(state): State<AppState>, _: Operator, ApiPath(id): ApiPath<String>) -> ApiResult<Json<ProductOut>> {
    let id: ProductId = path_id(&id, "product")?;
    let product = catalog::product(&state.store, &id).await?;
    Ok(Json(out(&state, catalog::Saved { product, secret: None }).await?))
}

/// The whole catalogue (operators have tens of products, not thousands:
/// one page).
async fn list(State(state): State<AppState>, _: Operator) -> ApiResult<Json<app::lists::Page<ProductOut>>> {
    let mut modules = catalog::modules(&state.store).await?;
    let data = catalog::list_products(&state.store)
        .await?
        .into_iter()
        .map(|p| {
            let module = modules.remove(&p.id).unwrap_or_default();
            ProductOut::new(p, module)
        })
        .collect();
    Ok(Json(app::lists::Page {
        data,
        next_cursor: None,
    }))
}
