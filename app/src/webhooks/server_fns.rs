//! Webhook deliveries in the panels: the operator's Webhooks page (every
//! reseller's, with "Retry now"), and the reseller's own deliveries and
//! test event on API Settings.

use super::{Delivery, DeliveryDetail};
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;

pub const PAGE_SIZE: u32 = 50;

/// Operators: deliveries across resellers, newest first.
#[server(prefix = "/api/fn")]
pub async fn admin_deliveries(
    reseller_id: Option<String>,
    status: Option<String>,
    event_type: Option<String>,
    before: Option<String>,
) -> Result<Page<Delivery>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter = super::DeliveryFilter::parse(
                reseller_id.as_deref(),
                status.as_deref(),
                event_type.as_deref(),
                before.as_deref(),
                Some(PAGE_SIZE),
            )?;
            super::service::list(&state.store, &filter).await
        }
        .await,
    )
}

/// Operators: one delivery with every attempt and the payload.
#[server(prefix = "/api/fn")]
pub async fn admin_delivery(id: String) -> Result<DeliveryDetail, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            super::service::detail(&state.store, &id, None).await
        }
        .await,
    )
}

/// Operators: "Retry now".
#[server(prefix = "/api/fn")]
pub async fn retry_delivery(id: String) -> Result<DeliveryDetail, AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            super::service::retry_now(&state.store, &Actor::user(&operator), &id).await
        }
        .await,
    )
}

/// Deliveries per page on the portal's API Settings, a screen's worth.
pub const MY_PAGE_SIZE: u32 = 20;

/// Clients: their own deliveries, newest first, optionally of one status
/// and one event type.
#[server(prefix = "/api/fn")]
pub async fn my_deliveries(
    status: Option<String>,
    event_type: Option<String>,
    before: Option<String>,
) -> Result<Page<Delivery>, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let mut filter = super::DeliveryFilter::parse(
                None,
                status.as_deref(),
                event_type.as_deref(),
                before.as_deref(),
                Some(MY_PAGE_SIZE),
            )?;
            filter.reseller_id = Some(reseller.id);
            super::service::list(&state.store, &filter).await
        }
        .await,
    )
}

/// Clients: one of their deliveries (another reseller's: not found).
#[server(prefix = "/api/fn")]
pub async fn my_delivery(id: String) -> Result<DeliveryDetail, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let id = crate::ids::parse_id("id", &id)?;
            super::service::detail(&state.store, &id, Some(&reseller.id)).await
        }
        .await,
    )
}

/// Clients: send a `webhook.test` event to their endpoint.
#[server(prefix = "/api/fn")]
pub async fn send_test_event() -> Result<(), AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            super::service::send_test_event(&state, &reseller).await
        }
        .await,
    )
}
