//! `/webhook-deliveries`: every delivery with its attempts; retry one.

use super::Operator;
use crate::{
    json::{ApiPath, ApiQuery, Page, clamp_limit, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    error::AppError,
    ids::{DeliveryId, parse_id},
    state::AppState,
    webhooks::{Delivery, DeliveryDetail, DeliveryFilter, DeliveryStatus, EventType, service as webhooks},
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
    let limit = clamp_limit(q.limit)?;
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = DeliveryFilter {
        reseller_id: non_empty(q.reseller_id)
            .map(|r| parse_id("reseller_id", &r))
            .transpose()?,
        status: non_empty(q.status)
            .map(|s| {
                DeliveryStatus::parse(&s)
                    .ok_or_else(|| ApiError(AppError::validation("status", "Unknown delivery status.")))
            })
            .transpose()?,
        event_type: non_empty(q.event_type)
            .map(|s| {
                EventType::parse(&s).ok_or_else(|| ApiError(AppError::validation("event_type", "Unknown event type.")))
            })
            .transpose()?,
        before: non_empty(q.cursor).map(|c| parse_id("cursor", &c)).transpose()?,
        limit: limit + 1,
    };
    let rows = webhooks::list(&state.store, &filter).await?;
    Ok(Json(Page::from_overfetch(rows, limit, |d| d.id.to_string())))
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
