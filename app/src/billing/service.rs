//! Account use cases. Charges are written in the transactions of what
//! causes them (an order, a renewal) through [`charge`]; money received
//! (payments, credits, positive adjustments) goes through [`credit_in`],
//! which also lifts suspensions for non-payment as far as the funds reach.
//!
//! Locks: an account row is locked only when the reseller has a credit
//! limit (so admission is serialised per reseller and can never be
//! exceeded); without one, charges only append entries. Transactions lock
//! services before the account (renewals), or the account before services
//! they take with SKIP LOCKED (payments), so no two wait on each other.

use super::{
    AccountPatch, AccountSettings, Audience, Balance, BalancePoint, Entry, EntryFilter, EntryKind, LowBalance, Month,
    NewCorrection, NewPayment, PaymentWindow, Statement, StatementCsv, balance_by_day, statement,
};
use crate::{
    audit::Actor,
    changes::{ChangePlan, LineKind, service as changes},
    error::{AppError, AppResult, ErrorCode},
    idempotency::{self, Answer, Claim},
    ids::{ChangeId, ResellerId, ServiceId, TransactionId},
    lists::{Page, PageRequest},
    money::{Amount, Money},
    orders::Order,
    price_book::service as price_book,
    provisioning::{ActionKind, service as provisioning},
    resellers::service as resellers,
    services::{Renewal, Service, ServiceStatus, SuspensionReason},
    state::Settings,
    store::{NewAuditEntry, NewEntry, NotFoundExt, Store, StoreError, StoreTx},
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent, service as webhooks},
};

// ---- Charges ---------------------------------------------------------------

/// An order's charge, in the order's transaction: refused with
/// `insufficient_funds` (before anything is written) beyond `available`.
pub async fn charge_order(tx: &mut StoreTx, reseller: &ResellerId, order: &Order) -> AppResult<()> {
    let entry = NewEntry {
        order_id: Some(&order.id),
        ..NewEntry::new(EntryKind::Order, Amount::ZERO, order.created_at)
    };
    charge(tx, reseller, order.wholesale_total, entry).await
}

/// The one path of every charge: admission against the limit, the entry,
/// the low-balance check. A zero charge moves no money and writes nothing.
///
/// With a credit limit the account row is locked before the balance is
/// read, so admission is serialised per reseller and the limit can never
/// be exceeded. Without one, charges only append entries (orders do not
/// queue); but with a low-balance threshold, whether this charge crossed
/// it is decided on the balance after the entry, read under the account's
/// lock: each of two concurrent charges then sees the one that committed
/// before it, so one of them sees the crossing (`balance.low` once).
async fn charge(tx: &mut StoreTx, reseller: &ResellerId, amount: Money, entry: NewEntry<'_>) -> AppResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut settings = tx.account_settings(reseller).await?;
    let admitted_on = if settings.credit_limit.is_some() {
        settings = tx.lock_account(reseller).await?;
        let balance = tx.balance(reseller).await?;
        settings.admit(balance, amount)?;
        Some(balance)
    } else {
        None
    };
    let entry = NewEntry {
        amount: -Amount::from(amount),
        ..entry
    };
    tx.insert_entry(reseller, &entry).await?;
    if settings.low_balance_threshold.is_some() {
        let after = match admitted_on {
            // Locked since admission: nothing else was charged meanwhile.
            Some(balance) => balance.minus(amount),
            None => {
                settings = tx.lock_account(reseller).await?;
                tx.balance(reseller).await?
            }
        };
        low_balance(tx, reseller, &settings, after, entry.at).await?;
    }
    Ok(())
}

