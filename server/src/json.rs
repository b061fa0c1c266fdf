//! JSON in and out of the REST APIs: a body extractor whose rejections are
//! problem+json (naming what is wrong), path ids, and list pages.

use crate::problem::ApiError;
use app::error::{AppError, ErrorCode};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

/// Largest request body the APIs read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON body; malformed or mistyped bodies are 422 `validation_failed`
/// with serde's explanation (`unknown field "x"`, `invalid type ...`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::ValidationFailed, "The request body could not be read."))?;
        parse_json(is_json, &bytes).map(ApiJson)
    }
}

/// Parses a JSON body already read (the partner API reads bytes first to
/// check their signature). An empty body reads as `{}`.
pub fn parse_json<T: DeserializeOwned>(is_json: bool, bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_slice(b"{}")
            .map_err(|e| ApiError(AppError::validation("body", format!("A JSON body is required: {e}."))));
    }
    if !is_json {
        return Err(ApiError(AppError::validation(
            "content-type",
            "Send the body as JSON with Content-Type: application/json.",
        )));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError(AppError::validation("body", format!("Invalid JSON body: {e}."))))
}

/// Path parameters; a path that does not decode (bad percent-encoding,
/// not UTF-8) names no resource: 404 problem+json, where axum's own `Path`
/// answers plain text.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::new(ErrorCode::NotFound, "No such resource: the path does not decode."))
    }
}

/// An id from the URL path: a malformed one names no resource (404), with
/// a message saying what was expected.
pub fn path_id<T>(raw: &str, what: &str) -> Result<T, ApiError>
where
    T: std::str::FromStr<Err = app::ids::IdError>,
{
    raw.parse()
        .map_err(|e: app::ids::IdError| ApiError::new(ErrorCode::NotFound, format!("No such {what}: {e}.")))
}

/// Query parameters; unknown or mistyped ones are 422 `validation_failed`
/// (axum's own `Query` would answer a plain-text 400).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError(AppError::validation("query", format!("Invalid query parameters: {e}."))))
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
