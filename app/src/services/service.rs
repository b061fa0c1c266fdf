//! Service use cases: the operator's provisioning outcomes and renewals.

use super::{Renewal, Service, ServiceAction, service_transition};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::ServiceId,
    store::{NewAuditEntry, Store, StoreError, StoreTx},
    timestamp::Timestamp,
    webhooks::{NewEvent, service as webhooks},
};

/// Applies `action` to a service (any reseller's: operators only), with its
/// event and audit entry in one transaction. Concurrent changes cannot
/// both win.
pub async fn change_status(store: &Store, actor: &Actor, id: &ServiceId, action: ServiceAction) -> AppResult<Service> {
    let current = store.service_any(id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::not_found("service"),
        other => other.into(),
    })?;
    let to = service_transition(current.status, action)?;
    let name = format!("service.{}", action.as_str());
    let audit = NewAuditEntry {
        from_status: Some(current.status.as_str()),
        to_status: Some(to.as_str()),
        ..NewAuditEntry::new(actor, &name, "service", id.as_str(), Timestamp::now())
    };
    let mut tx = store.begin().await?;
    let changed = async {
        let Some((service, reseller)) = tx.set_service_status(id, current.status, to, audit.at).await? else {
            return Err(AppError::new(
                ErrorCode::InvalidTransition,
                "The service changed meanwhile; reload and try again.",
            ));
        };
        let event = NewEvent::of(action.event(), &service)?;
        webhooks::record(&mut tx, &reseller, &[event], audit.at).await?;
        tx.insert_audit(&audit).await?;
        Ok(service)
    }
    .await;
    tx.finish(changed).await
}

/// Renewals taken per transaction.
const RENEWAL_BATCH: i64 = 200;

/// Advances every active service whose renewal date has come by one term,
/// with a `service.renewed` event each. Returns how many were renewed.
pub async fn renew_due(store: &Store, now: Timestamp) -> AppResult<usize> {
    let mut total = 0;
    // Batches, so one call catches up however much is due.
    loop {
        let mut tx = store.begin().await?;
        let batch = renew_batch(&mut tx, now).await;
        let renewed = tx.finish(batch).await?;
        total += renewed;
        if renewed < RENEWAL_BATCH as usize {
            return Ok(total);
        }
    }
}

async fn renew_batch(tx: &mut StoreTx, now: Timestamp) -> AppResult<usize> {
    let due = tx.due_services(now, RENEWAL_BATCH).await?;
    for (service, reseller) in &due {
        let renewal = Renewal::of(service);
        tx.set_next_renewal(&service.id, renewal.service.next_renewal_at, now)
            .await?;
        webhooks::record(tx, reseller, &[renewal.event()?], now).await?;
    }
    Ok(due.len())
}
