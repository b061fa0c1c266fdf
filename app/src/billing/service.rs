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
    AccountPatch, AccountSettings, Balance, BalancePoint, Entry, EntryFilter, EntryKind, LowBalance, Month,
    NewCorrection, NewPayment, Statement, balance_by_day,
};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{ResellerId, ServiceId},
    lists::Page,
    money::{Amount, Money},
    orders::Order,
    services::{Renewal, Service, ServiceStatus, SuspensionReason},
    store::{NewAuditEntry, NewEntry, Store, StoreError, StoreTx},
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent, service as webhooks},
};

fn reseller_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::not_found("reseller"),
        other => other.into(),
    }
}

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
async fn charge(tx: &mut StoreTx, reseller: &ResellerId, amount: Money, entry: NewEntry<'_>) -> AppResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut settings = tx.account_settings(reseller).await?;
    if settings.credit_limit.is_some() {
        settings = tx.lock_account(reseller).await?;
    }
    // The balance is only summed when a rule needs it.
    let needs_balance = settings.credit_limit.is_some() || settings.low_balance_threshold.is_some();
    let before = if needs_balance {
        Some(tx.balance(reseller).await?)
    } else {
        None
    };
    if let Some(balance) = before {
        settings.admit(balance, amount)?;
    }
    let entry = NewEntry {
        amount: -Amount::from(amount),
        ..entry
    };
    tx.insert_entry(reseller, &entry).await?;
    if let Some(balance) = before {
        low_balance(tx, reseller, &settings, balance.minus(amount), entry.at).await?;
    }
    Ok(())
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
}

/// Renews an active service in `tx` (locked by the caller): charges its
/// locked recurring price and advances it one term, or, when the account
/// cannot cover it, suspends it for non-payment.
pub async fn renew_active(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    now: Timestamp,
) -> AppResult<Renewed> {
    match renew_charged(tx, reseller, service, now).await {
        Ok(()) => Ok(Renewed::Charged),
        Err(e) if e.code == ErrorCode::InsufficientFunds => {
            suspend_unpaid(tx, service, now).await?;
            Ok(Renewed::SuspendedUnpaid)
        }
        Err(e) => Err(e),
    }
}

/// Charges one term of `service` and advances it, with `service.renewed`.
async fn renew_charged(tx: &mut StoreTx, reseller: &ResellerId, service: &Service, now: Timestamp) -> AppResult<()> {
    let renewal = Renewal::of(service);
    let entry = NewEntry {
        service_id: Some(&service.id),
        ..NewEntry::new(EntryKind::Renewal, Amount::ZERO, now)
    };
    charge(tx, reseller, service.recurring_price, entry).await?;
    tx.set_next_renewal(&service.id, renewal.service.next_renewal_at, now)
        .await?;
    webhooks::record(tx, reseller, &[renewal.event()?], now).await
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
    if let Some((suspended, reseller)) = changed {
        let event = NewEvent::of(EventType::ServiceSuspended, &suspended)?;
        webhooks::record(tx, &reseller, &[event], now).await?;
    }
    Ok(())
}

/// Renews a service suspended for non-payment, if the account covers it,
/// and unsuspends it (`service.renewed`, `service.unsuspended`).
async fn renew_unpaid(tx: &mut StoreTx, reseller: &ResellerId, service: &Service, now: Timestamp) -> AppResult<()> {
    renew_charged(tx, reseller, service, now).await?;
    let changed = tx
        .set_service_status(&service.id, ServiceStatus::Suspended, ServiceStatus::Active, None, now)
        .await?;
    if let Some((active, _)) = changed {
        let event = NewEvent::of(EventType::ServiceUnsuspended, &active)?;
        webhooks::record(tx, reseller, &[event], now).await?;
    }
    Ok(())
}

/// `POST /services/{id}/renew` and "Renew now": the scheduled renewal's
/// rule, now. An active service is charged (or suspended for
/// non-payment); one suspended for non-payment is renewed and unsuspended
/// if the account covers it (402 otherwise, nothing changed); any other
/// service cannot be renewed.
pub async fn renew_now(store: &Store, actor: &Actor, id: &ServiceId) -> AppResult<Service> {
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let renewed = async {
        let (service, reseller) = tx
            .lock_service(id)
            .await?
            .ok_or_else(|| AppError::not_found("service"))?;
        match (service.status, service.suspension_reason) {
            (ServiceStatus::Active, _) => {
                renew_active(&mut tx, &reseller, &service, now).await?;
            }
            (ServiceStatus::Suspended, Some(SuspensionReason::Unpaid)) => {
                renew_unpaid(&mut tx, &reseller, &service, now).await?;
            }
            _ => {
                return Err(AppError::new(
                    ErrorCode::InvalidTransition,
                    "Only active services and services suspended for non-payment can be renewed.",
                ));
            }
        }
        let audit = NewAuditEntry::new(actor, "service.renew", "service", id.as_str(), now);
        tx.insert_audit(&audit).await?;
        Ok(())
    }
    .await;
    tx.finish(renewed).await?;
    store.service_any(id).await.map_err(AppError::from)
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

/// What `record_payment` did: recorded now, or found recorded with the
/// same Idempotency-Key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub entry: Entry,
    pub replayed: bool,
}

