//! Cancellation and change use cases. Each locks the service, checks the
//! rules of `mod.rs`, and writes what they decide (service, `proration`
//! entries, the module's action, events, audit entry) in one transaction.
//! A reseller's caller finds only its own services (another's id is not
//! found); the operator acts on any reseller's, on its behalf.

use super::{
    Applies, CancelWhen, Cancellation, Cancelled, Change, ChangePlan, ChangeRequest, Target, cancel_refund,
    check_cancel, check_change, plan_change,
};
use crate::{
    audit::Actor,
    billing::service as billing,
    error::{AppError, AppResult, ErrorCode},
    idempotency::{self, Answer, Claim},
    ids::{ChangeId, ResellerId, ServiceId},
    money::Money,
    orders::available_offer,
    provisioning::{ActionKind, PlanChange, service as provisioning},
    services::Service,
    state::Settings,
    store::{NewAuditEntry, NotFoundExt, Store, StoreTx},
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent, service as webhooks},
};
use serde::Serialize;

/// Who asks.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    /// A partner's API key: the reseller's own services. Its requests are
    /// in the API log, so no audit entry is written.
    Partner(&'a ResellerId),
    /// A client in the portal: its reseller's own services, audited.
    Client(&'a ResellerId, &'a Actor),
    /// The operator, on any reseller's behalf, audited.
    Operator(&'a Actor),
}

impl Caller<'_> {
    fn owner(&self) -> Option<&ResellerId> {
        match self {
            Caller::Partner(r) | Caller::Client(r, _) => Some(r),
            Caller::Operator(_) => None,
        }
    }

    fn actor(&self) -> Option<&Actor> {
        match self {
            Caller::Partner(_) => None,
            Caller::Client(_, a) | Caller::Operator(a) => Some(a),
        }
    }
}

/// One operation's work in a transaction of its own.
async fn in_tx<T>(store: &Store, work: impl AsyncFnOnce(&mut StoreTx) -> AppResult<T>) -> AppResult<T> {
    let mut tx = store.begin().await?;
    let done = work(&mut tx).await;
    tx.finish(done).await
}

/// `work` at most once per Idempotency-Key of `reseller` (the partner
/// API's flow, as for orders), answering `status` and the JSON of what it
/// returns.
async fn idempotent<T: Serialize>(
    store: &Store,
    reseller: &ResellerId,
    claim: &Claim,
    status: u16,
    work: impl AsyncFnOnce(&mut StoreTx) -> AppResult<T>,
) -> AppResult<Answer> {
    idempotency::service::run(store, reseller, claim, async |tx| {
        let value = work(tx).await?;
        Ok((status, serde_json::to_string(&value).map_err(AppError::internal)?))
    })
    .await
}

/// The service, locked, if `caller` may act on it.
async fn lock_for(tx: &mut StoreTx, caller: Caller<'_>, id: &ServiceId) -> AppResult<(Service, ResellerId)> {
    match tx.lock_service(id).await? {
        Some((service, reseller)) if caller.owner().is_none_or(|own| own == &reseller) => Ok((service, reseller)),
        _ => Err(AppError::not_found("service")),
    }
}

/// The service if `caller` may act on it, with whose it is (a read, for
/// the page that offers the actions).
pub async fn owned(store: &Store, caller: Caller<'_>, id: &ServiceId) -> AppResult<(Service, ResellerId)> {
    let (service, reseller) = store.service_owned(id).await.or_not_found("service")?;
    if caller.owner().is_some_and(|own| own != &reseller) {
        return Err(AppError::not_found("service"));
    }
    Ok((service, reseller))
}

async fn audit(tx: &mut StoreTx, caller: Caller<'_>, action: &str, id: &ServiceId, now: Timestamp) -> AppResult<()> {
    if let Some(actor) = caller.actor() {
        tx.insert_audit(&NewAuditEntry::new(actor, action, "service", id.as_str(), now))
            .await?;
    }
    Ok(())
}

