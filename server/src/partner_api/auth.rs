//! Step 2 and 3: the API key (looked up by prefix, its hash compared in
//! constant time), then the profile's gates and the key's scope. A handler
//! receives a `Partner` only when all of them passed.

use super::{PartnerState, audit::AuditSlot};
use crate::{
    credentials::{bearer, client_limit_key},
    problem::ApiError,
};
use app::{
    api_access::{API_KEY_KIND, ApiKey, ApiKeyRecord, service as api_access},
    error::{AppError, ErrorCode},
    resellers::{Reseller, ResellerStatus, service as resellers},
    secrets,
    timestamp::Timestamp,
};
use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The authenticated reseller and the key it used; shared (the cache hands
/// the same one to every request of the key).
#[derive(Clone, Debug)]
pub struct Partner(Arc<Authenticated>);

#[derive(Debug)]
pub struct Authenticated {
    pub reseller: Reseller,
    record: ApiKeyRecord,
}

impl Authenticated {
    pub fn key(&self) -> &ApiKey {
        &self.record.key
    }
}

impl std::ops::Deref for Partner {
    type Target = Authenticated;
    fn deref(&self) -> &Authenticated {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Partner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Partner>()
            .cloned()
            .ok_or_else(|| ApiError(AppError::internal("partner handler reached without authentication")))
    }
}

pub async fn authenticate(State(state): State<PartnerState>, request: Request, next: Next) -> Response {
    let parts_method = request.method().as_str().to_owned();
    let slot = request.extensions().get::<AuditSlot>().cloned();
    let (mut parts, body) = request.into_parts();
    let result = partner_for(&state, &parts, &parts_method, slot.as_ref()).await;
    match result {
        Ok(partner) => {
            parts.extensions.insert(partner);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(err) => err.into_response(),
    }
}

fn too_many_failures(state: &PartnerState, seconds: u64) -> ApiError {
    state.metrics.rate_limited("auth_failures");
    ApiError(
        AppError::new(
            ErrorCode::RateLimited,
            format!("Too many requests without a valid API key from your address; retry in {seconds} s."),
        )
        .retry_after(seconds),
    )
}

/// A failed authentication: counted against the address, answered 401
/// (or 429 once the address is over its limit).
async fn refused(state: &PartnerState, address: &str) -> ApiError {
    match state.app.guards.failed_auth.hit(address).await {
        Ok(()) => ApiError::new(
            ErrorCode::Unauthenticated,
            "Send a valid API key: Authorization: Bearer flux_key_...",
        ),
        Err(seconds) => too_many_failures(state, seconds),
    }
}

async fn partner_for(
    state: &PartnerState,
    parts: &Parts,
    method: &str,
    slot: Option<&AuditSlot>,
) -> Result<Partner, ApiError> {
    let store = &state.app.store;
    let presented = bearer(parts);
    let prefix = presented.and_then(|key| secrets::prefix_of(API_KEY_KIND, key));
    let epoch = store.epoch();
    let cached = prefix.and_then(|prefix| state.cache.partner(prefix, epoch));
    // An address that keeps failing is refused before any look-up; a key
    // this instance knows is never held up by its neighbours' failures.
    let address = client_limit_key(&parts.extensions);
    let failures = &state.app.guards.failed_auth;
    // Only a blocked address pays for the check (a hash of the key).
    if let Some(seconds) = failures.blocked(&address)
        && !presented.is_some_and(|key| state.cache.recently_authenticated(key))
    {
        return Err(too_many_failures(state, seconds));
    }
    let (Some(presented), Some(prefix)) = (presented, prefix) else {
        return Err(refused(state, &address).await);
    };
    let partner = match cached {
        Some(cached) => cached,
        None => {
            let Some(record) = api_access::authenticate(store, presented).await? else {
                return Err(refused(state, &address).await);
            };
            let reseller = resellers::get(store, &record.key.reseller_id).await?;
            let partner = Partner(Arc::new(Authenticated { reseller, record }));
            state.cache.put_partner(prefix, partner.clone(), epoch);
            partner
        }
    };
    // Cached or not, the presented key must hash to the stored hash.
    if !partner.record.accepts(presented) {
        return Err(refused(state, &address).await);
    }
    let (reseller, record) = (&partner.reseller, partner.key());
    if let Some(slot) = slot {
        slot.set_caller(reseller.id.clone(), record.prefix.clone());
    }
    // A terminated reseller's keys no longer authenticate anything.
    if reseller.status == ResellerStatus::Terminated {
        return Err(refused(state, &address).await);
    }
    reseller.status.may_order()?;
    if !reseller.api_enabled {
        return Err(ApiError::new(
            ErrorCode::ApiDisabled,
            "API access is disabled for your account.",
        ));
    }
    if !record.scope.allows(method) {
        return Err(ApiError::new(
            ErrorCode::InsufficientScope,
            format!("This key's scope is `{}`: it may only read.", record.scope.as_str()),
        ));
    }
    let now = Timestamp::now();
    if state.cache.due_for_touch(prefix, now) {
        api_access::record_use(store, &record.id, now).await?;
    }
    // The stored hash is what the presented key hashes to (`accepts`).
    state.cache.authenticated(&partner.record.key_hash, now);
    Ok(partner.clone())
}
