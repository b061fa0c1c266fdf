//! What both REST APIs read from a request to know who calls: the bearer
//! credential (an admin token or a partner API key) and the client's
//! address. Neither API module imports the other; both import this.

use axum::{extract::ConnectInfo, http::request::Parts};
use std::net::SocketAddr;

/// The credential of `Authorization: Bearer <credential>`.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The TCP peer's address (proxies' `X-Forwarded-For` is not trusted: see
/// the README on throttling behind a reverse proxy).
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
