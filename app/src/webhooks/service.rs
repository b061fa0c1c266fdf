//! Webhook use cases for the panels and the admin API.

use super::{Delivery, DeliveryDetail, DeliveryFilter, EventType, NewEvent};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{DeliveryId, ResellerId},
    resellers::{Reseller, ResellerStatus},
    state::{AppState, TEST_EVENTS_PER_MINUTE},
    store::{NewAuditEntry, Store, StoreError},
    timestamp::Timestamp,
};

pub async fn list(store: &Store, filter: &DeliveryFilter) -> AppResult<Vec<Delivery>> {
    Ok(store.deliveries(filter).await?)
}

/// One delivery; with `reseller`, only that reseller's (others: not found).
pub async fn detail(store: &Store, id: &DeliveryId, reseller: Option<&ResellerId>) -> AppResult<DeliveryDetail> {
    store.delivery_detail(id, reseller).await.map_err(|e| match e {
        StoreError::NotFound => AppError::not_found("delivery"),
        other => other.into(),
    })
}

/// "Retry now": queues the delivery at once (waiting, failed or succeeded),
/// if its reseller is active.
pub async fn retry_now(store: &Store, actor: &Actor, id: &DeliveryId) -> AppResult<DeliveryDetail> {
    let current = detail(store, id, None).await?;
    if !store.retry_delivery_now(id, Timestamp::now()).await? {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "A {} delivery cannot be retried (held and cancelled ones cannot, nor any of a reseller that is not active).",
                current.delivery.status.as_str()
            ),
        ));
    }
    let audit = NewAuditEntry::new(
        actor,
        "webhook_delivery.retry",
        "webhook_delivery",
        id.as_str(),
        Timestamp::now(),
    );
    store.append_audit(&audit).await?;
    detail(store, id, None).await
}

/// A `webhook.test` event to the reseller's endpoint, at most
/// `TEST_EVENTS_PER_MINUTE` per reseller (each is a request to the
/// reseller's server, made by ours).
pub async fn send_test_event(state: &AppState, reseller: &Reseller) -> AppResult<()> {
    if reseller.status != ResellerStatus::Active {
        return Err(AppError::new(
            ErrorCode::ResellerNotActive,
            "Only an active reseller can send test events.",
        ));
    }
    state.guards.test_events.hit(reseller.id.as_str()).map_err(|wait| {
        AppError::new(
            ErrorCode::RateLimited,
            format!("At most {TEST_EVENTS_PER_MINUTE} test events a minute; try again in {wait} s."),
        )
        .retry_after(wait)
    })?;
    let store = &state.store;
    let event = NewEvent {
        event_type: EventType::WebhookTest,
        data: serde_json::json!({ "reseller_id": reseller.id, "message": "This is a test event from FluxBilling." }),
    };
    Ok(store.record_test_event(&reseller.id, event, Timestamp::now()).await?)
}
