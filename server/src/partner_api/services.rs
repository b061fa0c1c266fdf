//! `GET /services`, `GET /services/{id}`, and a service's cancellation and
//! changes (signed and idempotent like orders).

use super::{PartnerState, auth::Partner};
use crate::{
    idempotency,
    json::{ApiPath, ApiQuery, parse_json, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    changes::{CancelRequest, Cancelled, Change, ChangePlan, ChangeRequest, service as changes},
    error::{AppResult, Problem},
    idempotency::{Answer, Claim},
    ids::ServiceId,
    lists::Page,
    services::{self, PricedService, Service, ServiceFilter, ServiceStatus},
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only services in this status.
    #[param(value_type = Option<ServiceStatus>)]
    status: Option<String>,
    /// Only this customer's services (`cus_...`).
    customer_id: Option<String>,
    /// Only this order's services (`ord_...`).
    order_id: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List your services, newest first.
#[utoipa::path(get, path = "/services", operation_id = "list_services", tag = "services", params(ListQuery),
    responses(
        (status = 200, description = "A page of your services", body = Page<PricedService>),
        (status = 422, description = "Bad status, limit, cursor, customer or order id", body = Problem)
    ))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<PricedService>>> {
    let q = &query.0;
    let filter = ServiceFilter::parse(
        q.status.as_deref(),
        q.customer_id.as_deref(),
        q.order_id.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(
        services::service::priced_services(&state.app.store, &partner.reseller.id, &filter).await?,
    ))
}

/// One of your services: status, term, price and renewal date.
#[utoipa::path(get, path = "/services/{id}", operation_id = "get_service", tag = "services",
    params(("id" = String, Path, description = "svc_...")),
    responses(
        (status = 200, description = "The service, with what its next renewal charges", body = PricedService),
        (status = 404, description = "No service of yours has this id", body = Problem)
    ))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PricedService>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(
        services::service::priced_service(&state.app.store, &partner.reseller.id, &id).await?,
    ))
}

/// The Idempotency-Key header every state-changing operation names.
const IDEMPOTENCY_KEY: &str = "Unique per attempt (1-255 visible ASCII characters); replays return the first response";

/// The JSON body of a request, or the refusal (before the key is claimed:
/// fixing the body and retrying with the same key then works).
fn body_of<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    parse_json(is_json, body)
}

/// One state-changing operation on a service: the id, the claim (its hash
/// covering the operation and the id), then `work`'s answer.
async fn on_service(
    operation: &str,
    raw_id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    work: impl AsyncFnOnce(ServiceId, Claim) -> AppResult<Answer>,
) -> Response {
    let id: ServiceId = match path_id(raw_id, "service") {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let claim = match idempotency::claim_on(headers, &format!("{operation} {id}"), body) {
        Ok(claim) => claim,
        Err(err) => return err.into_response(),
    };
    match work(id, claim).await {
        Ok(answer) => idempotency::respond(answer),
        Err(err) => ApiError(err).into_response(),
    }
}

/// Cancel a service.
///
/// `end_of_term` (the default): not renewed; terminated at `cancel_at`
/// (its `next_renewal_at`) unless withdrawn before with
/// `DELETE /services/{id}/cancel` (`service.cancellation_scheduled`).
/// `immediately`: terminated now (`service.terminated`), the unused part
/// of the current period credited back (`refund`, a `proration` entry:
/// prorated by the second, rounded to 4 decimal places; never the setup
/// fee; none where the operator turned refunds off, none for an hourly
/// service). Signed and idempotent like orders.
#[utoipa::path(post, path = "/services/{id}/cancel", operation_id = "cancel_service", tag = "services",
    request_body(content = CancelRequest, description = "Empty for the defaults (at the end of the term, no reason)",
        example = json!({"when": "end_of_term", "reason": "The customer moved to another provider"})),
    params(("id" = String, Path, description = "svc_..."),
        ("Idempotency-Key" = String, Header, description = IDEMPOTENCY_KEY, pattern = "^[!-~]{1,255}$")),
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 200, description = "Cancelled: scheduled (`cancel_at`) or terminated now, with the refund", body = Cancelled,
            example = json!({"refund": "7.2500", "service": {"id": "svc_01jd8x2m3n4p5q6r7s8t9v0w1x", "status": "terminated",
                "cancel_at": "2026-12-16T12:00:00Z", "cancel_reason": "The customer moved to another provider"}})),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 404, description = "No service of yours has this id", body = Problem),
        (status = 409, description = "Terminated already, or its cancellation is scheduled already (`invalid_transition`); or a request with this Idempotency-Key is still being processed", body = Problem),
        (status = 422, description = "Bad body (unknown `when`, a reason over 500 characters); the key used for another request", body = Problem)
    ))]
