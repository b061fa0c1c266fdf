//! The operator admin API (`/api/admin/v1`): everything the admin panel
//! does, for scripts. Bearer admin tokens; the same domain services as the
//! panel, so the same rules and the same audit log.

mod api_access;
mod api_logs;
mod audit_log;
mod billing;
mod price_book;
mod products;
mod provisioning_actions;
mod resellers;
mod services;
mod webhook_deliveries;

use crate::{
    credentials::{bearer, client_limit_key},
    problem::ApiError,
};
use app::{accounts::service as accounts, audit::Actor, error::ErrorCode, state::AppState};
use axum::{Router, extract::FromRequestParts, http::request::Parts};

pub fn router(state: AppState, metrics: crate::metrics::Metrics) -> Router {
    Router::new()
        .merge(products::router())
        .merge(resellers::router())
        .merge(price_book::router())
        .merge(audit_log::router())
        .merge(api_access::router())
        .merge(api_logs::router())
        .merge(services::router())
        .merge(billing::router())
        .merge(webhook_deliveries::router())
        .merge(provisioning_actions::router())
        .method_not_allowed_fallback(crate::problem::method_not_allowed)
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such admin API endpoint.") })
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            (metrics, "admin"),
            crate::metrics::track,
        ))
}

/// An authenticated admin token: every handler takes one, so none can run
/// unauthenticated.
pub struct Operator {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let address = client_limit_key(&parts.extensions);
        let record = accounts::authenticate_admin_token(state, bearer(parts), &address).await?;
        Ok(Operator {
            actor: Actor::admin_token(&record.id, &record.name),
        })
    }
}
