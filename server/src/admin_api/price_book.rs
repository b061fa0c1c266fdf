//! `/resellers/{id}/products...`: the price book rows, derive, history.

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, path_id},
    problem::ApiResult,
};
use app::{
    ids::{ProductId, ResellerId},
    lists::Page,
    money::{Money, Percent},
    price_book::{PriceChange, PriceRow, PriceRowDraft, PriceRowInput, service as price_book},
    state::AppState,
    timestamp::Timestamp,
};
use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resellers/{id}/products", get(list))
        .route("/resellers/{id}/products/{product_id}", get(read).put(put))
        .route("/resellers/{id}/products/{product_id}/derive", post(derive))
        .route("/resellers/{id}/products/{product_id}/history", get(history))
}

/// A row on the wire: DESIGN.md's nine fields, amounts as strings.
#[derive(Debug, Serialize)]
pub struct RowOut {
    pub reseller_id: ResellerId,
    pub product_id: ProductId,
    pub wholesale_monthly: Option<Money>,
    pub wholesale_quarterly: Option<Money>,
    pub wholesale_semi_annual: Option<Money>,
    pub wholesale_annual: Option<Money>,
    pub wholesale_hourly: Option<Money>,
    pub wholesale_setup_fee: Money,
    pub discount_rate_override: Option<Percent>,
    pub is_enabled: bool,
    pub max_quantity: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<PriceRow> for RowOut {
    fn from(r: PriceRow) -> Self {
        RowOut {
            reseller_id: r.reseller_id,
            product_id: r.product_id,
            wholesale_monthly: r.prices.monthly,
            wholesale_quarterly: r.prices.quarterly,
            wholesale_semi_annual: r.prices.semi_annual,
            wholesale_annual: r.prices.annual,
            wholesale_hourly: r.prices.hourly,
            wholesale_setup_fee: r.setup_fee,
            discount_rate_override: r.discount_rate_override,
            is_enabled: r.is_enabled,
            max_quantity: r.max_quantity,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// PUT body: all nine fields; an omitted (or null) term is not sold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowIn {
    #[serde(default)]
    wholesale_monthly: Option<String>,
    #[serde(default)]
    wholesale_quarterly: Option<String>,
    #[serde(default)]
    wholesale_semi_annual: Option<String>,
    #[serde(default)]
    wholesale_annual: Option<String>,
    #[serde(default)]
    wholesale_hourly: Option<String>,
    #[serde(default)]
    wholesale_setup_fee: Option<String>,
    #[serde(default)]
    discount_rate_override: Option<Percent>,
    #[serde(default)]
    is_enabled: Option<bool>,
    #[serde(default)]
    max_quantity: Option<i64>,
}

fn ids(id: &str, product_id: &str) -> ApiResult<(ResellerId, ProductId)> {
    Ok((path_id(id, "reseller")?, path_id(product_id, "product")?))
}

async fn put(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RowIn>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    let draft = PriceRowDraft::try_from(PriceRowInput {
        wholesale_monthly: body.wholesale_monthly,
        wholesale_quarterly: body.wholesale_quarterly,
        wholesale_semi_annual: body.wholesale_semi_annual,
        wholesale_annual: body.wholesale_annual,
        wholesale_hourly: body.wholesale_hourly,
        wholesale_setup_fee: body.wholesale_setup_fee,
        discount_rate_override: body.discount_rate_override.map(|p| p.to_string()),
        is_enabled: body.is_enabled,
        max_quantity: body.max_quantity.map(|q| q.to_string()),
    })?;
    let row = price_book::put_row(&state.store, &operator.actor, &reseller, &product, draft).await?;
    Ok(Json(row.into()))
}

async fn read(
    State(state): State<AppState>,
    _: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    Ok(Json(price_book::row(&state.store, &reseller, &product).await?.into()))
}

async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Page<RowOut>>> {
    let reseller: ResellerId = path_id(&id, "reseller")?;
    let data = price_book::grid(&state.store, &reseller)
        .await?
        .into_iter()
        .filter_map(|line| line.row.map(RowOut::from))
        .collect();
    Ok(Json(Page {
        data,
        next_cursor: None,
    }))
}

/// Fills the row's terms from retail with the effective discount and saves.
async fn derive(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    Ok(Json(
        price_book::derive_row(&state.store, &operator.actor, &reseller, &product)
            .await?
            .into(),
    ))
}

async fn history(
    State(state): State<AppState>,
    _: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Page<PriceChange>>> {
    let (reseller, product) = ids(&id, &product_id)?;
    let data = price_book::history(&state.store, &reseller, Some(&product)).await?;
    Ok(Json(Page {
        data,
        next_cursor: None,
    }))
}
