//! A reseller's account: balance, transactions, statements, and the money
//! an operator records (payments, credits, adjustments); renewing a
//! service now.

use super::Operator;
use crate::{
    billing::{TransactionsQuery, statement_response},
    json::{ApiJson, ApiPath, ApiQuery, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    billing::{Balance, Entry, Month, NewCorrection, NewPayment, service as billing},
    idempotency::IdempotencyKey,
    ids::{ResellerId, ServiceId},
    lists::Page,
    resellers::service as resellers,
    services::Service,
    state::AppState,
    timestamp::Timestamp,
};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resellers/{id}/balance", get(balance))
        .route("/resellers/{id}/transactions", get(transactions))
        .route("/resellers/{id}/statements/{month}", get(statement))
        .route("/resellers/{id}/payments", post(payment))
        .route("/resellers/{id}/credits", post(credit))
        .route("/resellers/{id}/adjustments", post(adjustment))
        .route("/services/{id}/renew", post(renew))
}

/// A reseller that exists, from the path (another id: 404).
async fn reseller(state: &AppState, raw: &str) -> Result<ResellerId, ApiError> {
    let id: ResellerId = path_id(raw, "reseller")?;
    resellers::get(&state.store, &id).await?;
    Ok(id)
}

async fn balance(State(state): State<AppState>, _: Operator, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Balance>> {
    let id = reseller(&state, &id).await?;
    Ok(Json(
        billing::balance(&state.store, state.settings.currency.code(), &id).await?,
    ))
}

async fn transactions(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TransactionsQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    let id = reseller(&state, &id).await?;
    Ok(Json(billing::transactions(&state.store, &id, &q.filter()?).await?))
}

async fn statement(
    State(state): State<AppState>,
    _: Operator,
    headers: HeaderMap,
    ApiPath((id, month)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let id = reseller(&state, &id).await?;
    let month = Month::parse(&month)?;
    let statement = billing::statement(&state.store, state.settings.currency.code(), &id, month).await?;
    Ok(statement_response(
        &headers,
        &statement,
        &format!("statement-{id}-{month}.csv"),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentIn {
    /// A decimal string: `"125.00"`.
    amount: String,
    reference: Option<String>,
    received_at: Option<String>,
}

/// Records a payment; with an `Idempotency-Key`, a retry records nothing
/// more and answers the first entry (`Idempotent-Replayed: true`).
async fn payment(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PaymentIn>,
) -> Result<Response, ApiError> {
    let id = reseller(&state, &id).await?;
    let key = match headers.get("idempotency-key") {
        Some(raw) => Some(IdempotencyKey::parse(raw.to_str().ok())?),
        None => None,
    };
    let payment = NewPayment::parse(
        &body.amount,
        body.reference.as_deref(),
        body.received_at.as_deref(),
        Timestamp::now(),
    )?;
    let recorded = billing::record_payment(
        &state.store,
        &operator.actor,
        &id,
        &payment,
        key.as_ref().map(IdempotencyKey::as_str),
    )
    .await?;
    let status = if recorded.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(recorded.entry)).into_response();
    if recorded.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionIn {
    amount: String,
    reason: Option<String>,
}

async fn credit(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    record(
        &state,
        &operator,
        &id,
        NewCorrection::credit(&body.amount, body.reason.as_deref()),
    )
    .await
}

async fn adjustment(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    record(
        &state,
        &operator,
        &id,
        NewCorrection::adjustment(&body.amount, body.reason.as_deref()),
    )
    .await
}

/// Credits and adjustments differ only in how their amount is read.
async fn record(
    state: &AppState,
    operator: &Operator,
    id: &str,
    correction: app::error::AppResult<NewCorrection>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    let id = reseller(state, id).await?;
    let correction = correction?;
    let entry = billing::record_correction(&state.store, &operator.actor, &id, &correction).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

async fn renew(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Service>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(billing::renew_now(&state.store, &operator.actor, &id).await?))
}
