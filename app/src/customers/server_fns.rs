//! The portal's Customers page: search by external id, each with its
//! services.

use super::Customer;
use crate::{error::AppError, services::Service};
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
    pub items: Vec<CustomerWithServices>,
    pub next_cursor: Option<String>,
    pub currency: String,
    pub product_names: Vec<(String, String)>,
}

/// Clients: their customers (newest first), matching `search` in the
/// external id, each with its services.
#[server(prefix = "/api/fn")]
pub async fn my_customers(search: Option<String>, before: Option<String>) -> Result<CustomerPage, AppError> {
    use super::CustomerFilter;
    use crate::{
        accounts::session,
        ids::{CustomerId, parse_id},
        orders::service as orders,
        services::ServiceFilter,
    };
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = CustomerFilter {
                search,
                before: before
                    .filter(|b| !b.is_empty())
                    .map(|b| parse_id::<CustomerId>("before", &b))
                    .transpose()?,
                limit: PAGE_SIZE + 1,
                ..CustomerFilter::default()
            };
            let mut customers = orders::customers(&state.store, &reseller.id, &filter).await?;
            let next_cursor = if customers.len() > PAGE_SIZE as usize {
                customers.truncate(PAGE_SIZE as usize);
                customers.last().map(|c| c.id.to_string())
            } else {
                None
            };
            let mut items = Vec::with_capacity(customers.len());
            for customer in customers {
                let services = orders::services(
                    &state.store,
                    &reseller.id,
                    &ServiceFilter {
                        customer_id: Some(customer.id.clone()),
                        limit: 200,
                        ..ServiceFilter::default()
                    },
                )
                .await?;
                items.push(CustomerWithServices { customer, services });
            }
            let product_names = crate::catalog::service::names_for(&state.store, &reseller.id).await?;
            Ok(CustomerPage {
                items,
                next_cursor,
                currency: state.settings.currency.code().to_owned(),
                product_names,
            })
        }
        .await,
    )
}
