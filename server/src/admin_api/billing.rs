//! A reseller's account: balance, transactions, statements, and the money
//! an operator records (payments, credits, adjustments); renewing a
//! service now.

use super::Operator;
use crate::{
    billing::{StatementQuery, TransactionsQuery, statement_response},
    idempotency,
    json::{ApiJson, ApiPath, ApiQuery, parse_json, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    billing::{Audience, Balance, Entry, Month, NewCorrection, NewPayment, service as billing, service::Recorded},
    idempotency::{Claim, IdempotencyKey},
    ids::{ResellerId, ServiceId},
    lists::Page,
    resellers::service as resellers,
    secrets::sha256_hex,
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
    Ok(Json(
        billing::transactions(&state.store, &id, &q.filter()?, Audience::Operator).await?,
    ))
}

async fn statement(
    State(state): State<AppState>,
    _: Operator,
    headers: HeaderMap,
    ApiPath((id, month)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let id = reseller(&state, &id).await?;
    let month = Month::parse(&month)?;
    let filename = format!("statement-{id}-{month}.csv");
    statement_response(&state, &headers, &id, month, &query, Audience::Operator, &filename).await
}

/// The `Idempotency-Key` header, if sent (then well-formed).
fn key_of(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    match headers.get(idempotency::HEADER) {
        Some(raw) => Ok(Some(IdempotencyKey::parse(raw.to_str().ok())?)),
        None => Ok(None),
    }
}

/// 201 with the entry, or 200 and `Idempotent-Replayed: true` when the
/// key's first request recorded it.
fn recorded(recorded: Recorded) -> Response {
    let status = if recorded.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(recorded.entry)).into_response();
    if recorded.replayed {
        response
            .headers_mut()
            .insert(idempotency::REPLAYED, HeaderValue::from_static("true"));
    }
    response
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
    let key = key_of(&headers)?;
    let payment = NewPayment::parse(&body.amount, body.reference.as_deref(), body.received_at.as_deref())?;
    let key = key.as_ref().map(IdempotencyKey::as_str);
    let entry = billing::record_payment(&state.store, &state.settings, &operator.actor, &id, &payment, key).await?;
    Ok(recorded(entry))
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
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> Result<Response, ApiError> {
    let correction = NewCorrection::credit(&body.amount, body.reason.as_deref());
    record(&state, &operator, &headers, &id, correction).await
}

async fn adjustment(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> Result<Response, ApiError> {
    let correction = NewCorrection::adjustment(&body.amount, body.reason.as_deref());
    record(&state, &operator, &headers, &id, correction).await
}

/// Credits and adjustments differ only in how their amount is read; like
/// payments, a retry with the same `Idempotency-Key` records nothing more.
async fn record(
    state: &AppState,
    operator: &Operator,
    headers: &HeaderMap,
    id: &str,
    correction: app::error::AppResult<NewCorrection>,
) -> Result<Response, ApiError> {
    let id = reseller(state, id).await?;
    let key = key_of(headers)?;
    let correction = correction?;
    let key = key.as_ref().map(IdempotencyKey::as_str);
    let entry = billing::record_correction(&state.store, &operator.actor, &id, &correction, key).await?;
    Ok(recorded(entry))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewIn {
    /// The next renewal the caller saw: if the service has moved on since
    /// (renewed meanwhile), nothing is charged (409).
    next_renewal_at: Option<Timestamp>,
}

/// Renews a service now. With an `Idempotency-Key` a retry answers the
/// first answer; with `next_renewal_at` a renewal that happened meanwhile
/// is not repeated.
async fn renew(
    State(state): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id: ServiceId = path_id(&id, "service")?;
    let body: RenewIn = if body.iter().all(u8::is_ascii_whitespace) {
        RenewIn::default()
    } else {
        parse_json(true, &body)?
    };
    let Some(key) = key_of(&headers)? else {
        let service = billing::renew_now(&state.store, &operator.actor, &id, body.next_renewal_at).await?;
        return Ok(Json(service).into_response());
    };
    let claim = Claim {
        key: key.for_operator(),
        request_hash: sha256_hex(&format!("renew {id} {:?}", body.next_renewal_at.map(|t| t.rfc3339()))),
    };
    let answer =
        billing::renew_now_idempotent(&state.store, &operator.actor, &id, body.next_renewal_at, &claim).await?;
    Ok(idempotency::respond(answer))
}