// ---- Cancellation ------------------------------------------------------------

pub async fn cancel(
    store: &Store,
    settings: &Settings,
    caller: Caller<'_>,
    id: &ServiceId,
    cancellation: &Cancellation,
) -> AppResult<Cancelled> {
    in_tx(store, async |tx| {
        cancel_in(tx, settings, caller, id, cancellation).await
    })
    .await
}

/// `POST /services/{id}/cancel`.
pub async fn cancel_idempotent(
    store: &Store,
    settings: &Settings,
    reseller: &ResellerId,
    id: &ServiceId,
    cancellation: &Cancellation,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotent(store, reseller, claim, 200, async |tx| {
        cancel_in(tx, settings, Caller::Partner(reseller), id, cancellation).await
    })
    .await
}

/// At the end of the term: `cancel_at` is the renewal date, when the
/// renewal job ends it instead of renewing. Immediately (or at the end of
/// a term already over: a service suspended for non-payment): ended now,
/// with the unused part of its period credited back.
async fn cancel_in(
    tx: &mut StoreTx,
    settings: &Settings,
    caller: Caller<'_>,
    id: &ServiceId,
    cancellation: &Cancellation,
) -> AppResult<Cancelled> {
    let now = tx.now();
    let (service, reseller) = lock_for(tx, caller, id).await?;
    check_cancel(&service, cancellation.when)?;
    audit(tx, caller, "service.cancel", id, now).await?;
    let reason = cancellation.reason.as_deref();
    if cancellation.when == CancelWhen::EndOfTerm && service.next_renewal_at > now {
        let service = tx.set_cancel_at(id, Some(service.next_renewal_at), reason, now).await?;
        let event = NewEvent::of(EventType::ServiceCancellationScheduled, &service)?;
        webhooks::record(tx, &reseller, &[event], now).await?;
        return Ok(Cancelled {
            service,
            refund: Money::ZERO,
        });
    }
    let refund = match cancellation.when {
        CancelWhen::Immediately => cancel_refund(&service, settings.cancel_refund, now),
        CancelWhen::EndOfTerm => Money::ZERO,
    };
    let description = format!("Refund of the unused part of {id} on cancellation");
    billing::refund(tx, &reseller, id, refund, &description, now).await?;
    let service = end(tx, &reseller, &service, now, reason).await?;
    Ok(Cancelled { service, refund })
}

/// `DELETE /services/{id}/cancel`: the scheduled cancellation withdrawn;
/// the service renews as usual.
pub async fn withdraw_cancellation(store: &Store, caller: Caller<'_>, id: &ServiceId) -> AppResult<Service> {
    in_tx(store, async |tx| withdraw_cancellation_in(tx, caller, id).await).await
}

pub async fn withdraw_cancellation_idempotent(
    store: &Store,
    reseller: &ResellerId,
    id: &ServiceId,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotent(store, reseller, claim, 200, async |tx| {
        withdraw_cancellation_in(tx, Caller::Partner(reseller), id).await
    })
    .await
}

async fn withdraw_cancellation_in(tx: &mut StoreTx, caller: Caller<'_>, id: &ServiceId) -> AppResult<Service> {
    let now = tx.now();
    let (service, reseller) = lock_for(tx, caller, id).await?;
    if service.cancel_at.is_none() || service.status == crate::services::ServiceStatus::Terminated {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "No cancellation is scheduled for this service.",
        ));
    }
    let service = tx.set_cancel_at(id, None, None, now).await?;
    let event = NewEvent::of(EventType::ServiceCancellationWithdrawn, &service)?;
    webhooks::record(tx, &reseller, &[event], now).await?;
    audit(tx, caller, "service.cancellation_withdrawn", id, now).await?;
    Ok(service)
}

/// A scheduled cancellation that has come (the renewal job): ended at its
/// `cancel_at`, uncharged.
pub async fn end_scheduled(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    now: Timestamp,
) -> AppResult<()> {
    end(tx, reseller, service, service.cancel_at.unwrap_or(now), None).await?;
    Ok(())
}