/// A change's money, in the change's transaction: the credit for the
/// unused part of the old price, then the charge for the rest of the
/// period at the new one, both `proration` entries referring to the change
/// (`reference`). The credit is written first, so the charge is admitted
/// against a balance that holds it: what is admitted is the net, and a net
/// the account cannot cover is `insufficient_funds` before anything stays
/// written (the caller's transaction rolls back).
pub async fn charge_change(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    change: &ChangeId,
    service: &ServiceId,
    plan: &ChangePlan,
    now: Timestamp,
) -> AppResult<()> {
    for line in &plan.lines {
        let entry = NewEntry {
            service_id: Some(service),
            reference: Some(change.as_str()),
            reason: Some(&line.description),
            ..NewEntry::new(EntryKind::Proration, Amount::from(line.amount), now)
        };
        match line.kind {
            LineKind::Credit if !line.amount.is_zero() => {
                tx.insert_entry(reseller, &entry).await?;
            }
            LineKind::Credit => {}
            LineKind::Charge => charge(tx, reseller, line.amount, entry).await?,
        }
    }
    Ok(())
}

/// Whether the account covers `net` now (a preview's `admitted`): always
/// when nothing is charged or there is no limit.
pub async fn covers(tx: &mut StoreTx, reseller: &ResellerId, net: Amount) -> AppResult<bool> {
    let Ok(charge) = Money::new(net.value()) else {
        return Ok(true); // Money back.
    };
    let settings = tx.account_settings(reseller).await?;
    if charge.is_zero() || settings.credit_limit.is_none() {
        return Ok(true);
    }
    let balance = tx.balance(reseller).await?;
    Ok(settings.admit(balance, charge).is_ok())
}

/// A cancellation's refund: a `proration` credit for the service, then
/// what the money now covers (as any money received).
pub async fn refund(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &ServiceId,
    amount: Money,
    description: &str,
    now: Timestamp,
) -> AppResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let entry = NewEntry {
        service_id: Some(service),
        reason: Some(description),
        ..NewEntry::new(EntryKind::Proration, amount.into(), now)
    };
    let settings = tx.lock_account(reseller).await?;
    tx.insert_entry(reseller, &entry).await?;
    credit_in(tx, reseller, &settings, now).await
}

/// Sends `balance.low` once per crossing below the threshold, and re-arms
/// it once the level is back.
async fn low_balance(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    settings: &AccountSettings,
    balance: Amount,
    now: Timestamp,
) -> AppResult<()> {
    match settings.low_balance(balance) {
        LowBalance::Notify => {
            // Only the transaction that flips the flag sends the event.
            if tx.set_low_balance_notified(reseller, true).await? {
                let event = NewEvent {
                    event_type: EventType::BalanceLow,
                    data: serde_json::json!({
                        "reseller_id": reseller,
                        "balance": balance,
                        "credit_limit": settings.credit_limit,
                        "available": settings.available(balance),
                        "low_balance_threshold": settings.low_balance_threshold,
                    }),
                };
                webhooks::record(tx, reseller, &[event], now).await?;
            }
        }
        LowBalance::Rearm => {
            tx.set_low_balance_notified(reseller, false).await?;
        }
        LowBalance::Unchanged => {}
    }
    Ok(())
}

// ---- Renewals ----------------------------------------------------------------

/// What a renewal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewed {
    /// Charged and advanced by one term.
    Charged,
    /// Not covered: suspended for non-payment.
    SuspendedUnpaid,
    /// Its cancellation had come: terminated, nothing charged.
    Ended,
}

/// A due service's renewal in `tx` (locked by the caller). One whose
/// scheduled cancellation has come ends instead, uncharged; a change that
/// waited for this renewal applies first, so the renewal charges the new
/// price. Then its locked recurring price is charged and it advances one
/// term, or, when the account cannot cover it, it is suspended for
/// non-payment.
pub async fn renew_active(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    now: Timestamp,
) -> AppResult<Renewed> {
    if service.cancellation_due(now) {
        changes::end_scheduled(tx, reseller, service, now).await?;
        return Ok(Renewed::Ended);
    }
    let service = changes::apply_scheduled(tx, reseller, service, now).await?;
    match charge_term(tx, reseller, &Renewal::of(&service), now).await {
        Ok(()) => Ok(Renewed::Charged),
        Err(e) if e.code == ErrorCode::InsufficientFunds => {
            suspend_unpaid(tx, &service, now).await?;
            Ok(Renewed::SuspendedUnpaid)
        }
        Err(e) => Err(e),
    }
}