pub async fn cancel(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: CancelRequest = match body_of(&headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let app = &state.app;
    let reseller = &partner.reseller.id;
    on_service("cancel", &id, &headers, &body, async |id, claim| {
        let cancellation = request.validate()?;
        changes::cancel_idempotent(&app.store, &app.settings, reseller, &id, &cancellation, &claim).await
    })
    .await
}

/// Withdraw a scheduled cancellation: the service renews as usual
/// (`service.cancellation_withdrawn`).
#[utoipa::path(delete, path = "/services/{id}/cancel", operation_id = "withdraw_cancellation", tag = "services",
    params(("id" = String, Path, description = "svc_..."),
        ("Idempotency-Key" = String, Header, description = IDEMPOTENCY_KEY, pattern = "^[!-~]{1,255}$")),
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 200, description = "The service, its cancellation withdrawn", body = Service),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 404, description = "No service of yours has this id", body = Problem),
        (status = 409, description = "No cancellation is scheduled (`invalid_transition`), or a request with this key is in flight", body = Problem),
        (status = 422, description = "An Idempotency-Key that is not 1-255 visible ASCII characters, or one used for another request", body = Problem)
    ))]
pub async fn withdraw_cancellation(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let store = &state.app.store;
    let reseller = &partner.reseller.id;
    // A DELETE's body means nothing: the claim is on the operation.
    on_service(
        "withdraw_cancellation",
        &id,
        &headers,
        &Bytes::new(),
        async |id, claim| changes::withdraw_cancellation_idempotent(store, reseller, &id, &claim).await,
    )
    .await
}

/// What a change would do, written nowhere.
///
/// Priced from your book as an order is. An upgrade (same term, a higher
/// price) applies now: a `credit` for the unused part of the old price and
/// a `charge` for the rest of the period at the new one, prorated by the
/// second and rounded to 4 decimal places; `net` is what you pay now.
/// A downgrade or a new term applies at the next renewal (`lines` empty).
/// `admitted` says whether your account covers `net`. Signed and
/// idempotent like every POST.
#[utoipa::path(post, path = "/services/{id}/change/preview", operation_id = "preview_service_change", tag = "services",
    request_body(content = ChangeRequest, example = json!({"product_id": "prd_01jd8x2m3n4p5q6r7s8t9v0w1x"})),
    params(("id" = String, Path, description = "svc_..."),
        ("Idempotency-Key" = String, Header, description = IDEMPOTENCY_KEY, pattern = "^[!-~]{1,255}$")),
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 200, description = "What the change would do now", body = ChangePlan, example = json!({
            "applies": "now", "effective_at": "2026-12-16T12:00:00Z", "product_id": "prd_01jd8x2m3n4p5q6r7s8t9v0w1x",
            "term": "monthly", "recurring_price": "24.00",
            "lines": [
                {"kind": "credit", "amount": "7.2500", "description": "Unused part of svc_01jd8x2m3n4p5q6r7s8t9v0w1y (prd_01jd8x2m3n4p5q6r7s8t9v0w1z, monthly) to 2026-12-31"},
                {"kind": "charge", "amount": "11.6000", "description": "svc_01jd8x2m3n4p5q6r7s8t9v0w1y (prd_01jd8x2m3n4p5q6r7s8t9v0w1x, monthly) to 2026-12-31"}
            ],
            "net": "4.3500", "next_renewal_at": "2026-12-31T12:00:00Z", "admitted": true
        })),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 404, description = "No service of yours has this id", body = Problem),
        (status = 409, description = "Not active, or a cancellation or change is scheduled (`invalid_transition`)", body = Problem),
        (status = 422, description = "Nothing would change, unpriced term, product not available, over max_quantity, bad body", body = Problem)
    ))]
