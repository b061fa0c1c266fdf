//! `/resellers/{id}/products...`: the price book rows, their scheduled
//! versions, derive, history; `/price-book/bulk`: a percentage change
//! across rows.

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, path_id},
    problem::ApiResult,
};
use app::{
    error::AppError,
    ids::{PriceVersionId, ProductId, ResellerId},
    lists::Page,
    money::{Money, Percent},
    price_book::{
        GridLine, Impact, PriceChange, PriceRow, PriceRowDraft, PriceRowInput, PriceVersion, VersionDraft,
        service as price_book,
        versions::{self, BulkChange, BulkLine, BulkScope, Schedule},
    },
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
        .route("/resellers/{id}/products/{product_id}/versions/preview", post(preview))
        .route(
            "/resellers/{id}/products/{product_id}/versions/{version_id}",
            axum::routing::put(change_version).delete(withdraw_version),
        )
        .route("/price-book/bulk/preview", post(bulk_preview))
        .route("/price-book/bulk", post(bulk))
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
    /// The version in effect now (`null` before the first takes effect).
    pub version_id: Option<PriceVersionId>,
    /// Scheduled versions, soonest first.
    pub upcoming: Vec<PriceVersion>,
}

impl TryFrom<GridLine> for RowOut {
    type Error = AppError;

    /// A line read as a row has one; without it, there is no such row.
    fn try_from(line: GridLine) -> Result<Self, AppError> {
        let mut out = RowOut::from(line.row.ok_or_else(|| AppError::not_found("price book row"))?);
        out.upcoming = line.upcoming;
        Ok(out)
    }
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
            version_id: r.version_id,
            upcoming: Vec::new(),
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
    /// A future time: schedules a version of the prices instead of
    /// changing them now (then only prices and the setup fee may be sent).
    #[serde(default)]
    effective_from: Option<String>,
    /// `keep` (default) or `at_renewal`.
    #[serde(default)]
    existing_services: Option<String>,
}

/// A scheduled version's body: its date, policy and prices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionIn {
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
    effective_from: Option<String>,
    #[serde(default)]
    existing_services: Option<String>,
}

impl VersionIn {
    /// The date (required) and what the version says.
    fn parse(self) -> ApiResult<(Timestamp, VersionDraft)> {
        let schedule = Schedule::parse(self.effective_from.as_deref(), self.existing_services.as_deref())?;
        let at = schedule.effective_from.ok_or_else(|| {
            AppError::validation(
                "effective_from",
                "Effective from is required: the time the prices take effect.",
            )
        })?;
        let row = PriceRowDraft::try_from(PriceRowInput {
            wholesale_monthly: self.wholesale_monthly,
            wholesale_quarterly: self.wholesale_quarterly,
            wholesale_semi_annual: self.wholesale_semi_annual,
            wholesale_annual: self.wholesale_annual,
            wholesale_hourly: self.wholesale_hourly,
            wholesale_setup_fee: self.wholesale_setup_fee,
            ..PriceRowInput::default()
        })?;
        Ok((
            at,
            VersionDraft {
                prices: row.prices,
                setup_fee: row.setup_fee,
                existing_services: schedule.existing_services,
            },
        ))
    }
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
    let schedule = Schedule::parse(body.effective_from.as_deref(), body.existing_services.as_deref())?;
    let mut input = PriceRowInput {
        wholesale_monthly: body.wholesale_monthly,
        wholesale_quarterly: body.wholesale_quarterly,
        wholesale_semi_annual: body.wholesale_semi_annual,
        wholesale_annual: body.wholesale_annual,
        wholesale_hourly: body.wholesale_hourly,
        wholesale_setup_fee: body.wholesale_setup_fee,
        discount_rate_override: body.discount_rate_override.map(|p| p.to_string()),
        is_enabled: body.is_enabled,
        max_quantity: body.max_quantity.map(|q| q.to_string()),
    };
    if schedule.effective_from.is_some() {
        // What applies at once is not versioned: one request, one meaning.
        let at_once = [
            ("is_enabled", input.is_enabled.is_some()),
            ("max_quantity", input.max_quantity.is_some()),
            ("discount_rate_override", input.discount_rate_override.is_some()),
        ];
        if let Some((field, _)) = at_once.iter().find(|(_, sent)| *sent) {
            return Err(AppError::validation(
                field,
                format!("{field} applies at once: send it without effective_from (a version schedules prices only)."),
            )
            .into());
        }
        // The row's own settings stay as they are.
        let current = price_book::row(&state.store, &reseller, &product)
            .await
            .ok()
            .and_then(|line| line.row);
        input.is_enabled = Some(current.as_ref().is_none_or(|row| row.is_enabled));
        input.max_quantity = current.as_ref().and_then(|row| row.max_quantity).map(|q| q.to_string());
        input.discount_rate_override = current
            .as_ref()
            .and_then(|row| row.discount_rate_override)
            .map(|p| p.to_string());
    }
    let draft = PriceRowDraft::try_from(input)?;
    let line = price_book::put_row(
        &state.store,
        &state.settings,
        &operator.actor,
        &reseller,
        &product,
        draft,
        schedule,
    )
    .await?;
    Ok(Json(line.try_into()?))
}

