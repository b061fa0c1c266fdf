//! Step 2 and 3: the API key (looked up by prefix, its hash compared in
//! constant time), then the profile's gates and the key's scope. A handler
//! receives a `Partner` only when all of them passed.

use super::{PartnerState, audit::AuditSlot};
use crate::{admin_api::bearer, problem::ApiError};
use app::{
    api_access::{API_KEY_KIND, ApiKey, service as api_access},
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
    pub key: ApiKey,
    key_hash: String,
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

async fn partner_for(
    state: &PartnerState,
    parts: &Parts,
    method: &str,
    slot: Option<&AuditSlot>,
) -> Result<Partner, ApiError> {
    let refused = || {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "Send a valid API key: Authorization: Bearer flux_key_...",
        )
    };
    let presented = bearer(parts).ok_or_else(refused)?;
    let store = &state.app.store;
    let prefix = secrets::prefix_of(API_KEY_KIND, presented).ok_or_else(refused)?;
    let epoch = store.epoch();
    let partner = match state.cache.partner(prefix, epoch) {
        Some(cached) => cached,
        None => {
            let record = api_access::authenticate(store, presented).await?.ok_or_else(refused)?;
            let reseller = resellers::get(store, &record.key.reseller_id).await?;
            let partner = Partner(Arc::new(Authenticated {
                reseller,
                key: record.key,
                key_hash: record.key_hash,
            }));
            state.cache.put_partner(prefix, partner.clone(), epoch);
            partner
        }
    };
    // Cached or not, the presented key must hash to the stored hash.
    if partner.key.revoked_at.is_some() || !secrets::matches_hash(presented, &partner.key_hash) {
        return Err(refused());
    }
    let (reseller, record) = (&partner.reseller, &partner.key);
    if let Some(slot) = slot {
        slot.set_caller(reseller.id.clone(), record.prefix.clone());
    }
    match reseller.status {
        // A terminated reseller's keys no longer authenticate anything.
        ResellerStatus::Terminated => return Err(refused()),
        ResellerStatus::Pending => {
            return Err(ApiError::new(
                ErrorCode::ResellerNotActive,
                "Your reseller application has not been approved yet.",
            ));
        }
        ResellerStatus::Suspended => {
            return Err(ApiError::new(
                ErrorCode::ResellerSuspended,
                "Your reseller account is suspended; the API refuses requests until it is reactivated.",
            ));
        }
        ResellerStatus::Active => {}
    }
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
    if state.cache.due_for_touch(prefix) {
        store
            .touch_api_key(&record.id, Timestamp::now())
            .await
            .map_err(AppError::from)?;
    }
    Ok(partner.clone())
}