/// Terminates the service (the module's `terminate`, `service.terminated`).
async fn end(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    at: Timestamp,
    reason: Option<&str>,
) -> AppResult<Service> {
    let now = tx.now();
    let mut ended = tx.end_service(&service.id, at, reason, now).await?;
    if let Some(shown) = provisioning::request(tx, reseller, &ended, ActionKind::Terminate, None).await? {
        ended.provisioning = Some(shown);
    }
    let event = NewEvent::of(EventType::ServiceTerminated, &ended)?;
    webhooks::record(tx, reseller, &[event], now).await?;
    Ok(ended)
}

// ---- Changes -----------------------------------------------------------------

/// `POST /services/{id}/change/preview` and the portal's preview: what
/// the change would do now, written nowhere.
pub async fn preview(
    store: &Store,
    caller: Caller<'_>,
    id: &ServiceId,
    request: &ChangeRequest,
) -> AppResult<ChangePlan> {
    let mut tx = store.begin().await?;
    let planned = preview_in(&mut tx, caller, id, request).await;
    // Nothing was written; the locks go with the transaction.
    tx.rollback().await?;
    planned
}

/// `POST /services/{id}/change/preview`: a POST like any other, so a
/// replay under its key answers what the first one said.
pub async fn preview_idempotent(
    store: &Store,
    reseller: &ResellerId,
    id: &ServiceId,
    request: &ChangeRequest,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotent(store, reseller, claim, 200, async |tx| {
        preview_in(tx, Caller::Partner(reseller), id, request).await
    })
    .await
}

async fn preview_in(
    tx: &mut StoreTx,
    caller: Caller<'_>,
    id: &ServiceId,
    request: &ChangeRequest,
) -> AppResult<ChangePlan> {
    let (mut plan, _, reseller) = plan_in(tx, caller, id, request).await?;
    plan.admitted = billing::covers(tx, &reseller, plan.net).await?;
    Ok(plan)
}

pub async fn change(store: &Store, caller: Caller<'_>, id: &ServiceId, request: &ChangeRequest) -> AppResult<Change> {
    in_tx(store, async |tx| change_in(tx, caller, id, request).await).await
}

/// `POST /services/{id}/change`.
pub async fn change_idempotent(
    store: &Store,
    reseller: &ResellerId,
    id: &ServiceId,
    request: &ChangeRequest,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotent(store, reseller, claim, 200, async |tx| {
        change_in(tx, Caller::Partner(reseller), id, request).await
    })
    .await
}

/// The service locked, its target priced from the reseller's book as an
/// order is, and the plan of the change.
async fn plan_in(
    tx: &mut StoreTx,
    caller: Caller<'_>,
    id: &ServiceId,
    request: &ChangeRequest,
) -> AppResult<(ChangePlan, Service, ResellerId)> {
    let now = tx.now();
    let (service, reseller) = lock_for(tx, caller, id).await?;
    // A change may be a purchase: only a reseller that may order changes.
    tx.reseller_status(&reseller)
        .await
        .or_not_found("reseller")?
        .may_order()?;
    let target = request.target(&service)?;
    check_change(&service, &target)?;
    let price = price_target(tx, &reseller, &service, &target).await?;
    Ok((plan_change(&service, &target, price, now), service, reseller))
}

/// The target's price in the book: available, priced on the term, and
/// (a new product) within its `max_quantity`.
async fn price_target(tx: &mut StoreTx, reseller: &ResellerId, service: &Service, target: &Target) -> AppResult<Money> {
    let offers = tx
        .lock_offers(reseller, std::slice::from_ref(&target.product_id), tx.now())
        .await?;
    let offer = available_offer(&offers, &target.product_id)?;
    let price = offer.price(target.term)?;
    if target.product_id != service.product_id {
        offer.admits(1)?;
    }
    Ok(price)
}

