//! A service's end and its changes (DESIGN.md "Life of a service":
//! cancellation, plan and term changes): the requests, when a change
//! applies, and the proration rule, all pure. The use cases, which lock
//! the service and write what these rules decide, are in `service.rs`.
//!
//! The proration rule, in one place ([`prorate`]): the current period runs
//! from one term before `next_renewal_at` (never before the service
//! started) to `next_renewal_at`; the share still to run is counted in
//! whole seconds; a price's part is `price × seconds left ÷ seconds in the
//! period`, rounded once, to 4 decimal places, half away from zero. A
//! change writes the two amounts its preview shows (one function computes
//! both), so they never differ by a cent.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::{ChangeId, ProductId},
    money::{Amount, Money},
    services::{Service, ServiceStatus},
    terms::{BillingTerm, previous_renewal},
    timestamp::Timestamp,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Longest cancellation reason kept.
pub const MAX_REASON_CHARS: usize = 500;

crate::wire_enum! {
    /// When a cancellation takes effect.
    #[derive(Default)]
    pub enum CancelWhen {
        /// At `next_renewal_at`: not renewed, terminated then.
        #[default]
        EndOfTerm,
        /// Now, with the unused part of the period credited back.
        Immediately,
    }
}

crate::wire_enum! {
    /// What an immediate cancellation gives back (`FLUX_CANCEL_REFUND`).
    pub enum CancelRefund {
        /// The unused part of the period, by the second.
        Prorated,
        /// Nothing.
        None,
    }
}

/// `POST /services/{id}/cancel`'s body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// `end_of_term` (the default) or `immediately`.
    #[serde(default)]
    pub when: CancelWhen,
    /// Why, for your records and the operator's (at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A cancellation request, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation {
    pub when: CancelWhen,
    pub reason: Option<String>,
}

impl CancelRequest {
    pub fn validate(self) -> AppResult<Cancellation> {
        let reason = self.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if let Some(r) = &reason {
            if r.chars().count() > MAX_REASON_CHARS {
                return Err(AppError::validation(
                    "reason",
                    format!("The reason may be at most {MAX_REASON_CHARS} characters."),
                ));
            }
            if r.chars().any(|c| c.is_control() && c != '\n') {
                return Err(AppError::validation(
                    "reason",
                    "The reason may not hold control characters.",
                ));
            }
        }
        Ok(Cancellation {
            when: self.when,
            reason,
        })
    }
}

/// `POST /services/{id}/change`'s (and its preview's) body: the product,
/// the term, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    /// The product to move to (default: the service's own).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "prd_01jd8x2m3n4p5q6r7s8t9v0w1x"))]
    pub product_id: Option<ProductId>,
    /// The term to move to (default: the service's own).
    #[serde(default)]
    pub term: Option<BillingTerm>,
}

/// What a service is to become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub product_id: ProductId,
    pub term: BillingTerm,
}

impl ChangeRequest {
    /// The target, the service's own product and term filling what the
    /// request leaves out; a request naming neither is refused.
    pub fn target(&self, service: &Service) -> AppResult<Target> {
        if self.product_id.is_none() && self.term.is_none() {
            return Err(AppError::validation(
                "product_id",
                "Name a product_id, a term, or both.",
            ));
        }
        Ok(Target {
            product_id: self.product_id.clone().unwrap_or_else(|| service.product_id.clone()),
            term: self.term.unwrap_or(service.term),
        })
    }
}

crate::wire_enum! {
    /// When a change applies.
    pub enum Applies {
        /// An upgrade: now, prorated over the rest of the period.
        Now,
        /// A downgrade or a new term: at the next renewal, which charges
        /// the new price.
        AtRenewal,
    }
}

crate::wire_enum! {
    pub enum LineKind {
        /// Money back to the account.
        Credit,
        /// Money the account pays.
        Charge,
    }
}

