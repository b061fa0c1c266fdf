//! Catalogue entry points for the admin panel (operators only).

use super::Product;
use crate::error::AppError;
use leptos::prelude::*;

/// Every product, active or not, with its retail prices.
#[server(prefix = "/api/fn")]
pub async fn admin_list_products() -> Result<Vec<Product>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _operator) = session::require(Role::Operator).await?;
            super::service::list_products(&state.store).await
        }
        .await,
    )
}

/// The installation currency's code, for showing amounts.
#[server(prefix = "/api/fn")]
pub async fn currency() -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    Ok(state.settings.currency.code().to_owned())
}
