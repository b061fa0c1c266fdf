//! `Idempotency-Key` on the wire, for both APIs: the header read into the
//! claim, and an [`Answer`] written back (`Idempotent-Replayed: true` on
//! replays). The flow itself (claim in the work's transaction, replay,
//! refusals) is `app::idempotency`.

use crate::problem::{ApiError, CONTENT_TYPE as PROBLEM_JSON};
use app::{
    error::ErrorCode,
    idempotency::{Answer, Claim, IdempotencyKey},
    secrets::sha256_hex,
};
use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// The claim of a request: its key and a hash of its body.
pub fn claim_from(headers: &HeaderMap, body: &[u8]) -> Result<Claim, ApiError> {
    let key = IdempotencyKey::parse(headers.get(HEADER).and_then(|v| v.to_str().ok()))?;
    Ok(Claim {
        key,
        request_hash: sha256_hex(&String::from_utf8_lossy(body)),
    })
}

/// The claim of a request on one resource (`POST /services/{id}/cancel`):
/// the hash covers the operation and the resource too, so a key sent
/// again for another service is `idempotency_key_reused`, never that
/// other request's answer.
pub fn claim_on(headers: &HeaderMap, operation: &str, body: &[u8]) -> Result<Claim, ApiError> {
    let key = IdempotencyKey::parse(headers.get(HEADER).and_then(|v| v.to_str().ok()))?;
    Ok(Claim {
        key,
        request_hash: sha256_hex(&format!("{operation}\n{}", String::from_utf8_lossy(body))),
    })
}

/// The HTTP response of an answer, first-time or replayed.
pub fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    // The API log records a refusal's code without parsing bodies; this is
    // the one place a saved body is read back for it.
    let code = (!status.is_success())
        .then(|| serde_json::from_str::<serde_json::Value>(&answer.body).ok())
        .flatten()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .and_then(|c| ErrorCode::ALL.iter().copied().find(|k| k.as_str() == c));
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if answer.replayed {
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
    }
    if let Some(code) = code {
        response.extensions_mut().insert(code);
    }
    response
}