/// Charges the term of `renewal` and moves its service on, with
/// `service.renewed`.
async fn charge_term(tx: &mut StoreTx, reseller: &ResellerId, renewal: &Renewal, now: Timestamp) -> AppResult<()> {
    let renewal = &reprice(tx, reseller, renewal, now).await?;
    let service = &renewal.service;
    let entry = NewEntry {
        service_id: Some(&service.id),
        ..NewEntry::new(EntryKind::Renewal, Amount::ZERO, now)
    };
    charge(tx, reseller, service.recurring_price, entry).await?;
    tx.set_next_renewal(&service.id, renewal.service.next_renewal_at, now)
        .await?;
    webhooks::record(tx, reseller, &[renewal.event()?], now).await
}

/// `service.price_changed`: the service at its new price, and the old one.
#[derive(serde::Serialize)]
struct PriceChanged<'a> {
    #[serde(flatten)]
    service: &'a Service,
    old_price: Money,
    price_version_id: &'a crate::ids::PriceVersionId,
}

/// A renewal an `at_renewal` price-book version reaches charges the
/// version's price for the service's term and locks it (DESIGN.md "Price
/// changes over time"), with `service.price_changed` when it differs. The
/// price moves with the renewal even if the account cannot pay it: the
/// service is then suspended at its new price.
async fn reprice(tx: &mut StoreTx, reseller: &ResellerId, renewal: &Renewal, now: Timestamp) -> AppResult<Renewal> {
    let moved = price_book::renewal_price_in(tx, reseller, &renewal.service, renewal.period_start).await?;
    let Some((version, price)) = moved else {
        return Ok(renewal.clone());
    };
    let mut renewal = renewal.clone();
    let old_price = renewal.service.recurring_price;
    renewal.service.recurring_price = price;
    renewal.service.price_locked_at = now;
    tx.set_recurring_price(&renewal.service.id, price, now).await?;
    if price != old_price {
        let changed = PriceChanged {
            service: &renewal.service,
            old_price,
            price_version_id: &version.id,
        };
        let event = NewEvent::of(EventType::ServicePriceChanged, &changed)?;
        webhooks::record(tx, reseller, &[event], now).await?;
    }
    Ok(renewal)
}

async fn suspend_unpaid(tx: &mut StoreTx, service: &Service, now: Timestamp) -> AppResult<()> {
    let changed = tx
        .set_service_status(
            &service.id,
            ServiceStatus::Active,
            ServiceStatus::Suspended,
            Some(SuspensionReason::Unpaid),
            now,
        )
        .await?;
    if let Some((mut suspended, reseller)) = changed {
        // The module suspends the server (an `http` product's).
        suspended.provisioning = provisioning::request(tx, &reseller, &suspended, ActionKind::Suspend, None)
            .await?
            .or(suspended.provisioning);
        let event = NewEvent::of(EventType::ServiceSuspended, &suspended)?;
        webhooks::record(tx, &reseller, &[event], now).await?;
    }
    Ok(())
}

/// Restores a service suspended for non-payment, if the account covers a
/// term from `now` (one charge, whatever the service owed before), and
/// unsuspends it (`service.renewed`, `service.unsuspended`).
async fn renew_unpaid(tx: &mut StoreTx, reseller: &ResellerId, service: &Service, now: Timestamp) -> AppResult<()> {
    charge_term(tx, reseller, &Renewal::restored(service, now), now).await?;
    let changed = tx
        .set_service_status(&service.id, ServiceStatus::Suspended, ServiceStatus::Active, None, now)
        .await?;
    if let Some((mut active, _)) = changed {
        active.provisioning = provisioning::request(tx, reseller, &active, ActionKind::Unsuspend, None)
            .await?
            .or(active.provisioning);
        let event = NewEvent::of(EventType::ServiceUnsuspended, &active)?;
        webhooks::record(tx, reseller, &[event], now).await?;
    }
    Ok(())
}

