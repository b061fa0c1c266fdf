//! JSON in and out of the REST APIs: a body extractor whose rejections are
//! problem+json (naming what is wrong), path ids, and list pages.

use crate::problem::ApiError;
use app::error::{AppError, ErrorCode};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

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

/// A JSON integer, also when written with a zero fraction (`2.0`): JSON
/// Schema calls that an integer, and some JSON encoders write every number
/// so. Anything else (a fraction, out of range) is refused.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_u64(), n.as_f64()) {
        (Some(u), _) => Some(u),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Some(f as u64),
        _ => None,
    };
    whole
        .and_then(|u| u32::try_from(u).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a whole number, found {n}")))
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

/// A page of a list: `{"data": [...], "next_cursor": "..." | null}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `limit` within 1..=200 (default 50).
pub fn clamp_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError(AppError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}."),
        ))),
    }
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items fetched: the extra one only
    /// says there is more; the cursor is the last returned item's key.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(cursor_of)
        } else {
            None
        };
        Page {
            data: items,
            next_cursor,
        }
    }
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

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(deserialize_with = "super::whole_number")]
        n: u32,
    }

    #[test]
    fn whole_numbers_with_or_without_a_zero_fraction() {
        let n = |json: &str| serde_json::from_str::<Q>(json).map(|q| q.n);
        assert_eq!(n(r#"{"n": 3}"#).unwrap(), 3);
        assert_eq!(n(r#"{"n": 3.0}"#).unwrap(), 3);
        assert_eq!(n(r#"{"n": 3e0}"#).unwrap(), 3);
        for bad in [
            r#"{"n": 3.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": 4294967296}"#,
            r#"{"n": "3"}"#,
        ] {
            assert!(n(bad).is_err(), "{bad}");
        }
    }
}
