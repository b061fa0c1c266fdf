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
            let product_names = state
                .store
                .list_products()
                .await?
                .into_iter()
                .map(|p| (p.id.to_string(), p.name))
                .collect();
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
