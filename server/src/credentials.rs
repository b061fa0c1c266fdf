//! What both REST APIs read from a request to know who calls: the bearer
//! credential (an admin token or a partner API key), the client's address
//! (for the log) and what per-address limits count it as. Neither API
//! module imports the other; both import this.

use axum::http::{HeaderMap, request::Parts};

/// The credential of `Authorization: Bearer <credential>`.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_header(&parts.headers)
}

/// [`bearer`] from the headers alone.
pub fn bearer_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub use app::net::{client_address, client_limit_key};
