//! `GET /balance`, `GET /transactions`, `GET /statements/{month}`: the
//! partner's own account (DESIGN.md "Reseller account").

use super::{PartnerState, auth::Partner};
use crate::{
    billing::{TransactionsQuery, statement_response},
    json::{ApiPath, ApiQuery},
    problem::{ApiError, ApiResult},
};
use app::{
    billing::{Balance, Entry, Month, Statement, service as billing},
    error::Problem,
    lists::Page,
};
use axum::{Json, extract::State, http::HeaderMap, response::Response};

/// Your account: balance, credit limit and what is available.
///
/// `credit_limit` `null` means no limit (billed in arrears; `available` is
/// then `null` too); `"0.00"` is a prepaid account. Orders beyond
/// `available` are refused with 402 `insufficient_funds`.
#[utoipa::path(get, path = "/balance", tag = "account",
    responses(
        (status = 200, body = Balance, example = json!({
            "balance": "-120.00", "credit_limit": "500.00", "available": "380.00",
            "low_balance_threshold": "100.00", "currency": "EUR"
        })),
        (status = 401, body = Problem)
    ))]
pub async fn balance(State(state): State<PartnerState>, partner: Partner) -> ApiResult<Json<Balance>> {
    let app = &state.app;
    Ok(Json(
        billing::balance(&app.store, app.settings.currency.code(), &partner.reseller.id).await?,
    ))
}

/// Your account's entries, newest first: charges (`order`, `renewal`) are
/// negative, `payment` and `credit` positive, `adjustment` either.
#[utoipa::path(get, path = "/transactions", tag = "account", params(TransactionsQuery),
    responses(
        (status = 200, body = Page<Entry>, example = json!({
            "data": [{
                "id": "txn_01jd8x2m3n4p5q6r7s8t9v0w1x", "kind": "order", "amount": "-24.50",
                "at": "2026-11-26T14:05:00Z", "order_id": "ord_01jd8x2m3n4p5q6r7s8t9v0w1x",
                "service_id": null, "reference": null, "reason": null, "recorded_by": null
            }],
            "next_cursor": null
        })),
        (status = 401, body = Problem),
        (status = 422, description = "Unknown kind, bad time or cursor", body = Problem)
    ))]
pub async fn transactions(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<TransactionsQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    let filter = query.0.filter()?;
    Ok(Json(
        billing::transactions(&state.app.store, &partner.reseller.id, &filter).await?,
    ))
}

/// A calendar month's statement (UTC): opening balance, every entry with
/// the balance after it, closing balance. `Accept: text/csv` for CSV.
#[utoipa::path(get, path = "/statements/{month}", tag = "account",
    params(("month" = String, Path, description = "yyyy-mm", example = "2026-11")),
    responses(
        (status = 200, body = Statement, example = json!({
            "month": "2026-11", "currency": "EUR", "opening_balance": "100.00",
            "entries": [{
                "id": "txn_01jd8x2m3n4p5q6r7s8t9v0w1x", "kind": "order", "amount": "-24.50",
                "at": "2026-11-26T14:05:00Z", "order_id": "ord_01jd8x2m3n4p5q6r7s8t9v0w1x",
                "service_id": null, "reference": null, "reason": null, "recorded_by": null,
                "description": "Order ord_01jd8x2m3n4p5q6r7s8t9v0w1x", "balance_after": "75.50"
            }],
            "closing_balance": "75.50"
        })),
        (status = 401, body = Problem),
        (status = 422, description = "Not a month like 2026-11", body = Problem)
    ))]
pub async fn statement(
    State(state): State<PartnerState>,
    partner: Partner,
    headers: HeaderMap,
    ApiPath(month): ApiPath<String>,
) -> Result<Response, ApiError> {
    let month = Month::parse(&month)?;
    let app = &state.app;
    let statement = billing::statement(&app.store, app.settings.currency.code(), &partner.reseller.id, month).await?;
    Ok(statement_response(
        &headers,
        &statement,
        &format!("statement-{month}.csv"),
    ))
}
