//! `POST /orders` (signed, idempotent) and order reads.

use super::{
    PartnerState,
    auth::Partner,
    idempotency,
    schemas::{OrderIn, OrderOut, Page, ProblemOut},
};
use crate::{
    json::{ApiQuery, clamp_limit, parse_json, path_id},
    problem::ApiResult,
};
use app::{
    ids::{OrderId, parse_id},
    orders::{OrderRequest, service as orders},
    store::OrderFilter,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
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
    tag = "orders",
    request_body = OrderIn,
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per order attempt (1-255 chars); replays return the first response"),
        ("Flux-Timestamp" = i64, Header, description = "Unix seconds"),
        ("Flux-Signature" = String, Header, description = "v1=<hex HMAC-SHA256>"),
    ),
    responses(
        (status = 201, description = "Order placed", body = OrderOut),
        (status = 400, description = "Idempotency-Key missing", body = ProblemOut),
        (status = 401, body = ProblemOut), (status = 403, body = ProblemOut), (status = 409, body = ProblemOut),
        (status = 422, description = "Invalid, unpriced, unavailable or over max_quantity", body = ProblemOut),
        (status = 429, body = ProblemOut)
    )
)]
pub async fn place(State(state): State<PartnerState>, partner: Partner, headers: HeaderMap, body: Bytes) -> Response {
    let key = match idempotency::key_from(&headers) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Malformed requests are refused before the key is claimed: fixing the
    // body and retrying with the same key then works.
    let request: OrderRequest = match parse_json::<OrderIn>(is_json, &body) {
        Ok(order) => order.into(),
        Err(err) => return err.into_response(),
    };
    let store = &state.app.store;
    idempotency::run(store, &partner.reseller.id, &key, &body, || async {
        let currency = state.app.settings.currency.code();
        let order = orders::place(store, currency, &partner.reseller, request, Some(&key)).await?;
        state.cache.forget_catalog(&partner.reseller.id);
        // The same bytes the store saved for replays (`OrderOut`'s JSON:
        // a unit test keeps the two identical).
        let body = serde_json::to_string(&order).map_err(app::error::AppError::internal)?;
        Ok((StatusCode::CREATED, body))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
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
#[utoipa::path(get, path = "/orders", tag = "orders", params(ListQuery),
    responses((status = 200, body = Page<OrderOut>), (status = 401, body = ProblemOut), (status = 422, body = ProblemOut)))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<OrderOut>>> {
    let limit = clamp_limit(query.limit)?;
    let filter = OrderFilter {
        customer_id: query
            .customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("customer_id", c))
            .transpose()?,
        before: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("cursor", c))
            .transpose()?,
        since: None,
        limit: limit + 1,
    };
    let items = orders::orders(&state.app.store, &partner.reseller.id, &filter).await?;
    Ok(Json(super::page(items, limit, |o| o.id.to_string(), OrderOut::from)))
}

#[cfg(test)]
mod tests {
    use super::OrderOut;
    use app::orders::Order;

    /// Replays send the stored JSON of `Order`; `OrderOut` (the documented
    /// schema) must serialise to exactly the same document.
    #[test]
    fn the_documented_shape_is_the_stored_shape() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "ord_01jd8x2m3n4p5q6r7s8t9v0w1x",
            "status": "placed",
            "customer": { "id": "cus_01jd8x2m3n4p5q6r7s8t9v0w1x", "external_id": "c-42" },
            "lines": [{ "product_id": "prd_01jd8x2m3n4p5q6r7s8t9v0w1x", "term": "semi_annual", "quantity": 3,
                        "unit_price": "19.99", "setup_fee": "0.00", "line_total": "59.97" }],
            "service_ids": ["svc_01jd8x2m3n4p5q6r7s8t9v0w1x"],
            "wholesale_total": "59.97",
            "currency": "EUR",
            "created_at": "2026-11-26T14:05:06.123456Z"
        }))
        .unwrap();
        let stored = serde_json::to_string(&order).unwrap();
        let documented = serde_json::to_string(&OrderOut::from(order)).unwrap();
        assert_eq!(stored, documented);
    }
}

/// One of your orders. Another reseller's order id answers 404.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = String, Path, description = "ord_...")),
    responses((status = 200, body = OrderOut), (status = 404, body = ProblemOut)))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderOut>> {
    let id: OrderId = path_id(&id, "order")?;
    Ok(Json(
        orders::order(&state.app.store, &partner.reseller.id, &id).await?.into(),
    ))
}
