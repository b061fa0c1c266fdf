//! A reseller's end customers (scoped reads: another reseller's id is not
//! found). Customers are created by their first order (`orders::service`).

use super::{Customer, CustomerFilter, CustomerWithServices};
use crate::{
    error::AppResult,
    ids::{CustomerId, ResellerId},
    lists::Page,
    services::{ServiceFilter, service as services},
    store::{NotFoundExt, Store},
};

/// Services listed with each customer.
const SERVICES_PER_CUSTOMER: u32 = 200;

pub async fn customer(store: &Store, reseller: &ResellerId, id: &CustomerId) -> AppResult<Customer> {
    store.customer(reseller, id).await.or_not_found("customer")
}

/// `(id, label)` of `reseller`'s customers among `ids` (each once), for
/// lists of services that name their customer.
pub async fn labels_for(store: &Store, reseller: &ResellerId, ids: &[CustomerId]) -> AppResult<Vec<(String, String)>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let found = store.customers_among(reseller, &ids).await?;
    Ok(found.into_iter().map(|c| (c.id.to_string(), c.label())).collect())
}

/// `reseller`'s customers, newest first, filtered, one page.
pub async fn customers(store: &Store, reseller: &ResellerId, filter: &CustomerFilter) -> AppResult<Page<Customer>> {
    Ok(store.customers(reseller, filter).await?)
}

/// One page of customers, each with its services (newest first).
pub async fn with_services(
    store: &Store,
    reseller: &ResellerId,
    filter: &CustomerFilter,
) -> AppResult<Page<CustomerWithServices>> {
    let page = customers(store, reseller, filter).await?;
    let mut data = Vec::with_capacity(page.data.len());
    for customer in page.data {
        let of_customer = ServiceFilter {
            customer_id: Some(customer.id.clone()),
            page: crate::lists::PageRequest::first(SERVICES_PER_CUSTOMER),
            ..ServiceFilter::default()
        };
        let services = services::services(store, reseller, &of_customer).await?.data;
        data.push(CustomerWithServices { customer, services });
    }
    Ok(Page {
        data,
        next_cursor: page.next_cursor,
    })
}
