//! The portal's Customers page: search by external id, each with its
//! services.

use super::Customer;
use crate::{error::AppError, lists::Page, services::Service};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerWithServices {
    pub customer: Customer,
    pub services: Vec<Service>,
}

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
    use crate::{accounts::session, lists::PageRequest, orders::service as orders, services::ServiceFilter};
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = CustomerFilter::parse(None, search.as_deref(), before.as_deref(), Some(PAGE_SIZE))?;
            let customers = orders::customers(&state.store, &reseller.id, &filter).await?;
            let mut items = Vec::with_capacity(customers.data.len());
            for customer in customers.data {
                let filter = ServiceFilter {
                    customer_id: Some(customer.id.clone()),
                    page: PageRequest::first(200),
                    ..ServiceFilter::default()
                };
                let services = orders::services(&state.store, &reseller.id, &filter).await?.data;
                items.push(CustomerWithServices { customer, services });
            }
            let product_names = crate::catalog::service::names_for(&state.store, &reseller.id).await?;
            Ok(CustomerPage {
                page: Page {
                    data: items,
                    next_cursor: customers.next_cursor,
                },
                currency: state.settings.currency.code().to_owned(),
                product_names,
            })
        }
        .await,
    )
}