/// `POST /services/{id}/renew` and "Renew now": the scheduled renewal's
/// rule, now. An active service is charged (or suspended for
/// non-payment); one suspended for non-payment is renewed and unsuspended
/// if the account covers it (402 otherwise, nothing changed); any other
/// service cannot be renewed. `seen` is the next renewal the caller saw:
/// if the service moved on meanwhile (the scheduler, another click renewed
/// it), nothing is charged twice: 409.
pub async fn renew_now(store: &Store, actor: &Actor, id: &ServiceId, seen: Option<Timestamp>) -> AppResult<Service> {
    let mut tx = store.begin().await?;
    let renewed = renew_in(&mut tx, actor, id, seen).await;
    tx.finish(renewed).await
}

/// [`renew_now`] at most once per Idempotency-Key (the operator's keys are
/// kept apart from the reseller's own): a retry answers the first answer.
pub async fn renew_now_idempotent(
    store: &Store,
    actor: &Actor,
    id: &ServiceId,
    seen: Option<Timestamp>,
    claim: &Claim,
) -> AppResult<Answer> {
    let (_, reseller) = store.service_owned(id).await.or_not_found("service")?;
    idempotency::service::run(store, &reseller, claim, async |tx| {
        let service = renew_in(tx, actor, id, seen).await?;
        Ok((200, serde_json::to_string(&service).map_err(AppError::internal)?))
    })
    .await
}

/// The renewal of [`renew_now`] in `tx`; the service as it is after.
async fn renew_in(tx: &mut StoreTx, actor: &Actor, id: &ServiceId, seen: Option<Timestamp>) -> AppResult<Service> {
    let now = tx.now();
    let (service, reseller) = tx
        .lock_service(id)
        .await?
        .ok_or_else(|| AppError::not_found("service"))?;
    if seen.is_some_and(|seen| seen != service.next_renewal_at) {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "The service was renewed meanwhile (its next renewal is now {}); reload to see it.",
                service.next_renewal_at.short()
            ),
        ));
    }
    if service.cancel_at.is_some() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "The service's cancellation is scheduled: it is not renewed again (withdraw the cancellation first).",
        ));
    }
    if !service.renewable() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "Only active services and services suspended for non-payment can be renewed.",
        ));
    }
    if service.status == ServiceStatus::Active {
        renew_active(tx, &reseller, &service, now).await?;
    } else {
        renew_unpaid(tx, &reseller, &service, now).await?;
    }
    let audit = NewAuditEntry::new(actor, "service.renew", "service", id.as_str(), now);
    tx.insert_audit(&audit).await?;
    let (after, _) = tx
        .lock_service(id)
        .await?
        .ok_or_else(|| AppError::not_found("service"))?;
    Ok(after)
}

// ---- Money received ------------------------------------------------------------

/// After money came in: the low-balance flag, then services suspended
/// for non-payment renewed and unsuspended, oldest due first, as far as
/// the funds reach (the first one not covered stops the walk).
async fn credit_in(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    settings: &AccountSettings,
    now: Timestamp,
) -> AppResult<()> {
    for service in tx.unpaid_services(reseller).await? {
        let balance = tx.balance(reseller).await?;
        if settings.admit(balance, service.recurring_price).is_err() {
            break;
        }
        renew_unpaid(tx, reseller, &service, now).await?;
    }
    let balance = tx.balance(reseller).await?;
    let settings = tx.lock_account(reseller).await?;
    low_balance(tx, reseller, &settings, balance, now).await
}

/// What an operator's recording did: recorded now, or found recorded with
/// the same Idempotency-Key (the first entry, nothing more written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub entry: Entry,
    pub replayed: bool,
}

/// A payment received from the reseller, dated within the account's
/// [`PaymentWindow`], at most once per Idempotency-Key (a retry with the
/// same key and request returns the first entry; with another request it
/// is `idempotency_key_reused`). Tells the reseller (`payment.received`).
pub async fn record_payment(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    payment: &NewPayment,
    idempotency_key: Option<&str>,
) -> AppResult<Recorded> {
    let now = store.now();
    let opened = resellers::get(store, reseller).await?.applied_at;
    let received_at = payment.received_at.unwrap_or(now);
    PaymentWindow::new(opened, now, settings.statement_grace_days).check(received_at)?;
    let hash = payment_hash(payment);
    let entry = NewEntry {
        reference: Some(&payment.reference),
        recorded_by: Some(&actor.name),
        idempotency: idempotency_key.map(|k| (k, hash.as_str())),
        ..NewEntry::new(EntryKind::Payment, payment.amount.into(), received_at)
    };
    record_in(store, actor, reseller, entry, "account.payment", now).await
}