/// One line of a change's money.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanLine {
    pub kind: LineKind,
    /// Positive; `kind` says which way it goes.
    pub amount: Money,
    pub description: String,
}

/// What a change does: the preview's answer, and what the change writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePlan {
    pub applies: Applies,
    /// Now for an upgrade; the next renewal otherwise.
    pub effective_at: Timestamp,
    pub product_id: ProductId,
    pub term: BillingTerm,
    /// The price the service renews at after the change.
    pub recurring_price: Money,
    /// The credit for the unused part of the old price and the charge for
    /// the rest of the period at the new one (upgrades only).
    pub lines: Vec<PlanLine>,
    /// What the account pays now (the charge less the credit; negative
    /// when it gets money back).
    pub net: Amount,
    /// Unchanged by an upgrade.
    pub next_renewal_at: Timestamp,
    /// Whether the account covers `net` (a change it does not cover is
    /// refused with 402 `insufficient_funds`).
    pub admitted: bool,
}

/// A change waiting on its service for the next renewal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduledChange {
    pub id: ChangeId,
    pub product_id: ProductId,
    pub term: BillingTerm,
    /// Locked when the change was asked for: the renewal charges it.
    pub recurring_price: Money,
    /// The renewal it applies at.
    pub effective_at: Timestamp,
    pub requested_at: Timestamp,
}

/// The answer of `POST /services/{id}/change`: the change's id, what it
/// did (as its preview said) and the service after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Change {
    pub id: ChangeId,
    #[serde(flatten)]
    pub plan: ChangePlan,
    pub service: Service,
}

/// The answer of `POST /services/{id}/cancel`: the service after (with
/// `cancel_at`, or terminated) and what was credited back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Cancelled {
    pub service: Service,
    /// `0.00` for a cancellation at the end of the term.
    pub refund: Money,
}

/// The period a service is in, as the proration rule reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    /// One term back from the next renewal, never before the start.
    pub fn current(service: &Service) -> Self {
        let end = service.next_renewal_at;
        Period {
            start: previous_renewal(end, service.term).max(service.started_at),
            end,
        }
    }

    /// Whole seconds left at `now` (none once the period ended, all of it
    /// before it began) and in the whole period.
    fn seconds(&self, now: Timestamp) -> (i64, i64) {
        let total = (self.end.unix_seconds() - self.start.unix_seconds()).max(0);
        let left = (self.end.unix_seconds() - now.unix_seconds()).clamp(0, total);
        (left, total)
    }
}

/// The part of `price` for what is left of `period` at `now` (the rule
/// of this module's header).
pub fn prorate(price: Money, period: Period, now: Timestamp) -> Money {
    let (left, total) = period.seconds(now);
    if total == 0 || left == 0 {
        return Money::ZERO;
    }
    let part = (price.amount() * Decimal::from(left) / Decimal::from(total))
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    // Between zero and `price`, at most 4 places: always a valid amount.
    Money::new(part).unwrap_or(Money::ZERO)
}

/// Whether a service may be cancelled: not once terminated, and a
/// cancellation at the end of the term only once.
pub fn check_cancel(service: &Service, when: CancelWhen) -> AppResult<()> {
    if service.status == ServiceStatus::Terminated {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "The service is terminated already.",
        ));
    }
    if when == CancelWhen::EndOfTerm && service.cancel_at.is_some() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "The service's cancellation is scheduled already.",
        ));
    }
    Ok(())
}

/// What an immediate cancellation credits back: the unused part of the
/// period at the service's price; nothing with refunds off, nothing for an
/// hourly service (it stops at once), never the setup fee (it is not part
/// of the recurring price).
pub fn cancel_refund(service: &Service, policy: CancelRefund, now: Timestamp) -> Money {
    if policy == CancelRefund::None || service.term == BillingTerm::Hourly {
        return Money::ZERO;
    }
    prorate(service.recurring_price, Period::current(service), now)
}

