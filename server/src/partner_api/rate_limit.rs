//! Step 4: per-reseller rate limit, `rate_limit` requests per window
//! (`FLUX_RATE_LIMIT_WINDOW_SECS`), fixed windows, one limit across every
//! instance on a PostgreSQL database (`app::throttle`: quota leased in
//! batches, no write per request). Every authenticated response carries the
//! IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers:
//! `RateLimit-Policy: "reseller";q=1000;w=60`, `RateLimit: "reseller";r=998;t=42`);
//! over the limit: 429 with `Retry-After`.

use super::{PartnerState, auth::Partner};
use crate::problem::ApiError;
use app::error::ErrorCode;
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The partner API's limiter: scope `reseller`, keyed by reseller id.
pub type RateLimiter = app::throttle::Throttle;

/// A limiter for the store's database (shared across instances on PostgreSQL).
pub fn limiter(store: &app::store::Store, window: std::time::Duration) -> RateLimiter {
    // The limit given here is unused: each reseller's own is passed per request.
    RateLimiter::for_store(store, "reseller", 1, window)
}

pub async fn enforce(State(state): State<PartnerState>, request: Request, next: Next) -> Response {
    let Some(partner) = request.extensions().get::<Partner>() else {
        return next.run(request).await;
    };
    let limit = u64::try_from(partner.reseller.rate_limit).unwrap_or(1);
    let decision = state.limiter.take(partner.reseller.id.as_str(), limit).await;
    let window = state.limiter.window().as_secs();
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        state.metrics.rate_limited("reseller");
        let mut refused = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "Rate limit of {} requests per {window} s reached; retry in {} s.",
                decision.limit, decision.reset_secs
            ),
        )
        .into_response();
        refused.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(decision.reset_secs.max(1)),
        );
        refused
    };
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&format!("\"reseller\";q={};w={window}", decision.limit)) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
    if let Ok(current) = HeaderValue::from_str(&format!(
        "\"reseller\";r={};t={}",
        decision.remaining, decision.reset_secs
    )) {
        headers.insert(HeaderName::from_static("ratelimit"), current);
    }
    response
}
