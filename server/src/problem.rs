//! `application/problem+json` (RFC 9457) for both REST APIs: the one place
//! an `AppError` becomes an HTTP response. The status comes from
//! `ErrorCode::http_status`, shared with the server functions.

use app::error::{AppError, ErrorCode};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub const CONTENT_TYPE: &str = "application/problem+json";

pub use app::error::Problem;

/// An error leaving an API handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

impl<E: Into<AppError>> From<E> for ApiError {
    #[track_caller]
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError(AppError::new(code, detail))
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

/// The answer of both APIs to a route asked with a method it lacks (axum's
/// own 405 has an empty body).
pub async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("This endpoint does not answer {method}."),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem::from_error(&self.0);
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(seconds) = self.0.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.0.code == ErrorCode::Unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Lets the API log record the code without parsing the body.
        response.extensions_mut().insert(self.0.code);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn problems_carry_code_and_status() {
        let response = ApiError::new(ErrorCode::TermNotPriced, "not sold hourly").into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "term_not_priced");
        assert_eq!(json["status"], 422);
        assert_eq!(json["detail"], "not sold hourly");
        assert_eq!(json["type"], "https://fluxbilling.dev/problems/term_not_priced");
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_of_their_cause() {
        let response = ApiError(AppError::internal("relation \"users\" does not exist")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("relation"), "{text}");
    }
}