/// A payment received from the reseller, at most once per Idempotency-Key
/// (a retry with the same key and request returns the first entry; with
/// another request it is `idempotency_key_reused`).
pub async fn record_payment(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    payment: &NewPayment,
    idempotency_key: Option<&str>,
) -> AppResult<Recorded> {
    let now = Timestamp::now();
    let hash = payment_hash(payment);
    let mut tx = store.begin().await?;
    let recorded = async {
        tx.reseller_status(reseller).await.map_err(reseller_not_found)?;
        let settings = tx.lock_account(reseller).await?;
        if let Some(key) = idempotency_key
            && let Some((entry, earlier)) = tx.payment_by_key(reseller, key).await?
        {
            if earlier != hash {
                return Err(AppError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "This Idempotency-Key was used for a different payment.",
                ));
            }
            return Ok(Recorded { entry, replayed: true });
        }
        let entry = NewEntry {
            reference: Some(&payment.reference),
            recorded_by: Some(&actor.name),
            idempotency: idempotency_key.map(|k| (k, hash.as_str())),
            ..NewEntry::new(
                EntryKind::Payment,
                payment.amount.into(),
                payment.received_at.unwrap_or(now),
            )
        };
        let entry = tx.insert_entry(reseller, &entry).await.map_err(|e| match e {
            // The same key, recorded by a request still committing.
            StoreError::Conflict(_) => AppError::new(
                ErrorCode::IdempotencyKeyInFlight,
                "A payment with this Idempotency-Key is being recorded; retry to read it.",
            )
            .retry_after(1),
            other => other.into(),
        })?;
        let balance = tx.balance(reseller).await?;
        let event = NewEvent {
            event_type: EventType::PaymentReceived,
            data: serde_json::json!({ "reseller_id": reseller, "transaction": entry, "balance": balance }),
        };
        webhooks::record(&mut tx, reseller, &[event], now).await?;
        audit_entry(&mut tx, actor, "account.payment", reseller, &entry, now).await?;
        credit_in(&mut tx, reseller, &settings, now).await?;
        Ok(Recorded { entry, replayed: false })
    }
    .await;
    tx.finish(recorded).await
}

/// The payment's fields, hashed: what a retry must repeat.
fn payment_hash(payment: &NewPayment) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::json!([
        payment.amount,
        payment.reference,
        payment.received_at.map(|t| t.unix_micros())
    ]);
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A credit or an adjustment, with its reason. A negative adjustment is
/// a charge the operator makes: it is not refused by the limit (the
/// operator decides), but it counts for the low-balance warning.
pub async fn record_correction(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    correction: &NewCorrection,
) -> AppResult<Entry> {
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let recorded = async {
        tx.reseller_status(reseller).await.map_err(reseller_not_found)?;
        let settings = tx.lock_account(reseller).await?;
        let entry = NewEntry {
            reason: Some(&correction.reason),
            recorded_by: Some(&actor.name),
            ..NewEntry::new(correction.kind, correction.amount, now)
        };
        let entry = tx.insert_entry(reseller, &entry).await?;
        let action = match correction.kind {
            EntryKind::Credit => "account.credit",
            _ => "account.adjustment",
        };
        audit_entry(&mut tx, actor, action, reseller, &entry, now).await?;
        credit_in(&mut tx, reseller, &settings, now).await?;
        Ok(entry)
    }
    .await;
    tx.finish(recorded).await
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
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let updated = async {
        tx.reseller_status(reseller).await.map_err(reseller_not_found)?;
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

pub async fn transactions(store: &Store, reseller: &ResellerId, filter: &EntryFilter) -> AppResult<Page<Entry>> {
    store.entries(reseller, filter).await.map_err(|e| match e {
        StoreError::NotFound => AppError::validation("cursor", "The cursor is not one a previous page gave."),
        other => other.into(),
    })
}

pub async fn statement(store: &Store, currency: &str, reseller: &ResellerId, month: Month) -> AppResult<Statement> {
    let (from, to) = (month.start(), month.next().start());
    let opening = store.balance_before(reseller, Some(from)).await?;
    let entries = store.entries_between(reseller, from, to).await?;
    Ok(Statement::build(month, currency, opening, entries))
}

/// The months with a statement: from the first entry's to this one,
/// newest first (just this month for a new account).
pub async fn statement_months(store: &Store, reseller: &ResellerId) -> AppResult<Vec<Month>> {
    let now = Month::of(Timestamp::now());
    let first = store.first_entry_at(reseller).await?.map(Month::of).unwrap_or(now);
    let mut months = vec![now];
    while let Some(&last) = months.last()
        && last > first
        && months.len() < 120
    {
        months.push(last.previous());
    }
    Ok(months)
}

/// The balance at the end of each of the last `days` days.
pub async fn balance_history(store: &Store, reseller: &ResellerId, days: i64) -> AppResult<Vec<BalancePoint>> {
    let today = Timestamp::now();
    let first = Timestamp::from_datetime(
        today
            .minus(time::Duration::days(days - 1))
            .datetime()
            .replace_time(time::Time::MIDNIGHT),
    );
    let before = store.balance_before(reseller, Some(first)).await?;
    let entries = store
        .entries_between(reseller, first, today.plus(time::Duration::seconds(1)))
        .await?;
    let amounts: Vec<(Timestamp, Amount)> = entries.iter().map(|e| (e.at, e.amount)).collect();
    Ok(balance_by_day(today, days, before, &amounts))
}
