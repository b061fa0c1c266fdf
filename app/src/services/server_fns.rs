//! The portal's Services page.

use super::Service;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServicePage {
    pub items: Vec<Service>,
    pub next_cursor: Option<String>,
    pub currency: String,
    pub product_names: Vec<(String, String)>,
}

/// Clients: their services, newest first, optionally by status.
#[server(prefix = "/api/fn")]
pub async fn my_services(status: Option<String>, before: Option<String>) -> Result<ServicePage, AppError> {
    use super::{ServiceFilter, ServiceStatus};
    use crate::{
        accounts::session,
        ids::{ServiceId, parse_id},
        orders::service as orders,
    };
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let status = match status.as_deref().filter(|s| !s.is_empty()) {
                Some(raw) => {
                    Some(ServiceStatus::parse(raw).ok_or_else(|| AppError::validation("status", "Unknown status."))?)
                }
                None => None,
            };
            let filter = ServiceFilter {
                status,
                before: before
                    .filter(|b| !b.is_empty())
                    .map(|b| parse_id::<ServiceId>("before", &b))
                    .transpose()?,
                limit: PAGE_SIZE + 1,
                ..ServiceFilter::default()
            };
            let mut items = orders::services(&state.store, &reseller.id, &filter).await?;
            let next_cursor = if items.len() > PAGE_SIZE as usize {
                items.truncate(PAGE_SIZE as usize);
                items.last().map(|s| s.id.to_string())
            } else {
                None
            };
            let product_names = crate::catalog::service::names_for(&state.store, &reseller.id).await?;
            Ok(ServicePage {
                items,
                next_cursor,
                currency: state.settings.currency.code().to_owned(),
                product_names,
            })
        }
        .await,
    )
}

/// Operators: a reseller's services, for the actions on its page.
#[server(prefix = "/api/fn")]
pub async fn admin_reseller_services(reseller_id: String) -> Result<Vec<Service>, AppError> {
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
                limit: 500,
                ..ServiceFilter::default()
            };
            orders::services(&state.store, &id, &filter).await
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