/// Whether a service may change to `target`: only an active one with no
/// cancellation or change waiting, and only to something else.
pub fn check_change(service: &Service, target: &Target) -> AppResult<()> {
    if service.status != ServiceStatus::Active {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "Only an active service can change; this one is {}.",
                service.status.as_str()
            ),
        ));
    }
    if service.cancel_at.is_some() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "The service's cancellation is scheduled; withdraw it before changing the service.",
        ));
    }
    if service.scheduled_change.is_some() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "A change is scheduled for this service already; withdraw it first.",
        ));
    }
    if target.product_id == service.product_id && target.term == service.term {
        return Err(AppError::validation(
            "product_id",
            "The service has this product and term already: nothing would change.",
        ));
    }
    Ok(())
}

/// What changing `service` to `target` at `price` does at `now`. An
/// upgrade (same term, a higher price) applies now: the unused part of the
/// old price credited, the rest of the period charged at the new one,
/// renewal date kept. Anything else (a downgrade, a new term) waits for
/// the next renewal and moves no money now. `admitted` is left true: the
/// account's answer is the use case's.
pub fn plan_change(service: &Service, target: &Target, price: Money, now: Timestamp) -> ChangePlan {
    let upgrade = target.term == service.term && price > service.recurring_price;
    let until = service.next_renewal_at.date();
    let (applies, effective_at, lines) = if upgrade {
        let period = Period::current(service);
        let lines = vec![
            PlanLine {
                kind: LineKind::Credit,
                amount: prorate(service.recurring_price, period, now),
                description: format!(
                    "Unused part of {} ({}, {}) to {until}",
                    service.id, service.product_id, service.term
                ),
            },
            PlanLine {
                kind: LineKind::Charge,
                amount: prorate(price, period, now),
                description: format!("{} ({}, {}) to {until}", service.id, target.product_id, target.term),
            },
        ];
        (Applies::Now, now, lines)
    } else {
        (Applies::AtRenewal, service.next_renewal_at, Vec::new())
    };
    let net = lines.iter().fold(Amount::ZERO, |sum, l| match l.kind {
        LineKind::Charge => sum + Amount::from(l.amount),
        LineKind::Credit => sum - Amount::from(l.amount),
    });
    ChangePlan {
        applies,
        effective_at,
        product_id: target.product_id.clone(),
        term: target.term,
        recurring_price: price,
        lines,
        net,
        next_renewal_at: service.next_renewal_at,
        admitted: true,
    }
}

impl ChangePlan {
    /// The amount of the line of `kind` (zero when there is none).
    pub fn line(&self, kind: LineKind) -> Money {
        self.lines
            .iter()
            .find(|l| l.kind == kind)
            .map(|l| l.amount)
            .unwrap_or(Money::ZERO)
    }

    /// The plan as a change that waits on the service.
    pub fn scheduled(&self, id: ChangeId, now: Timestamp) -> ScheduledChange {
        ScheduledChange {
            id,
            product_id: self.product_id.clone(),
            term: self.term,
            recurring_price: self.recurring_price,
            effective_at: self.effective_at,
            requested_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CustomerId, OrderId, ServiceId};

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse_rfc3339(raw).unwrap()
    }

    fn money(raw: &str) -> Money {
        Money::parse(raw).unwrap()
    }

    fn monthly(price: &str) -> Service {
        Service {
            id: ServiceId::generate(),
            order_id: OrderId::generate(),
            customer_id: CustomerId::generate(),
            product_id: ProductId::generate(),
            term: BillingTerm::Monthly,
            status: ServiceStatus::Active,
            recurring_price: money(price),
            price_locked_at: at("2026-04-01T00:00:00Z"),
            started_at: at("2026-04-01T00:00:00Z"),
            next_renewal_at: at("2026-05-01T00:00:00Z"),
            suspension_reason: None,
            provisioning: None,
            details: Default::default(),
            cancel_at: None,
            cancel_reason: None,
            scheduled_change: None,
        }
    }

