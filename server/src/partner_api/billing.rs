//! `GET /balance`, `GET /transactions`, `GET /statements/{month}`: the
//! partner's own account (DESIGN.md "Reseller account").

use super::{PartnerState, auth::Partner};
use crate::{
    billing::{StatementQuery, TransactionsQuery, statement_response},
    json::{ApiPath, ApiQuery},
    problem::{ApiError, ApiResult},
};
use app::{
    billing::{Audience, Balance, Entry, Month, Statement, service as billing},
    error::Problem,
    lists::Page,
};
use axum::{Json, extract::State, http::HeaderMap, response::Response};

/// Your account: balance, credit limit and what is available.
///
/// `credit_limit` `null` means no limit (billed in arrears; `available` is
/// then `null` too); `"0.00"` is a prepaid account. Orders beyond
/// `available` are refused with 402 `insufficient_funds`.
#[utoipa::path(get, path = "/balance", operation_id = "get_balance", tag = "account",
    responses(
        (status = 200, description = "Your account's balance and limits", body = Balance, example = json!({
            "balance": "-120.00", "credit_limit": "500.00", "available": "380.00",
            "low_balance_threshold": "100.00", "currency": "EUR"
        }))
    ))]
pub async fn balance(State(state): State<PartnerState>, partner: Partner) -> ApiResult<Json<Balance>> {
    let app = &state.app;
    Ok(Json(
        billing::balance(&app.store, app.settings.currency.code(), &partner.reseller.id).await?,
    ))
}

/// Your account's entries, newest first: charges (`order`, `renewal`) are
/// negative, `payment` and `credit` positive, `adjustment` either.
#[utoipa::path(get, path = "/transactions", operation_id = "list_transactions", tag = "account",
    params(TransactionsQuery),
    responses(
        (status = 200, description = "A page of your account's entries", body = Page<Entry>, example = json!({
            "data": [{
                "id": "txn_01jd8x2m3n4p5q6r7s8t9v0w1x", "kind": "order", "amount": "-24.50",
                "at": "2026-11-26T14:05:00Z", "order_id": "ord_01jd8x2m3n4p5q6r7s8t9v0w1x",
                "service_id": null, "reference": null, "reason": null, "recorded_by": null
            }, {
                "id": "txn_01jd8x2m3n4p5q6r7s8t9v0w1y", "kind": "payment", "amount": "200.00",
                "at": "2026-11-20T09:00:00Z", "order_id": null, "service_id": null,
                "reference": "INV-2026-11", "reason": null, "recorded_by": "operator"
            }],
            "next_cursor": null
        })),
        (status = 422, description = "Unknown kind, bad time or cursor", body = Problem)
    ))]
pub async fn transactions(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<TransactionsQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    let filter = query.0.filter()?;
    Ok(Json(
        billing::transactions(&state.app.store, &partner.reseller.id, &filter, Audience::Reseller).await?,
    ))
}

/// A calendar month's statement (UTC): opening balance, the entries with
/// the balance after each (a page at a time: `limit`, `cursor` ->
/// `next_cursor`), closing balance. `Accept: text/csv` for the whole month
/// as CSV. Payments, credits and adjustments show `recorded_by:
/// "operator"`.
#[utoipa::path(get, path = "/statements/{month}", operation_id = "get_statement", tag = "account",
    params(("month" = String, Path, description = "yyyy-mm, 2000-01 to 9999-11", example = "2026-11"), StatementQuery),
    responses(
        (status = 200, description = "The month's statement (a page of its entries)", body = Statement, example = json!({
            "month": "2026-11", "currency": "EUR", "opening_balance": "100.00",
            "entries": [{
                "id": "txn_01jd8x2m3n4p5q6r7s8t9v0w1x", "kind": "order", "amount": "-24.50",
                "at": "2026-11-26T14:05:00Z", "order_id": "ord_01jd8x2m3n4p5q6r7s8t9v0w1x",
                "service_id": null, "reference": null, "reason": null, "recorded_by": null,
                "description": "Order ord_01jd8x2m3n4p5q6r7s8t9v0w1x", "balance_after": "75.50"
            }],
            "closing_balance": "75.50", "next_cursor": null
        })),
        (status = 422, description = "Not a month like 2026-11 (2000-01 to 9999-11), or a bad cursor", body = Problem)
    ))]
pub async fn statement(
    State(state): State<PartnerState>,
    partner: Partner,
    headers: HeaderMap,
    ApiPath(month): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let month = Month::parse(&month)?;
    let filename = format!("statement-{month}.csv");
    let reseller = &partner.reseller.id;
    statement_response(
        &state.app,
        &headers,
        reseller,
        month,
        &query,
        Audience::Reseller,
        &filename,
    )
    .await
}
