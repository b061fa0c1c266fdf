//! Request limits the router applies (the connection-level ones are in
//! `connections`): request line and header sizes, the request timeout,
//! and the HTTP status of server function errors.

use crate::problem::ApiError;
use app::error::{AppError, ErrorCode};
use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::time::Duration;

/// Longest path and query read (browsers and proxies commonly stop at 8 KiB).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) read.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses a request line or headers over the limits: 414 / 431
/// problem+json, before any other work.
pub async fn request_head(request: Request, next: Next) -> Response {
    let uri = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::new(
            ErrorCode::UriTooLong,
            format!("The request line is longer than {MAX_URI_BYTES} bytes."),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!("The request headers are larger than {MAX_HEADER_BYTES} bytes."),
        )
        .into_response();
    }
    next.run(request).await
}

/// Answers 408 problem+json when a request (reading its body included)
/// takes longer than the limit.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::RequestTimeout,
            format!("The request took longer than {} s.", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Largest server function error body read back (they are a few hundred bytes).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Gives every failed server function call its error code's HTTP status
/// (and `Retry-After` when the error says when to retry). Leptos answers
/// 500 for any error, including arguments that do not decode, which never
/// reach the function body: those are the caller's fault, 400
/// `validation_failed`.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(app::SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.http_status()) {
            parts.status = status;
        }
        if let Some(seconds) = error.retry_after {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