    #[test]
    fn prorates_by_the_second_rounded_once() {
        let s = monthly("10.00");
        let period = Period::current(&s);
        // April has 30 days: half of it is left at noon on the 16th.
        assert_eq!(
            prorate(s.recurring_price, period, at("2026-04-16T00:00:00Z")),
            money("5.00")
        );
        // A third left: 3.3333... rounds to 4 places.
        assert_eq!(
            prorate(s.recurring_price, period, at("2026-04-21T00:00:00Z")),
            money("3.3333")
        );
        assert_eq!(
            prorate(money("0.0005"), period, at("2026-04-16T00:00:00Z")),
            money("0.0003")
        );
        assert_eq!(
            prorate(s.recurring_price, period, at("2026-05-02T00:00:00Z")),
            Money::ZERO
        );
        assert_eq!(
            prorate(s.recurring_price, period, at("2026-03-01T00:00:00Z")),
            money("10.00")
        );
    }

    #[test]
    fn upgrades_apply_now_and_the_rest_waits() {
        let s = monthly("10.00");
        let now = at("2026-04-16T00:00:00Z");
        let up = Target {
            product_id: ProductId::generate(),
            term: BillingTerm::Monthly,
        };
        let plan = plan_change(&s, &up, money("30.00"), now);
        assert_eq!(plan.applies, Applies::Now);
        assert_eq!(plan.line(LineKind::Credit), money("5.00"));
        assert_eq!(plan.line(LineKind::Charge), money("15.00"));
        assert_eq!(plan.net, Amount::parse("10.00").unwrap());
        assert_eq!(plan.next_renewal_at, s.next_renewal_at);
        let down = plan_change(&s, &up, money("5.00"), now);
        assert_eq!(
            (down.applies, down.lines.len(), down.net),
            (Applies::AtRenewal, 0, Amount::ZERO)
        );
        assert_eq!(down.effective_at, s.next_renewal_at);
        let term = Target {
            product_id: s.product_id.clone(),
            term: BillingTerm::Annual,
        };
        assert_eq!(plan_change(&s, &term, money("100.00"), now).applies, Applies::AtRenewal);
    }

    #[test]
    fn refusals() {
        let mut s = monthly("10.00");
        let same = Target {
            product_id: s.product_id.clone(),
            term: s.term,
        };
        assert_eq!(check_change(&s, &same).unwrap_err().code, ErrorCode::ValidationFailed);
        let other = Target {
            product_id: ProductId::generate(),
            term: s.term,
        };
        assert!(check_change(&s, &other).is_ok());
        s.cancel_at = Some(s.next_renewal_at);
        assert_eq!(check_change(&s, &other).unwrap_err().code, ErrorCode::InvalidTransition);
        assert_eq!(
            check_cancel(&s, CancelWhen::EndOfTerm).unwrap_err().code,
            ErrorCode::InvalidTransition
        );
        assert!(check_cancel(&s, CancelWhen::Immediately).is_ok());
        s.status = ServiceStatus::Terminated;
        assert!(check_cancel(&s, CancelWhen::Immediately).is_err());
        let long = CancelRequest {
            when: CancelWhen::EndOfTerm,
            reason: Some("x".repeat(501)),
        };
        assert!(long.validate().is_err());
        assert!(ChangeRequest::default().target(&s).is_err());
    }

    #[test]
    fn refunds_follow_the_policy() {
        let mut s = monthly("10.00");
        let now = at("2026-04-16T00:00:00Z");
        assert_eq!(cancel_refund(&s, CancelRefund::Prorated, now), money("5.00"));
        assert_eq!(cancel_refund(&s, CancelRefund::None, now), Money::ZERO);
        s.term = BillingTerm::Hourly;
        assert_eq!(cancel_refund(&s, CancelRefund::Prorated, now), Money::ZERO);
    }
}