/// An upgrade applies now: its `proration` entries (the net admitted like
/// an order's charge), the new product, term and price, the module's
/// `change` and `service.changed`. Anything else waits on the service for
/// its next renewal (`service.change_scheduled`).
async fn change_in(tx: &mut StoreTx, caller: Caller<'_>, id: &ServiceId, request: &ChangeRequest) -> AppResult<Change> {
    let now = tx.now();
    let (plan, before, reseller) = plan_in(tx, caller, id, request).await?;
    let change_id = ChangeId::generate();
    let service = match plan.applies {
        Applies::Now => {
            billing::charge_change(tx, &reseller, &change_id, id, &plan, now).await?;
            let target = Target {
                product_id: plan.product_id.clone(),
                term: plan.term,
            };
            apply(tx, &reseller, &before, &change_id, &target, plan.recurring_price, now).await?
        }
        Applies::AtRenewal => {
            let scheduled = plan.scheduled(change_id.clone(), now);
            let service = tx.set_scheduled_change(id, Some(&scheduled), now).await?;
            let event = NewEvent::of(EventType::ServiceChangeScheduled, &service)?;
            webhooks::record(tx, &reseller, &[event], now).await?;
            service
        }
    };
    audit(tx, caller, "service.change", id, now).await?;
    Ok(Change {
        id: change_id,
        plan,
        service,
    })
}

/// `DELETE /services/{id}/change`: the scheduled change withdrawn.
pub async fn withdraw_change(store: &Store, caller: Caller<'_>, id: &ServiceId) -> AppResult<Service> {
    in_tx(store, async |tx| withdraw_change_in(tx, caller, id).await).await
}

pub async fn withdraw_change_idempotent(
    store: &Store,
    reseller: &ResellerId,
    id: &ServiceId,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotent(store, reseller, claim, 200, async |tx| {
        withdraw_change_in(tx, Caller::Partner(reseller), id).await
    })
    .await
}

async fn withdraw_change_in(tx: &mut StoreTx, caller: Caller<'_>, id: &ServiceId) -> AppResult<Service> {
    let now = tx.now();
    let (service, _) = lock_for(tx, caller, id).await?;
    if service.scheduled_change.is_none() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "No change is scheduled for this service.",
        ));
    }
    let service = tx.set_scheduled_change(id, None, now).await?;
    audit(tx, caller, "service.change_withdrawn", id, now).await?;
    Ok(service)
}

/// The change that waited for this renewal, applied (the renewal job,
/// "Renew now"); the service as it is after (unchanged without one).
pub async fn apply_scheduled(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    now: Timestamp,
) -> AppResult<Service> {
    let Some(change) = &service.scheduled_change else {
        return Ok(service.clone());
    };
    let target = Target {
        product_id: change.product_id.clone(),
        term: change.term,
    };
    apply(tx, reseller, service, &change.id, &target, change.recurring_price, now).await
}

/// The service's new product, term and price; the module's `change`;
/// `service.changed` with what it was and what it is.
async fn apply(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    before: &Service,
    change_id: &ChangeId,
    target: &Target,
    price: Money,
    now: Timestamp,
) -> AppResult<Service> {
    let mut after = tx
        .set_plan(&before.id, &target.product_id, target.term, price, now)
        .await?;
    let plan_change = PlanChange {
        from_product: before.product_id.to_string(),
        from_term: before.term,
        to_product: after.product_id.to_string(),
        to_term: after.term,
    };
    if let Some(shown) = provisioning::request(tx, reseller, &after, ActionKind::Change, Some(plan_change)).await? {
        after.provisioning = Some(shown);
    }
    let mut event = NewEvent::of(EventType::ServiceChanged, &after)?;
    event.data["change"] = serde_json::json!({
        "id": change_id,
        "from": {
            "product_id": before.product_id,
            "term": before.term,
            "recurring_price": before.recurring_price,
        },
        "to": { "product_id": after.product_id, "term": after.term, "recurring_price": after.recurring_price },
    });
    webhooks::record(tx, reseller, &[event], now).await?;
    Ok(after)
}
