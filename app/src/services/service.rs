//! Service use cases: a reseller's services (scoped reads: another
//! reseller's id is not found), the operator's provisioning outcomes and
//! renewals.

use super::{Service, ServiceAction, ServiceFilter, ServiceStatus, SuspensionReason, service_transition};
use crate::{
    audit::Actor,
    billing::service::{self as billing, Renewed},
    error::{AppError, AppResult, ErrorCode},
    ids::{ResellerId, ServiceId},
    lists::Page,
    provisioning::service as provisioning,
    store::{NewAuditEntry, NotFoundExt, Store, StoreTx},
    timestamp::Timestamp,
    webhooks::{NewEvent, service as webhooks},
};

/// One of `reseller`'s services.
pub async fn service(store: &Store, reseller: &ResellerId, id: &ServiceId) -> AppResult<Service> {
    store.service(reseller, id).await.or_not_found("service")
}

/// Any reseller's service (operators), with whose it is.
pub async fn service_owned(store: &Store, id: &ServiceId) -> AppResult<(Service, ResellerId)> {
    store.service_owned(id).await.or_not_found("service")
}

/// `reseller`'s services, newest first, filtered, one page.
pub async fn services(store: &Store, reseller: &ResellerId, filter: &ServiceFilter) -> AppResult<Page<Service>> {
    Ok(store.services(reseller, filter).await?)
}

/// [`service`] with what its next renewal charges.
pub async fn priced_service(store: &Store, reseller: &ResellerId, id: &ServiceId) -> AppResult<super::PricedService> {
    let service = service(store, reseller, id).await?;
    Ok(priced(store, reseller, vec![service]).await?.remove(0))
}

/// [`services`] with what each next renewal charges.
pub async fn priced_services(
    store: &Store,
    reseller: &ResellerId,
    filter: &ServiceFilter,
) -> AppResult<Page<super::PricedService>> {
    let page = services(store, reseller, filter).await?;
    Ok(Page {
        data: priced(store, reseller, page.data).await?,
        next_cursor: page.next_cursor,
    })
}

async fn priced(store: &Store, reseller: &ResellerId, services: Vec<Service>) -> AppResult<Vec<super::PricedService>> {
    let prices = crate::price_book::service::next_renewal_prices(store, reseller, &services).await?;
    Ok(services
        .into_iter()
        .zip(prices)
        .map(|(service, next_renewal_price)| super::PricedService {
            service,
            next_renewal_price,
        })
        .collect())
}

/// Applies `action` to a service (any reseller's: operators only), with its
/// event and audit entry in one transaction. Concurrent changes cannot
/// both win.
pub async fn change_status(store: &Store, actor: &Actor, id: &ServiceId, action: ServiceAction) -> AppResult<Service> {
    let current = store.service_any(id).await.or_not_found("service")?;
    let to = service_transition(current.status, action)?;
    let name = format!("service.{}", action.as_str());
    let audit = NewAuditEntry {
        from_status: Some(current.status.as_str()),
        to_status: Some(to.as_str()),
        ..NewAuditEntry::new(actor, &name, "service", id.as_str(), store.now())
    };
    let mut tx = store.begin().await?;
    let changed = async {
        let reason = (to == ServiceStatus::Suspended).then_some(SuspensionReason::Operator);
        let Some((mut service, reseller)) = tx.set_service_status(id, current.status, to, reason, audit.at).await?
        else {
            return Err(AppError::new(
                ErrorCode::InvalidTransition,
                "The service changed meanwhile; reload and try again.",
            ));
        };
        // The module follows (an `http` product's server is suspended,
        // restored or removed); activation is the outcome of a `create`,
        // so an operator's activation sends nothing.
        if let Some(kind) = action.provisioning()
            && let Some(shown) = provisioning::request(&mut tx, &reseller, &service, kind, None).await?
        {
            service.provisioning = Some(shown);
        }
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

/// Renews every active service whose renewal date has come: charged and
/// advanced by one term (`service.renewed`), or, when its reseller's
/// account cannot cover it, suspended for non-payment (`service.suspended`).
/// Returns how many were renewed (charged).
pub async fn renew_due(store: &Store, now: Timestamp) -> AppResult<usize> {
    let mut total = 0;
    // Batches, so one call catches up however much is due.
    loop {
        let mut tx = store.begin().await?;
        let batch = renew_batch(&mut tx, now).await;
        let (taken, renewed) = tx.finish(batch).await?;
        total += renewed;
        if taken < RENEWAL_BATCH as usize {
            return Ok(total);
        }
    }
}

/// One batch: how many were due, how many were charged.
async fn renew_batch(tx: &mut StoreTx, now: Timestamp) -> AppResult<(usize, usize)> {
    let mut due = tx.due_services(now, RENEWAL_BATCH).await?;
    // Accounts are locked in reseller order (stable: oldest due first
    // within one), so two batches never wait on each other's accounts.
    due.sort_by(|a, b| a.1.cmp(&b.1));
    let mut charged = 0;
    for (service, reseller) in &due {
        if billing::renew_active(tx, reseller, service, now).await? == Renewed::Charged {
            charged += 1;
        }
    }
    Ok((due.len(), charged))
}
