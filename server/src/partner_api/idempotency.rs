//! `Idempotency-Key` for order placement: the same key with the same body
//! returns the first response again (`Idempotent-Replayed: true`); with a
//! different body, 422 `idempotency_key_reused`; while the first is still
//! running, 409 `idempotency_key_in_flight`. Keys live 24 hours (expired
//! ones are purged hourly). Failures on our side (5xx) release the key, so
//! a retry runs again; refusals (4xx) are kept and replayed like successes.

use crate::problem::{ApiError, CONTENT_TYPE as PROBLEM_JSON, Problem};
use app::{
    error::{AppError, ErrorCode},
    ids::ResellerId,
    secrets::sha256_hex,
    store::{IdempotencyStart, Store},
    timestamp::Timestamp,
};
use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::future::Future;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
pub const TTL: time::Duration = time::Duration::hours(24);
/// An "in flight" claim older than this belonged to a request that died
/// with its server; a retry may take it over.
pub const STALE_AFTER: time::Duration = time::Duration::minutes(2);

/// The request's key: 1 to 255 visible ASCII characters.
pub fn key_from(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyMissing,
            "Send an Idempotency-Key header (a unique string per order attempt, e.g. a UUID).",
        ));
    }
    if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError(AppError::validation(
            "Idempotency-Key",
            "The Idempotency-Key is 1 to 255 visible ASCII characters.",
        )));
    }
    Ok(key.to_owned())
}

fn json_response(status: u16, body: String, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    let code = (!status.is_success())
        .then(|| serde_json::from_str::<serde_json::Value>(&body).ok())
        .flatten()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .and_then(|c| ErrorCode::ALL.iter().copied().find(|k| k.as_str() == c));
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    if let Some(code) = code {
        response.extensions_mut().insert(code);
    }
    response
}

/// Runs `work` at most once per (reseller, key, body). On success `work`
/// has saved its response under the key itself, in the transaction of its
/// change (so a saved answer exists exactly when the change does), and
/// returns it; refusals are saved here.
pub async fn run<F, Fut>(store: &Store, reseller: &ResellerId, key: &str, body: &[u8], work: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, String), AppError>>,
{
    let hash = sha256_hex(&String::from_utf8_lossy(body));
    let start = store
        .idempotency_start(reseller, key, &hash, Timestamp::now(), TTL, STALE_AFTER)
        .await;
    match start {
        Err(err) => ApiError(err.into()).into_response(),
        Ok(IdempotencyStart::Replay { status, body }) => json_response(status, body, true),
        Ok(IdempotencyStart::Mismatch) => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used with a different request body.",
        )
        .into_response(),
        Ok(IdempotencyStart::InFlight) => ApiError::new(
            ErrorCode::IdempotencyKeyInFlight,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
        .into_response(),
        Ok(IdempotencyStart::Started) => match work().await {
            Ok((status, body)) => json_response(status.as_u16(), body, false),
            Err(err) if matches!(err.code, ErrorCode::Internal | ErrorCode::Unavailable) => {
                if let Err(e) = store.idempotency_abandon(reseller, key).await {
                    tracing::error!(%e, "could not release an idempotency key");
                }
                ApiError(err).into_response()
            }
            Err(err) => {
                let problem = Problem::from_error(&err);
                let body = serde_json::to_string(&problem).unwrap_or_default();
                finish(store, reseller, key, problem.status, body).await
            }
        },
    }
}

async fn finish(store: &Store, reseller: &ResellerId, key: &str, status: u16, body: String) -> Response {
    if let Err(err) = store.idempotency_finish(reseller, key, status, &body).await {
        // The work is done and committed; answer it. A retry with this key
        // will wait out STALE_AFTER and then run again, so log loudly.
        tracing::error!(%err, "could not save an idempotent response");
    }
    json_response(status, body, false)
}
