//! The portal's Dashboard page (the reseller's own data only).

use super::DashboardView;
use crate::error::AppError;
use leptos::prelude::*;

/// Clients: the dashboard's figures and the latest orders.
#[server(prefix = "/api/fn")]
pub async fn my_dashboard() -> Result<DashboardView, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            super::service::view(&state.store, &state.settings, &reseller).await
        }
        .await,
    )
}
