//! Webhook use cases for the panels and the admin API.

use super::{
    Delivery, DeliveryDetail, DeliveryFilter, EventType, FinishedAttempt, Gate, NewEvent, gate, may_retry_now,
    new_delivery,
};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{DeliveryId, ResellerId},
    resellers::Reseller,
    state::{AppState, TEST_EVENTS_PER_MINUTE},
    store::{NewAuditEntry, NotFoundExt, Store, StoreTx},
    timestamp::Timestamp,
};

pub async fn list(store: &Store, filter: &DeliveryFilter) -> AppResult<crate::lists::Page<Delivery>> {
    Ok(store.deliveries(filter).await?)
}

/// One delivery; with `reseller`, only that reseller's (others: not found).
pub async fn detail(store: &Store, id: &DeliveryId, reseller: Option<&ResellerId>) -> AppResult<DeliveryDetail> {
    store.delivery_detail(id, reseller).await.or_not_found("delivery")
}

/// Records `events` for `reseller` in the transaction of the change that
/// caused them, with the deliveries its state calls for (`new_delivery`).
/// Every event of the product goes through here.
pub async fn record(tx: &mut StoreTx, reseller: &ResellerId, events: &[NewEvent], now: Timestamp) -> AppResult<()> {
    let target = tx.webhook_target(reseller).await?;
    let delivery = new_delivery(target.status, target.has_url);
    Ok(tx.insert_events(reseller, events, delivery, now).await?)
}

/// "Retry now": queues the delivery at once, if `may_retry_now` allows it,
/// with an audit entry.
pub async fn retry_now(store: &Store, actor: &Actor, id: &DeliveryId) -> AppResult<DeliveryDetail> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let retried = async {
        let (status, reseller) = tx.delivery_states(id).await.or_not_found("delivery")?;
        if !may_retry_now(status, reseller) || !tx.requeue_delivery(id, status, now).await? {
            return Err(AppError::new(
                ErrorCode::InvalidTransition,
                format!(
                    "A {} delivery cannot be retried (held and cancelled ones cannot, nor any of a reseller that is not active).",
                    status.as_str()
                ),
            ));
        }
        let audit = NewAuditEntry::new(actor, "webhook_delivery.retry", "webhook_delivery", id.as_str(), now);
        Ok(tx.insert_audit(&audit).await?)
    }
    .await;
    tx.finish(retried).await?;
    detail(store, id, None).await
}

/// After attempts: records each and moves its delivery on, all in one
/// transaction (the worker's bookkeeper batches what finished meanwhile).
pub async fn record_attempts(store: &Store, attempts: &[FinishedAttempt]) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let recorded = tx.record_attempts(attempts).await;
    Ok(tx.finish(recorded).await?)
}

/// Parks a pending delivery that its reseller's state does not let go out
/// (`gate`), if the state still calls for `seen` (what the attempt saw):
/// the reseller is re-read under a lock, since a reactivation committing
/// between the attempt's read and this write would leave the delivery
/// held after its release. False when the state moved on: read again.
pub async fn park(store: &Store, id: &DeliveryId, seen: Gate) -> AppResult<bool> {
    let Some((status, why)) = seen.parked_as() else {
        return Ok(false);
    };
    let mut tx = store.begin().await?;
    let parked = async {
        let Some(target) = tx.lock_delivery_target(id).await? else {
            return Ok(false);
        };
        if gate(target.status, target.has_url) != seen {
            return Ok(false);
        }
        tx.park_delivery(id, status, why, Timestamp::now()).await?;
        Ok::<_, AppError>(true)
    }
    .await;
    tx.finish(parked).await
}

/// A `webhook.test` event to the reseller's endpoint, at most
/// `TEST_EVENTS_PER_MINUTE` per reseller (each is a request to the
/// reseller's server, made by ours).
pub async fn send_test_event(state: &AppState, reseller: &Reseller) -> AppResult<()> {
    reseller.status.must_be_active("send test events")?;
    state
        .guards
        .test_events
        .hit(reseller.id.as_str())
        .await
        .map_err(|wait| {
            AppError::new(
                ErrorCode::RateLimited,
                format!("At most {TEST_EVENTS_PER_MINUTE} test events a minute; try again in {wait} s."),
            )
            .retry_after(wait)
        })?;
    let event = NewEvent {
        event_type: EventType::WebhookTest,
        data: serde_json::json!({ "reseller_id": reseller.id, "message": "This is a test event from FluxBilling." }),
    };
    let mut tx = state.store.begin().await?;
    let recorded = record(&mut tx, &reseller.id, &[event], state.store.now()).await;
    tx.finish(recorded).await
}
