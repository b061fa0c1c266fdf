//! Step 4: per-reseller rate limit, `rate_limit` requests per window
//! (`FLUX_RATE_LIMIT_WINDOW_SECS`), fixed windows. Every authenticated
//! response carries the IETF RateLimit fields
//! (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy: "reseller";q=1000;w=60`,
//! `RateLimit: "reseller";r=998;t=42`); over the limit: 429 with `Retry-After`.
//!
//! Counters live in this process: two instances behind a load balancer
//! each allow the full rate (documented in the README; a shared store is
//! needed to scale out).

use super::{PartnerState, auth::Partner};
use crate::problem::ApiError;
use app::{error::ErrorCode, ids::ResellerId};
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug)]
pub struct RateLimiter {
    window: Duration,
    windows: Mutex<HashMap<ResellerId, (Instant, u64)>>,
}

/// The outcome of counting one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        RateLimiter {
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts a request of `reseller` at `now` against `limit`.
    pub fn check(&self, reseller: &ResellerId, limit: u64, now: Instant) -> Decision {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = windows.entry(reseller.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        let elapsed = now.duration_since(entry.0);
        let reset = self.window.saturating_sub(elapsed);
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(entry.1),
            reset_secs: reset.as_secs() + u64::from(reset.subsec_nanos() > 0),
        }
    }
}

pub async fn enforce(State(state): State<PartnerState>, request: Request, next: Next) -> Response {
    let Some(partner) = request.extensions().get::<Partner>() else {
        return next.run(request).await;
    };
    let limit = u64::try_from(partner.reseller.rate_limit).unwrap_or(1);
    let decision = state.limiter.check(&partner.reseller.id, limit, Instant::now());
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        let mut refused = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "Rate limit of {} requests per {} s reached; retry in {} s.",
                decision.limit,
                state.limiter.window().as_secs(),
                decision.reset_secs
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
    if let Ok(policy) = HeaderValue::from_str(&format!(
        "\"reseller\";q={};w={}",
        decision.limit,
        state.limiter.window().as_secs()
    )) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ResellerId {
        ResellerId::parse(&format!("rsl_01jd8x2m3n4p5q6r7s8t9v0w{n:02}")).unwrap()
    }

    #[test]
    fn counts_per_reseller_within_a_window() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            let d = limiter.check(&id(1), 3, t0);
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i);
        }
        let refused = limiter.check(&id(1), 3, t0 + Duration::from_secs(10));
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_secs, 50);
        assert!(limiter.check(&id(2), 3, t0).allowed, "another reseller is unaffected");
        let next_window = limiter.check(&id(1), 3, t0 + Duration::from_secs(60));
        assert!(next_window.allowed);
        assert_eq!(next_window.remaining, 2);
    }
}