pub async fn preview_change(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: ChangeRequest = match body_of(&headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let store = &state.app.store;
    let reseller = &partner.reseller.id;
    on_service("preview_change", &id, &headers, &body, async |id, claim| {
        changes::preview_idempotent(store, reseller, &id, &request, &claim).await
    })
    .await
}

/// Change a service's product, term or both.
///
/// An upgrade applies now, with the `proration` entries its preview
/// showed (the net admitted like an order: 402 `insufficient_funds` beyond
/// what your account has available, nothing written); the renewal date
/// stays (`service.changed`). A downgrade or a new term waits on the
/// service as `scheduled_change` and applies at the next renewal, which
/// charges the new price (`service.change_scheduled`).
#[utoipa::path(post, path = "/services/{id}/change", operation_id = "change_service", tag = "services",
    request_body(content = ChangeRequest, example = json!({"product_id": "prd_01jd8x2m3n4p5q6r7s8t9v0w1x", "term": "monthly"})),
    params(("id" = String, Path, description = "svc_..."),
        ("Idempotency-Key" = String, Header, description = IDEMPOTENCY_KEY, pattern = "^[!-~]{1,255}$")),
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 200, description = "Changed now (an upgrade) or scheduled for the next renewal: the change's id, what it did and the service", body = Change),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 402, description = "The net charge exceeds what your account has available (`insufficient_funds`)", body = Problem),
        (status = 404, description = "No service of yours has this id", body = Problem),
        (status = 409, description = "Not active, or a cancellation or change is scheduled (`invalid_transition`); or a request with this key is in flight", body = Problem),
        (status = 422, description = "Nothing would change, unpriced term, product not available, over max_quantity, bad body", body = Problem)
    ))]
pub async fn change(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: ChangeRequest = match body_of(&headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let store = &state.app.store;
    let reseller = &partner.reseller.id;
    on_service("change", &id, &headers, &body, async |id, claim| {
        changes::change_idempotent(store, reseller, &id, &request, &claim).await
    })
    .await
}

/// Withdraw a scheduled change: the service renews as it is.
#[utoipa::path(delete, path = "/services/{id}/change", operation_id = "withdraw_service_change", tag = "services",
    params(("id" = String, Path, description = "svc_..."),
        ("Idempotency-Key" = String, Header, description = IDEMPOTENCY_KEY, pattern = "^[!-~]{1,255}$")),
    security(("api_key" = [], "flux_timestamp" = [], "flux_signature" = [])),
    responses(
        (status = 200, description = "The service, its scheduled change withdrawn", body = Service),
        (status = 400, description = "Idempotency-Key missing", body = Problem),
        (status = 404, description = "No service of yours has this id", body = Problem),
        (status = 409, description = "No change is scheduled (`invalid_transition`), or a request with this key is in flight", body = Problem),
        (status = 422, description = "An Idempotency-Key that is not 1-255 visible ASCII characters, or one used for another request", body = Problem)
    ))]
pub async fn withdraw_change(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Response {
    let store = &state.app.store;
    let reseller = &partner.reseller.id;
    // A DELETE's body means nothing: the claim is on the operation.
    on_service("withdraw_change", &id, &headers, &Bytes::new(), async |id, claim| {
        changes::withdraw_change_idempotent(store, reseller, &id, &claim).await
    })
    .await
}