/// What a version would do to services already sold. Saves nothing.
async fn preview(
    State(state): State<AppState>,
    _: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<VersionIn>,
) -> ApiResult<Json<Impact>> {
    let (reseller, product) = ids(&id, &product_id)?;
    let (_, draft) = body.parse()?;
    Ok(Json(
        price_book::impact(&state.store, &reseller, &product, &draft).await?,
    ))
}

/// Changes a scheduled version (409 `version_in_effect` once it applies).
async fn change_version(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, product_id, version_id)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<VersionIn>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    let version: PriceVersionId = path_id(&version_id, "price version")?;
    let (at, draft) = body.parse()?;
    let line = price_book::change_version(
        &state.store,
        &state.settings,
        &operator.actor,
        &reseller,
        &product,
        &version,
        draft,
        at,
    )
    .await?;
    Ok(Json(line.try_into()?))
}

/// Withdraws a scheduled version: what was in effect stays.
async fn withdraw_version(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, product_id, version_id)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    let version: PriceVersionId = path_id(&version_id, "price version")?;
    let line = price_book::withdraw_version(&state.store, &operator.actor, &reseller, &product, &version).await?;
    Ok(Json(line.try_into()?))
}

/// A bulk change: `product_id` (every reseller's row of it) or
/// `reseller_id` (its whole book), a percentage, a date and a policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkIn {
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    reseller_id: Option<String>,
    percent: String,
    effective_from: String,
    #[serde(default)]
    existing_services: Option<String>,
}

impl BulkIn {
    fn parse(self) -> ApiResult<BulkChange> {
        let scope = match (self.product_id, self.reseller_id) {
            (Some(p), None) => BulkScope::Product(path_id(&p, "product")?),
            (None, Some(r)) => BulkScope::Reseller(path_id(&r, "reseller")?),
            _ => {
                return Err(AppError::validation(
                    "product_id",
                    "Send product_id (one product across every reseller) or reseller_id (one reseller's book), not both.",
                )
                .into());
            }
        };
        let percent = versions::parse_percent(&self.percent)?;
        let schedule = Schedule::parse(Some(&self.effective_from), self.existing_services.as_deref())?;
        let effective_from = schedule
            .effective_from
            .ok_or_else(|| AppError::validation("effective_from", "Effective from is required."))?;
        Ok(BulkChange {
            scope,
            percent,
            effective_from,
            existing_services: schedule.existing_services,
        })
    }
}

async fn bulk_preview(
    State(state): State<AppState>,
    _: Operator,
    ApiJson(body): ApiJson<BulkIn>,
) -> ApiResult<Json<Page<BulkLine>>> {
    let data = price_book::bulk_preview(&state.store, &body.parse()?).await?;
    Ok(Json(Page {
        data,
        next_cursor: None,
    }))
}

/// Schedules one version per row, all or none.
async fn bulk(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(body): ApiJson<BulkIn>,
) -> ApiResult<Json<Page<BulkLine>>> {
    let data = price_book::bulk_schedule(&state.store, &state.settings, &operator.actor, &body.parse()?).await?;
    Ok(Json(Page {
        data,
        next_cursor: None,
    }))
}

async fn read(
    State(state): State<AppState>,
    _: Operator,
    ApiPath((id, product_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<RowOut>> {
    let (reseller, product) = ids(&id, &product_id)?;
    Ok(Json(
        price_book::row(&state.store, &reseller, &product).await?.try_into()?,
    ))
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
        .filter_map(|line| RowOut::try_from(line).ok())
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
        price_book::derive_row(&state.store, &state.settings, &operator.actor, &reseller, &product)
            .await?
            .try_into()?,
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
