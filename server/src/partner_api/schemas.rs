//! What only the partner API sends: `GET /me`'s answer. Every other body
//! is the app's own wire type (`Order`, `Service`, `CatalogItem`,
//! `Customer`, `Page`, `Problem`...), which derives its OpenAPI schema, so
//! the document is made from the very types the handlers serialise.

use serde::Serialize;
use utoipa::ToSchema;

/// Your profile's status and limits, and the key you called with.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub id: String,
    pub company_name: String,
    /// `active` (other states cannot call the API).
    pub status: String,
    pub api_enabled: bool,
    pub rate_limit: i64,
    pub rate_limit_window_secs: u64,
    #[schema(value_type = String, example = "10")]
    pub default_discount_rate: String,
    pub currency: String,
    pub key: KeyOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub prefix: String,
    /// `read` or `orders`.
    pub scope: String,
}