/// A credit or an adjustment, with its reason, at most once per
/// Idempotency-Key like a payment. A negative adjustment is a charge the
/// operator makes: it is not refused by the limit (the operator decides),
/// but it counts for the low-balance warning.
pub async fn record_correction(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    correction: &NewCorrection,
    idempotency_key: Option<&str>,
) -> AppResult<Recorded> {
    let now = store.now();
    resellers::get(store, reseller).await?;
    let hash = request_hash(&[
        correction.kind.as_str(),
        &correction.amount.to_string(),
        &correction.reason,
    ]);
    let entry = NewEntry {
        reason: Some(&correction.reason),
        recorded_by: Some(&actor.name),
        idempotency: idempotency_key.map(|k| (k, hash.as_str())),
        ..NewEntry::new(correction.kind, correction.amount, now)
    };
    let action = match correction.kind {
        EntryKind::Credit => "account.credit",
        _ => "account.adjustment",
    };
    record_in(store, actor, reseller, entry, action, now).await
}

/// The one path of what an operator records: the replay of an earlier
/// recording under the same key, or the entry, its event (payments), its
/// audit entry and what the money now covers (`credit_in`), in one
/// transaction.
async fn record_in(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    entry: NewEntry<'_>,
    action: &str,
    now: Timestamp,
) -> AppResult<Recorded> {
    let mut tx = store.begin().await?;
    let recorded = async {
        let settings = tx.lock_account(reseller).await?;
        if let Some((key, hash)) = entry.idempotency
            && let Some((earlier, earlier_hash)) = tx.entry_by_key(reseller, key).await?
        {
            if earlier_hash != hash {
                return Err(AppError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "This Idempotency-Key was used for a different recording.",
                ));
            }
            return Ok(Recorded {
                entry: earlier,
                replayed: true,
            });
        }
        let entry = tx.insert_entry(reseller, &entry).await.map_err(|e| match e {
            // The same key, recorded by a request still committing.
            StoreError::Conflict(_) => AppError::new(
                ErrorCode::IdempotencyKeyInFlight,
                "A recording with this Idempotency-Key is in progress; retry to read it.",
            )
            .retry_after(1),
            other => other.into(),
        })?;
        if entry.kind == EntryKind::Payment {
            let balance = tx.balance(reseller).await?;
            let event = NewEvent {
                event_type: EventType::PaymentReceived,
                data: serde_json::json!({
                    "reseller_id": reseller,
                    "transaction": entry.clone().for_audience(Audience::Reseller),
                    "balance": balance,
                }),
            };
            webhooks::record(&mut tx, reseller, &[event], now).await?;
        }
        audit_entry(&mut tx, actor, action, reseller, &entry, now).await?;
        credit_in(&mut tx, reseller, &settings, now).await?;
        Ok(Recorded { entry, replayed: false })
    }
    .await;
    tx.finish(recorded).await
}

