//! The portal's Dashboard and Orders pages (the reseller's own data only).

use super::{DashboardView, Order};
use crate::{error::AppError, services::Service};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderPage {
    pub items: Vec<Order>,
    pub next_cursor: Option<String>,
    pub currency: String,
}

/// Clients: their orders, newest first, optionally for one customer.
#[server(prefix = "/api/fn")]
pub async fn my_orders(customer_id: Option<String>, before: Option<String>) -> Result<OrderPage, AppError> {
    use crate::{
        accounts::session,
        ids::{OrderId, parse_id},
        store::OrderFilter,
    };
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = OrderFilter {
                customer_id: customer_id
                    .filter(|c| !c.is_empty())
                    .map(|c| parse_id("customer_id", &c))
                    .transpose()?,
                before: before
                    .filter(|b| !b.is_empty())
                    .map(|b| parse_id::<OrderId>("before", &b))
                    .transpose()?,
                since: None,
                limit: PAGE_SIZE + 1,
            };
            let mut items = super::service::orders(&state.store, &reseller.id, &filter).await?;
            let next_cursor = (items.len() > PAGE_SIZE as usize).then(|| {
                items.truncate(PAGE_SIZE as usize);
                items.last().map(|o| o.id.to_string())
            });
            Ok(OrderPage {
                items,
                next_cursor: next_cursor.flatten(),
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
            let services = super::service::services(
                &state.store,
                &reseller.id,
                &ServiceFilter {
                    order_id: Some(order.id.clone()),
                    limit: 1000,
                    ..ServiceFilter::default()
                },
            )
            .await?;
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

/// Clients: the dashboard's figures and the latest orders.
#[server(prefix = "/api/fn")]
pub async fn my_dashboard() -> Result<DashboardView, AppError> {
    use crate::{accounts::session, store::OrderFilter};
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let stats = super::service::dashboard(&state.store, &reseller.id).await?;
            let recent = super::service::orders(
                &state.store,
                &reseller.id,
                &OrderFilter {
                    limit: 5,
                    ..OrderFilter::default()
                },
            )
            .await?;
            Ok(DashboardView {
                company_name: reseller.company_name,
                status: reseller.status,
                services_by_status: stats.services_by_status,
                orders_this_month: stats.orders_this_month,
                spend_this_month: stats.spend_this_month,
                api_requests_24h: stats.api_requests_24h,
                api_errors_24h: stats.api_errors_24h,
                recent_orders: recent,
                currency: state.settings.currency.code().to_owned(),
            })
        }
        .await,
    )
}
