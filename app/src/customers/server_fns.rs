//! The portal's Customers page: search by external id, each with its
//! services.

use super::CustomerWithServices;
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub page: Page<CustomerWithServices>,
    pub currency: String,
    pub product_names: Vec<(String, String)>,
}

/// Clients: their customers (newest first), matching `search` in the
/// external id or the name, each with its services.
#[server(prefix = "/api/fn")]
pub async fn my_customers(search: Option<String>, before: Option<String>) -> Result<CustomerPage, AppError> {
    use super::CustomerFilter;
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = CustomerFilter::parse(None, search.as_deref(), before.as_deref(), Some(PAGE_SIZE))?;
            let page = super::service::with_services(&state.store, &reseller.id, &filter).await?;
            let product_names = crate::catalog::service::names_for(&state.store, &reseller.id).await?;
            Ok(CustomerPage {
                page,
                currency: state.settings.currency.code().to_owned(),
                product_names,
            })
        }
        .await,
    )
}
