//! `GET /me`: who the key belongs to, its status and limits.

use super::{
    PartnerState,
    auth::Partner,
    schemas::{KeyOut, MeOut},
};
use axum::{Json, extract::State};

/// Your profile's status and limits, and the key you used.
#[utoipa::path(get, path = "/me", operation_id = "get_me", tag = "account",
    responses((status = 200, description = "Your profile and the key you called with", body = MeOut)))]
pub async fn read(State(state): State<PartnerState>, partner: Partner) -> Json<MeOut> {
    let r = &partner.reseller;
    Json(MeOut {
        id: r.id.to_string(),
        company_name: r.company_name.clone(),
        status: r.status.as_str().to_owned(),
        api_enabled: r.api_enabled,
        rate_limit: r.rate_limit,
        rate_limit_window_secs: state.limiter.window().as_secs(),
        default_discount_rate: r.default_discount_rate.to_string(),
        currency: state.app.settings.currency.code().to_owned(),
        key: KeyOut {
            prefix: partner.key().prefix.clone(),
            scope: partner.key().scope.as_str().to_owned(),
        },
    })
}
