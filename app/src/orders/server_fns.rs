//! The portal's Orders pages (the reseller's own data only).

use super::Order;
use crate::{error::AppError, lists::Page, services::Service};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderPage {
    pub page: Page<Order>,
    pub currency: String,
}

/// Clients: their orders, newest first, optionally for one customer (by
/// id, or by part of its external id or name).
#[server(prefix = "/api/fn")]
pub async fn my_orders(
    customer_id: Option<String>,
    customer: Option<String>,
    before: Option<String>,
) -> Result<OrderPage, AppError> {
    use super::OrderFilter;
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = OrderFilter::parse(
                customer_id.as_deref(),
                customer.as_deref(),
                before.as_deref(),
                Some(PAGE_SIZE),
            )?;
            Ok(OrderPage {
                page: super::service::orders(&state.store, &reseller.id, &filter).await?,
                currency: state.settings.currency.code().to_owned(),
            })
        }
        .await,
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub order: Order,
    pub services: Vec<Service>,
    /// Product names by id, for display.
    pub product_names: Vec<(String, String)>,
}

/// Clients: one of their orders with its services.
#[server(prefix = "/api/fn")]
pub async fn my_order(id: String) -> Result<OrderDetail, AppError> {
    use crate::{
        accounts::session,
        ids::{OrderId, parse_id},
        services::ServiceFilter,
    };
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let id: OrderId = parse_id("id", &id)?;
            let order = super::service::order(&state.store, &reseller.id, &id).await?;
            let services = crate::services::service::services(
                &state.store,
                &reseller.id,
                &ServiceFilter {
                    order_id: Some(order.id.clone()),
                    // All of the order's services: it made one per unit.
                    page: crate::lists::PageRequest::first(
                        order.service_ids.len().try_into().unwrap_or(u32::MAX).max(1),
                    ),
                    ..ServiceFilter::default()
                },
            )
            .await?
            .data;
            let product_names = crate::catalog::service::names_for(&state.store, &reseller.id).await?;
            Ok(OrderDetail {
                order,
                services,
                product_names,
            })
        }
        .await,
    )
}

/// Clients: place an order from the portal, for one of their customers (by
/// external id; a new one is created), at their book's prices. The same
/// use case as the partner API's, so the same refusals (a prepaid account
/// without funds: `insufficient_funds`, explained).
#[server(prefix = "/api/fn")]
pub async fn place_order(
    customer_external_id: String,
    customer_name: Option<String>,
    offer: String,
    quantity: String,
) -> Result<Order, AppError> {
    use super::{CustomerRef, OrderLineRequest, OrderRequest};
    use crate::{accounts::session, terms::BillingTerm};
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            // `prd_...|monthly`: the product and term chosen together.
            let (product_id, term) = offer
                .split_once('|')
                .ok_or_else(|| AppError::validation("offer", "Choose a product and term."))?;
            let request = OrderRequest {
                customer: CustomerRef {
                    external_id: customer_external_id,
                    name: crate::lists::blank_to_none(customer_name.as_deref()).map(str::to_owned),
                    email: None,
                },
                lines: vec![OrderLineRequest {
                    product_id: crate::ids::parse_id("offer", product_id)?,
                    term: BillingTerm::parse(term)
                        .ok_or_else(|| AppError::validation("term", "Choose a billing term."))?,
                    quantity: quantity
                        .trim()
                        .parse()
                        .map_err(|_| AppError::validation("quantity", "The quantity is a whole number from 1."))?,
                }],
            };
            super::service::place(&state.store, &state.settings, &reseller.id, request).await
        }
        .await,
    )
}
