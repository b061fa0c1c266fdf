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
}

/// Clients: their services, newest first, optionally by status.
#[server(prefix = "/api/fn")]
pub async fn my_services(status: Option<String>, before: Option<String>) -> Result<ServicePage, AppError> {
    use super::ServiceFilter;
    use crate::{accounts::session, orders::service as orders};
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = ServiceFilter::parse(status.as_deref(), None, None, before.as_deref(), Some(PAGE_SIZE))?;
            Ok(ServicePage {
                page: orders::services(&state.store, &reseller.id, &filter).await?,
                currency: state.settings.currency.code().to_owned(),
                product_names: crate::catalog::service::names_for(&state.store, &reseller.id).await?,
            })
        }
        .await,
    )
}

/// Operators: a reseller's services, for the actions on its page.
#[server(prefix = "/api/fn")]
pub async fn admin_reseller_services(reseller_id: String) -> Result<ServicePage, AppError> {
    use super::ServiceFilter;
    use crate::{
        accounts::{Role, session},
        orders::service as orders,
    };
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let filter = ServiceFilter {
                page: crate::lists::PageRequest::first(500),
                ..ServiceFilter::default()
            };
            Ok(ServicePage {
                page: orders::services(&state.store, &id, &filter).await?,
                currency: state.settings.currency.code().to_owned(),
                product_names: crate::catalog::service::names_for(&state.store, &id).await?,
            })
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
/// renewed and unsuspended if the account covers it).
#[server(prefix = "/api/fn")]
pub async fn renew_service(service_id: String) -> Result<Service, AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("service_id", &service_id)?;
            crate::billing::service::renew_now(&state.store, &Actor::user(&operator), &id).await
        }
        .await,
    )
}
