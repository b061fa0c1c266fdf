//! `POST /orders` (signed, idempotent) and order reads.

use super::{PartnerState, auth::Partner};
use crate::{
    idempotency,
    json::{ApiPath, ApiQuery, parse_json, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    error::Problem,
    ids::OrderId,
    lists::Page,
    orders::{Order, OrderFilter, OrderRequest, service as orders},
};
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Place an order.
///
/// Requires an `orders`-scoped key, a signature and an `Idempotency-Key`.
/// Each unit becomes a service; prices come from your price book.
#[utoipa::path(
    post,
    path = "/orders",
    operation_id = "place_order",
    tag = "orders",
    request_body = OrderRequest,
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per order attempt (1-255 visible ASCII characters); replays return the first response", pattern = "^[!-~]{1,255}$"),
    ),
    // Flux-Timestamp and Flux-Signature are computed from the request as
    // sent, like the key: a security requirement (all three), not
    // parameters a generated client would ask its caller for.
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 201, description = "Order placed", body = Order),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 401, description = "Unsigned, or the signature does not match (it covers the Idempotency-Key); `signature_version_unsupported` for v1", body = Problem),
        (status = 402, description = "The order's total exceeds what your account has available (`insufficient_funds`)", body = Problem),
        (status = 409, description = "A request with this Idempotency-Key is still being processed (Retry-After)", body = Problem),
        (status = 422, description = "Invalid, unpriced, unavailable or over max_quantity", body = Problem)
    )
)]
pub async fn place(State(state): State<PartnerState>, partner: Partner, headers: HeaderMap, body: Bytes) -> Response {
    let claim = match idempotency::claim_from(&headers, &body) {
        Ok(claim) => claim,
        Err(err) => return err.into_response(),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Malformed requests are refused before the key is claimed: fixing the
    // body and retrying with the same key then works.
    let request: OrderRequest = match parse_json(is_json, &body) {
        Ok(order) => order,
        Err(err) => return err.into_response(),
    };
    let app = &state.app;
    let placed = orders::place_idempotent(&app.store, &app.settings, &partner.reseller.id, request, &claim).await;
    match placed {
        Ok(answer) => {
            if !answer.replayed {
                state.cache.forget_catalog(&partner.reseller.id);
            }
            idempotency::respond(answer)
        }
        Err(err) => ApiError(err).into_response(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// 1 to 200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only this customer's orders (`cus_...`).
    customer_id: Option<String>,
}

/// List your orders, newest first.
#[utoipa::path(get, path = "/orders", operation_id = "list_orders", tag = "orders", params(ListQuery),
    responses(
        (status = 200, description = "A page of your orders", body = Page<Order>),
        (status = 422, description = "Bad limit, cursor or customer id", body = Problem)
    ))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let q = &query.0;
    let filter = OrderFilter::parse(q.customer_id.as_deref(), None, q.cursor.as_deref(), q.limit)?;
    Ok(Json(
        orders::orders(&state.app.store, &partner.reseller.id, &filter).await?,
    ))
}

/// One of your orders. Another reseller's order id answers 404.
#[utoipa::path(get, path = "/orders/{id}", operation_id = "get_order", tag = "orders",
    params(("id" = String, Path, description = "ord_...")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 404, description = "No order of yours has this id", body = Problem)
    ))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Order>> {
    let id: OrderId = path_id(&id, "order")?;
    Ok(Json(orders::order(&state.app.store, &partner.reseller.id, &id).await?))
}
