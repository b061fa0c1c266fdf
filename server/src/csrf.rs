//! Cross-site request forgery protection for everything a browser session
//! can change: server functions and forms.
//!
//! Browsers label every request with where it comes from. A state-changing
//! request (not GET, HEAD or OPTIONS) is refused when `Sec-Fetch-Site` says
//! another site sent it, or, from browsers without that header, when its
//! `Origin` is not this host. Requests carrying neither header do not come
//! from a browser, so they cannot ride on a victim's cookies. This is the
//! check Go's `http.CrossOriginProtection` makes; SameSite=Lax session
//! cookies are a second line. The layer wraps the browser routes only: the
//! partner and admin APIs authenticate with bearer credentials, never
//! cookies (see `http.rs`).

use app::error::{AppError, ErrorCode};
use axum::{
    extract::Request,
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::problem::ApiError;

pub async fn protect(request: Request, next: Next) -> Response {
    if !is_allowed(request.method(), request.headers()) {
        tracing::warn!(
            path = request.uri().path(),
            "refused a cross-site state-changing request"
        );
        return ApiError(AppError::new(
            ErrorCode::CsrfRejected,
            "This request came from another site and was refused.",
        ))
        .into_response();
    }
    next.run(request).await
}

fn is_allowed(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            host == Some(origin_host)
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn safe_methods_pass() {
        assert!(is_allowed(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_allowed(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(is_allowed(&Method::POST, &headers(&[("sec-fetch-site", "none")])));
        assert!(!is_allowed(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(!is_allowed(&Method::POST, &headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn origin_must_match_host_otherwise() {
        let same = headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]);
        assert!(is_allowed(&Method::POST, &same));
        let other = headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:3000")]);
        assert!(!is_allowed(&Method::POST, &other));
        let null = headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]);
        assert!(!is_allowed(&Method::POST, &null));
    }

    #[test]
    fn non_browser_requests_pass() {
        assert!(is_allowed(&Method::POST, &HeaderMap::new()));
    }
}