/// What a payment's retry must repeat (amount, reference, the date if one
/// was given), hashed; the form of the hash that payments recorded by
/// earlier versions carry.
fn payment_hash(payment: &NewPayment) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::json!([
        payment.amount,
        payment.reference,
        payment.received_at.map(|t| t.unix_micros())
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// What a retry under the same Idempotency-Key must repeat, hashed.
fn request_hash(fields: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_string(fields).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

async fn audit_entry(
    tx: &mut StoreTx,
    actor: &Actor,
    action: &str,
    reseller: &ResellerId,
    entry: &Entry,
    now: Timestamp,
) -> AppResult<()> {
    let audit = NewAuditEntry {
        reason: entry.reason.as_deref(),
        details: Some(serde_json::json!({
            "transaction_id": entry.id,
            "amount": entry.amount,
            "reference": entry.reference,
        })),
        ..NewAuditEntry::new(actor, action, "reseller", reseller.as_str(), now)
    };
    Ok(tx.insert_audit(&audit).await?)
}

/// Changes the credit limit or the low-balance threshold. A limit raised
/// (or removed) lifts suspensions for non-payment it now covers, like a
/// payment; a new threshold is checked at once.
pub async fn update_account(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    patch: &AccountPatch,
) -> AppResult<AccountSettings> {
    patch.validate()?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let updated = async {
        tx.reseller_status(reseller).await.or_not_found("reseller")?;
        let before = tx.lock_account(reseller).await?;
        let mut after = patch.apply(before.clone());
        if after.low_balance_threshold != before.low_balance_threshold {
            after.low_balance_notified = false;
        }
        tx.save_account_settings(reseller, &after, now).await?;
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({
                "credit_limit": { "old": before.credit_limit, "new": after.credit_limit },
                "low_balance_threshold": { "old": before.low_balance_threshold, "new": after.low_balance_threshold },
            })),
            ..NewAuditEntry::new(actor, "account.settings", "reseller", reseller.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        credit_in(&mut tx, reseller, &after, now).await?;
        Ok(tx.lock_account(reseller).await?)
    }
    .await;
    tx.finish(updated).await
}

// ---- Reads -------------------------------------------------------------------

pub async fn balance(store: &Store, currency: &str, reseller: &ResellerId) -> AppResult<Balance> {
    let (settings, balance) = store.account(reseller).await?;
    Ok(Balance::of(&settings, balance, currency))
}

/// The accounts of several resellers (the operator's list), in their order.
pub async fn balances_of(store: &Store, currency: &str, resellers: &[ResellerId]) -> AppResult<Vec<Balance>> {
    let rows = store.accounts_of(resellers).await?;
    Ok(resellers
        .iter()
        .map(|id| match rows.iter().find(|r| &r.reseller_id == id) {
            Some(row) => Balance::of(&row.settings, row.balance, currency),
            None => Balance::of(&AccountSettings::default(), Amount::ZERO, currency),
        })
        .collect())
}

/// Entries newest first, filtered, one page, as `audience` may read them.
pub async fn transactions(
    store: &Store,
    reseller: &ResellerId,
    filter: &EntryFilter,
    audience: Audience,
) -> AppResult<Page<Entry>> {
    let page = store.entries(reseller, filter).await.map_err(bad_cursor)?;
    Ok(page.map(|e| e.for_audience(audience)))
}

fn bad_cursor(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::validation("cursor", "The cursor is not one a previous page gave."),
        other => other.into(),
    }
}

/// One page of a month's statement (the page after `page.after`, an entry
/// of the month), as `audience` may read it. The opening and closing
/// balances and the running balance a later page starts from are sums the
/// database makes, so no page loads more than its lines.
pub async fn statement(
    store: &Store,
    settings: &Settings,
    reseller: &ResellerId,
    month: Month,
    page: &PageRequest<TransactionId>,
    audience: Audience,
) -> AppResult<Statement> {
    let (from, to) = (month.start(), month.next().start());
    let opening = store.balance_before(reseller, Some(from)).await?;
    let closing = store.balance_before(reseller, Some(to)).await?;
    let running = match &page.after {
        None => opening,
        Some(cursor) => {
            opening
                + store
                    .sum_through(reseller, from, to, cursor)
                    .await
                    .map_err(bad_cursor)?
        }
    };
    let lines = store
        .statement_page(reseller, from, to, page)
        .await
        .map_err(bad_cursor)?;
    let lines = lines.map(|e| e.for_audience(audience));
    let currency = settings.currency.code();
    let is_final = month.is_final(store.now(), settings.statement_grace_days);
    Ok(Statement::page(
        month,
        currency,
        is_final,
        (opening, closing),
        running,
        lines,
    ))
}

/// Lines a statement CSV reads per query.
const CSV_PAGE: u32 = 1_000;

/// A month's whole statement as CSV, read a page at a time.
pub async fn statement_csv(
    store: &Store,
    reseller: &ResellerId,
    month: Month,
    audience: Audience,
) -> AppResult<String> {
    let (from, to) = (month.start(), month.next().start());
    let opening = store.balance_before(reseller, Some(from)).await?;
    let mut csv = StatementCsv::new(month, opening);
    let mut running = opening;
    let mut page = PageRequest::first(CSV_PAGE);
    loop {
        let entries = store.statement_page(reseller, from, to, &page).await?;
        let lines = statement::lines(
            running,
            entries.data.into_iter().map(|e| e.for_audience(audience)).collect(),
        );
        running = lines.last().map_or(running, |l| l.balance_after);
        csv.lines(&lines);
        match entries.next_cursor {
            Some(cursor) => page.after = Some(cursor.parse().map_err(AppError::internal)?),
            None => return Ok(csv.finish(running)),
        }
    }
}

/// The months with a statement: from the first entry's to this one,
/// newest first (just this month for a new account).
pub async fn statement_months(store: &Store, reseller: &ResellerId) -> AppResult<Vec<Month>> {
    let now = store.now();
    let this = Month::of(now);
    let first = store
        .first_entry_before(reseller, this.next().start())
        .await?
        .map(Month::of)
        .unwrap_or(this);
    let mut months = vec![this];
    while let Some(&last) = months.last()
        && last > first
        && months.len() < 120
    {
        months.push(last.previous());
    }
    Ok(months)
}

/// The balance at the end of each of the last `days` days: the balance
/// before the first day and one sum per day, grouped by the database.
pub async fn balance_history(store: &Store, reseller: &ResellerId, days: i64) -> AppResult<Vec<BalancePoint>> {
    let today = store.now();
    let first = Timestamp::from_datetime(
        today
            .minus(time::Duration::days(days - 1))
            .datetime()
            .replace_time(time::Time::MIDNIGHT),
    );
    let before = store.balance_before(reseller, Some(first)).await?;
    let sums = store
        .day_sums(reseller, first, today.plus(time::Duration::seconds(1)))
        .await?;
    Ok(balance_by_day(today, days, before, &sums))
}

// ---- Closing periods -----------------------------------------------------------

/// Accounts snapshotted per batch.
const CLOSE_BATCH: i64 = 500;

/// A month is snapshotted this long after its statement became final, so
/// that a payment checked just before that moment has committed.
const CLOSE_MARGIN: time::Duration = time::Duration::hours(1);

/// Snapshots the balance of every account at the end of each month whose
/// statement is final (see `store::billing`), from the account's last
/// snapshot or first entry on; the hourly sweep runs it. Returns how many
/// snapshots were written.
pub async fn close_periods(store: &Store, settings: &Settings) -> AppResult<usize> {
    let now = store.now();
    let period_end = Month::first_open(now.minus(CLOSE_MARGIN), settings.statement_grace_days).start();
    let mut written = 0;
    loop {
        let accounts = store.accounts_to_close(period_end, CLOSE_BATCH).await?;
        for (reseller, last_end, last_balance) in &accounts {
            written += close_account(
                store,
                reseller,
                *last_end,
                last_balance.unwrap_or(Amount::ZERO),
                period_end,
                now,
            )
            .await?;
        }
        if (accounts.len() as i64) < CLOSE_BATCH {
            return Ok(written);
        }
    }
}

/// One account's snapshots, month by month, from `last_end` (or the month
/// of its first entry) to `period_end`.
async fn close_account(
    store: &Store,
    reseller: &ResellerId,
    last_end: Option<Timestamp>,
    mut balance: Amount,
    period_end: Timestamp,
    now: Timestamp,
) -> AppResult<usize> {
    let mut month = match last_end {
        Some(end) => Month::of(end),
        None => match store.first_entry_before(reseller, period_end).await? {
            Some(first) => Month::of(first),
            None => return Ok(0),
        },
    };
    // Before its first month there is nothing: what precedes the first
    // snapshot is counted into it.
    let mut from = last_end.unwrap_or(Timestamp::EPOCH);
    if last_end.is_none() {
        balance = store.balance_before(reseller, Some(month.start())).await?;
        from = month.start();
    }
    let mut written = 0;
    while month.start() < period_end {
        let end = month.next().start();
        balance = balance + store.sum_between(reseller, from, end).await?;
        store.insert_snapshot(reseller, end, balance, now).await?;
        written += 1;
        from = end;
        month = month.next();
    }
    Ok(written)
}
