//! Service use cases: the operator's provisioning outcomes and renewals.

use super::{Service, ServiceAction, service_transition};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::ServiceId,
    store::{NewAuditEntry, Store, StoreError, TransitionOutcome},
    timestamp::Timestamp,
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
    match store
        .transition_service(id, current.status, to, action.event(), &audit)
        .await?
    {
        TransitionOutcome::Done => Ok(store.service_any(id).await?),
        TransitionOutcome::StateChanged => Err(AppError::new(
            ErrorCode::InvalidTransition,
            "The service changed meanwhile; reload and try again.",
        )),
    }
}

/// Advances every active service whose renewal date has come by one term,
/// with a `service.renewed` event each. Returns how many were renewed.
pub async fn renew_due(store: &Store, now: Timestamp) -> AppResult<usize> {
    let mut total = 0;
    // Batches, so one call catches up however much is due.
    loop {
        let renewed = store.renew_due_services(now, 200).await?;
        total += renewed;
        if renewed < 200 {
            return Ok(total);
        }
    }
}
