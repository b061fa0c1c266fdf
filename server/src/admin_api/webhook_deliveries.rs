//! `/webhook-deliveries`: every delivery with its attempts; retry one.

use super::Operator;
use crate::{
    json::{ApiPath, ApiQuery, path_id},
    problem::ApiResult,
};
use app::{
    ids::DeliveryId,
    lists::Page,
    state::AppState,
    webhooks::{Delivery, DeliveryDetail, DeliveryFilter, service as webhooks},
};
use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhook-deliveries", get(list))
        .route("/webhook-deliveries/{id}", get(read))
        .route("/webhook-deliveries/{id}/retry", post(retry))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    reseller_id: Option<String>,
    status: Option<String>,
    event_type: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    let filter = DeliveryFilter::parse(
        q.reseller_id.as_deref(),
        q.status.as_deref(),
        q.event_type.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(webhooks::list(&state.store, &filter).await?))
}

async fn read(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    let id: DeliveryId = path_id(&id, "delivery")?;
    Ok(Json(webhooks::detail(&state.store, &id, None).await?))
}

async fn retry(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    let id: DeliveryId = path_id(&id, "delivery")?;
    Ok(Json(webhooks::retry_now(&state.store, &operator.actor, &id).await?))
}
