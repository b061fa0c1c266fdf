//! The portal's Services page.

use super::Service;
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServicePage {
    pub page: Page<Service>,
    pub currency: String,
    pub product_names: Vec<(String, String)>,
    /// `(id, label)` of the page's customers.
    pub customer_names: Vec<(String, String)>,
}

/// The page with the names of its products and customers.
#[cfg(feature = "ssr")]
async fn named_page(
    state: &crate::state::AppState,
    reseller: &crate::ids::ResellerId,
    page: Page<Service>,
) -> Result<ServicePage, AppError> {
    let customers: Vec<_> = page.data.iter().map(|s| s.customer_id.clone()).collect();
    Ok(ServicePage {
        customer_names: crate::customers::service::labels_for(&state.store, reseller, &customers).await?,
        product_names: crate::catalog::service::names_for(&state.store, reseller).await?,
        currency: state.settings.currency.code().to_owned(),
        page,
    })
}

/// Clients: their services, newest first, optionally by status.
#[server(prefix = "/api/fn")]
pub async fn my_services(status: Option<String>, before: Option<String>) -> Result<ServicePage, AppError> {
    use super::ServiceFilter;
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = ServiceFilter::parse(status.as_deref(), None, None, before.as_deref(), Some(PAGE_SIZE))?;
            let page = super::service::services(&state.store, &reseller.id, &filter).await?;
            named_page(&state, &reseller.id, page).await
        }
        .await,
    )
}

/// One service with the names a page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceView {
    pub service: Service,
    pub product_name: String,
    pub customer_label: String,
    pub currency: String,
    pub reseller_id: String,
    /// The name of the product a scheduled change moves to.
    pub scheduled_product_name: Option<String>,
    /// What the next renewal charges (a price-book version may move it).
    pub next_renewal_price: crate::money::Money,
}

/// Clients: one of their services (another reseller's: not found), with
/// its provisioning state and the details the module returned.
#[server(prefix = "/api/fn")]
pub async fn my_service(id: String) -> Result<ServiceView, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let id = crate::ids::parse_id("id", &id)?;
            let service = super::service::service(&state.store, &reseller.id, &id).await?;
            view_of(&state, &reseller.id, service).await
        }
        .await,
    )
}

/// Operators: any reseller's service, for its page in the admin panel.
#[server(prefix = "/api/fn")]
pub async fn admin_service(id: String) -> Result<ServiceView, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            let (service, reseller) = super::service::service_owned(&state.store, &id).await?;
            view_of(&state, &reseller, service).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
async fn view_of(
    state: &crate::state::AppState,
    reseller: &crate::ids::ResellerId,
    service: Service,
) -> Result<ServiceView, AppError> {
    let named = named_page(
        state,
        reseller,
        Page {
            data: vec![service.clone()],
            next_cursor: None,
        },
    )
    .await?;
    let next_renewal_price =
        crate::price_book::service::next_renewal_prices(&state.store, reseller, std::slice::from_ref(&service))
            .await?
            .remove(0);
    Ok(ServiceView {
        next_renewal_price,
        scheduled_product_name: service
            .scheduled_change
            .as_ref()
            .map(|c| crate::components::name_in(&named.product_names, c.product_id.as_str())),
        product_name: crate::components::name_in(&named.product_names, service.product_id.as_str()),
        customer_label: crate::components::name_in(&named.customer_names, service.customer_id.as_str()),
        currency: named.currency,
        reseller_id: reseller.to_string(),
        service,
    })
}

/// Operators: a reseller's services, for the actions on its page.
#[server(prefix = "/api/fn")]
pub async fn admin_reseller_services(reseller_id: String) -> Result<ServicePage, AppError> {
    use super::ServiceFilter;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let filter = ServiceFilter {
                page: crate::lists::PageRequest::first(500),
                ..ServiceFilter::default()
            };
            let page = super::service::services(&state.store, &id, &filter).await?;
            named_page(&state, &id, page).await
        }
        .await,
    )
}

/// Operators: record a provisioning outcome (activate, suspend, unsuspend,
/// terminate); the reseller hears of it by webhook.
#[server(prefix = "/api/fn")]
pub async fn service_action(service_id: String, action: super::ServiceAction) -> Result<Service, AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("service_id", &service_id)?;
            super::service::change_status(&state.store, &Actor::user(&operator), &id, action).await
        }
        .await,
    )
}

/// Operators: "Renew now": the scheduled renewal's rule, at once (charged,
/// or suspended for non-payment; a service suspended for non-payment is
/// renewed and unsuspended if the account covers it). `next_renewal_at` is
/// the renewal date the page showed: if the service was renewed since (by
/// the scheduler, or a second click), nothing is charged twice.
#[server(prefix = "/api/fn")]
pub async fn renew_service(service_id: String, next_renewal_at: Option<String>) -> Result<Service, AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
        lists::optional,
        timestamp::Timestamp,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("service_id", &service_id)?;
            let seen = optional("next_renewal_at", next_renewal_at.as_deref(), Timestamp::parse_rfc3339)?;
            crate::billing::service::renew_now(&state.store, &Actor::user(&operator), &id, seen).await
        }
        .await,
    )
}
