//! Outbound webhooks (DESIGN.md "Outbound webhooks"): events written with
//! the change that caused them, one delivery per event to the reseller's
//! endpoint, each attempt recorded, retried on a schedule.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    ids::{DeliveryId, EventId, ResellerId},
    resellers::ResellerStatus,
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a reseller's state means for its deliveries: the one rule for new
/// events and for attempts alike (DESIGN.md "Outbound webhooks"). Only an
/// active reseller with an endpoint is sent to; a suspended one's
/// deliveries wait (held, released on reactivation), as do those of a
/// reseller whose URL was cleared; a terminated reseller's are cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Send,
    Hold(&'static str),
    Cancel(&'static str),
}

pub fn gate(reseller: ResellerStatus, has_url: bool) -> Gate {
    match (reseller, has_url) {
        (ResellerStatus::Active, true) => Gate::Send,
        (ResellerStatus::Terminated, _) => Gate::Cancel("reseller terminated"),
        (ResellerStatus::Active, false) => Gate::Hold("no webhook URL set"),
        (ResellerStatus::Suspended, _) => Gate::Hold("reseller suspended: held until reactivation"),
        (ResellerStatus::Pending, _) => Gate::Hold("reseller not approved yet"),
    }
}

impl Gate {
    /// The status a pending delivery is parked in, or `None` to send it.
    pub fn parked_as(self) -> Option<(DeliveryStatus, &'static str)> {
        match self {
            Gate::Send => None,
            Gate::Hold(why) => Some((DeliveryStatus::Held, why)),
            Gate::Cancel(why) => Some((DeliveryStatus::Cancelled, why)),
        }
    }
}

/// The status a new event's delivery starts in, or `None` for no delivery:
/// without a URL the event is recorded and nothing is queued, and a
/// terminated reseller's events are never delivered.
pub fn new_delivery(reseller: ResellerStatus, has_url: bool) -> Option<DeliveryStatus> {
    if !has_url {
        return None;
    }
    match gate(reseller, has_url) {
        Gate::Send => Some(DeliveryStatus::Pending),
        Gate::Hold(_) => Some(DeliveryStatus::Held),
        Gate::Cancel(_) => None,
    }
}

/// Whether "Retry now" may queue a delivery in `status` of a reseller in
/// `reseller`: an active reseller's waiting, failed or succeeded one (a
/// receiver that lost it); never a held or cancelled one.
pub fn may_retry_now(status: DeliveryStatus, reseller: ResellerStatus) -> bool {
    reseller.must_be_active("retry deliveries").is_ok()
        && matches!(
            status,
            DeliveryStatus::Pending | DeliveryStatus::Failed | DeliveryStatus::Succeeded
        )
}

/// The apalis queue deliveries run on.
pub const QUEUE: &str = "webhook-deliveries";

crate::wire_enum! {
    /// What happened.
    pub enum EventType {
        #[serde(rename = "order.created")]
        #[strum(serialize = "order.created")]
        OrderCreated,
        #[serde(rename = "service.created")]
        #[strum(serialize = "service.created")]
        ServiceCreated,
        #[serde(rename = "service.activated")]
        #[strum(serialize = "service.activated")]
        ServiceActivated,
        #[serde(rename = "service.suspended")]
        #[strum(serialize = "service.suspended")]
        ServiceSuspended,
        #[serde(rename = "service.unsuspended")]
        #[strum(serialize = "service.unsuspended")]
        ServiceUnsuspended,
        #[serde(rename = "service.terminated")]
        #[strum(serialize = "service.terminated")]
        ServiceTerminated,
        #[serde(rename = "service.renewed")]
        #[strum(serialize = "service.renewed")]
        ServiceRenewed,
        /// A product or term change applied (now, or at the renewal it
        /// waited for): old and new product, term and price.
        #[serde(rename = "service.changed")]
        #[strum(serialize = "service.changed")]
        ServiceChanged,
        /// A change that waits for the next renewal.
        #[serde(rename = "service.change_scheduled")]
        #[strum(serialize = "service.change_scheduled")]
        ServiceChangeScheduled,
        #[serde(rename = "service.cancellation_scheduled")]
        #[strum(serialize = "service.cancellation_scheduled")]
        ServiceCancellationScheduled,
        #[serde(rename = "service.cancellation_withdrawn")]
        #[strum(serialize = "service.cancellation_withdrawn")]
        ServiceCancellationWithdrawn,
        /// A service's renewal moved it to a new price-book price
        /// (`at_renewal`): old and new price.
        #[serde(rename = "service.price_changed")]
        #[strum(serialize = "service.price_changed")]
        ServicePriceChanged,
        /// A price-book version was scheduled, changed, withdrawn or took
        /// effect.
        #[serde(rename = "price_book.changed")]
        #[strum(serialize = "price_book.changed")]
        PriceBookChanged,
        #[serde(rename = "reseller.status_changed")]
        #[strum(serialize = "reseller.status_changed")]
        ResellerStatusChanged,
        #[serde(rename = "payment.received")]
        #[strum(serialize = "payment.received")]
        PaymentReceived,
        #[serde(rename = "balance.low")]
        #[strum(serialize = "balance.low")]
        BalanceLow,
        /// Sent on request from API Settings, to check an endpoint.
        #[serde(rename = "webhook.test")]
        #[strum(serialize = "webhook.test")]
        WebhookTest,
    }
}

impl EventType {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }
}

impl TryFrom<String> for EventType {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown event type `{raw}`"))
    }
}

crate::wire_enum! {
    pub enum DeliveryStatus {
        /// Queued, or waiting for its next attempt.
        Pending,
        /// The reseller is suspended: sent after reactivation.
        Held,
        Succeeded,
        /// The retry schedule ran out.
        Failed,
        /// The reseller was terminated.
        Cancelled,
    }
}

impl DeliveryStatus {
    /// The statuses a delivery ends in: nothing more is sent, and the
    /// retention sweep may purge it.
    pub const FINAL: &'static [Self] = &[Self::Succeeded, Self::Failed, Self::Cancelled];

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    pub fn is_final(self) -> bool {
        Self::FINAL.contains(&self)
    }
}

impl TryFrom<String> for DeliveryStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown delivery status `{raw}`"))
    }
}

/// An event about to be recorded: its type and `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    pub data: serde_json::Value,
}

impl NewEvent {
    /// An event whose `data` is `value` in its wire shape.
    pub fn of(event_type: EventType, value: &impl Serialize) -> crate::error::AppResult<Self> {
        Ok(NewEvent {
            event_type,
            data: serde_json::to_value(value).map_err(crate::error::AppError::internal)?,
        })
    }
}

/// The JSON body a receiver gets (and the event as stored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the change was committed.
    pub timestamp: Timestamp,
    pub data: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub reseller_id: ResellerId,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub event_type: EventType,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// A recorded attempt: its number and what happened (one JSON object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Attempt {
    pub attempt_no: i64,
    #[serde(flatten)]
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub outcome: AttemptRecord,
}

/// A delivery with its attempts and the event it carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
    pub payload: EventPayload,
}

/// Which deliveries to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub reseller_id: Option<ResellerId>,
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<EventType>,
    pub page: crate::lists::PageRequest<DeliveryId>,
}

impl DeliveryFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        reseller_id: Option<&str>,
        status: Option<&str>,
        event_type: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> crate::error::AppResult<Self> {
        use crate::lists::{PageRequest, optional};
        Ok(DeliveryFilter {
            reseller_id: optional("reseller_id", reseller_id, |r| r.parse().ok())?,
            status: optional("status", status, DeliveryStatus::parse)?,
            event_type: optional("event_type", event_type, EventType::parse)?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

/// A job on the apalis queue: one attempt of a webhook delivery, or of a
/// provisioning action. Untagged, so the jobs queued before provisioning
/// existed (`{"delivery_id": ...}`) still read as deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Job {
    Delivery { delivery_id: DeliveryId },
    Provisioning { action_id: crate::ids::ActionId },
}

/// The largest response body kept per attempt.
pub const RESPONSE_BODY_LIMIT: usize = 1024;

/// The delay before attempt `attempts + 1`, after `attempts` failed ones:
/// the schedule's entry with up to ±`jitter` (0..1) of it added, stretched
/// to a server's `Retry-After` when that asks for longer (at most a day).
/// `None`: the schedule ran out, the delivery has failed.
pub fn retry_delay(
    schedule: &[Duration],
    attempts: usize,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let base = *schedule.get(attempts.checked_sub(1)?)?;
    let spread = base.as_secs_f64() * jitter.clamp(-1.0, 1.0) * 0.1;
    let jittered = Duration::from_secs_f64((base.as_secs_f64() + spread).max(0.0));
    let asked = retry_after
        .map(|d| d.min(Duration::from_secs(86_400)))
        .unwrap_or_default();
    Some(jittered.max(asked))
}

/// How an attempt's HTTP exchange ended, before it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The response's status; `None` when there was no response.
    pub status_code: Option<u16>,
    /// Why it failed, in words (never the URL's query).
    pub error: Option<String>,
    /// The start of the response body.
    pub body: Option<String>,
    /// A 429's or 503's `Retry-After`.
    pub retry_after: Option<Duration>,
    pub duration: Duration,
}

impl AttemptOutcome {
    /// The receiver accepted the event: any 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }

    /// Where the delivery goes after this, its `attempts`-th attempt, made
    /// `at`: done, retried per the schedule (`jitter` in -1..1), or failed
    /// once the schedule ran out.
    pub fn after(&self, schedule: &[Duration], attempts: usize, jitter: f64, at: Timestamp) -> AfterAttempt {
        if self.succeeded() {
            return AfterAttempt::Succeeded;
        }
        match retry_delay(schedule, attempts, jitter, self.retry_after) {
            Some(delay) => {
                AfterAttempt::RetryAt(at.plus(time::Duration::try_from(delay).unwrap_or(time::Duration::ZERO)))
            }
            None => AfterAttempt::Failed,
        }
    }

    /// The attempt as it is recorded.
    pub fn record(self, at: Timestamp, url: String) -> AttemptRecord {
        AttemptRecord {
            at,
            url,
            status_code: self.status_code.map(i64::from),
            duration_ms: i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX),
            error: self.error,
            response_body: self.body,
        }
    }
}

/// The outcome of one attempt, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub url: String,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The first KiB of the response body.
    pub response_body: Option<String>,
}

/// Where the delivery goes after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Succeeded,
    RetryAt(Timestamp),
    Failed,
}

impl AfterAttempt {
    /// The delivery's status, next attempt and completion time after an
    /// attempt made `at`.
    pub fn delivery_moves(self, at: Timestamp) -> (DeliveryStatus, Option<Timestamp>, Option<Timestamp>) {
        match self {
            AfterAttempt::Succeeded => (DeliveryStatus::Succeeded, None, Some(at)),
            AfterAttempt::RetryAt(next) => (DeliveryStatus::Pending, Some(next), None),
            AfterAttempt::Failed => (DeliveryStatus::Failed, None, Some(at)),
        }
    }
}

impl AfterAttempt {
    /// The name metrics count it by.
    pub fn label(self) -> &'static str {
        match self {
            AfterAttempt::Succeeded => "succeeded",
            AfterAttempt::RetryAt(_) => "retrying",
            AfterAttempt::Failed => "failed",
        }
    }
}

/// An attempt the worker finished, to be recorded.
#[derive(Clone, Debug)]
pub struct FinishedAttempt {
    pub delivery: DeliveryId,
    pub record: AttemptRecord,
    pub after: AfterAttempt,
}

/// Truncates a response body to its first KiB (on a char boundary).
pub fn truncate_body(body: &str) -> String {
    let mut end = body.len().min(RESPONSE_BODY_LIMIT);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Vec<Duration> {
        [5, 300, 1800, 7200, 18000, 36000, 36000]
            .map(Duration::from_secs)
            .to_vec()
    }

    #[test]
    fn the_schedule_in_order_then_none() {
        let s = schedule();
        assert_eq!(retry_delay(&s, 1, 0.0, None), Some(Duration::from_secs(5)));
        assert_eq!(retry_delay(&s, 2, 0.0, None), Some(Duration::from_secs(300)));
        assert_eq!(retry_delay(&s, 7, 0.0, None), Some(Duration::from_secs(36000)));
        assert_eq!(retry_delay(&s, 8, 0.0, None), None, "seven retries, then failed");
        assert_eq!(retry_delay(&s, 0, 0.0, None), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let s = schedule();
        assert_eq!(retry_delay(&s, 2, 1.0, None), Some(Duration::from_secs(330)));
        assert_eq!(retry_delay(&s, 2, -1.0, None), Some(Duration::from_secs(270)));
        assert_eq!(retry_delay(&s, 2, 5.0, None), Some(Duration::from_secs(330)), "clamped");
    }

    #[test]
    fn retry_after_can_only_stretch() {
        let s = schedule();
        assert_eq!(
            retry_delay(&s, 1, 0.0, Some(Duration::from_secs(60))),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_delay(&s, 2, 0.0, Some(Duration::from_secs(60))),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            retry_delay(&s, 1, 0.0, Some(Duration::from_secs(10 * 86_400))),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn only_an_active_reseller_with_a_url_is_sent_to() {
        use ResellerStatus::*;
        assert_eq!(gate(Active, true), Gate::Send);
        assert_eq!(gate(Active, false).parked_as().map(|p| p.0), Some(DeliveryStatus::Held));
        assert_eq!(
            gate(Suspended, true).parked_as().map(|p| p.0),
            Some(DeliveryStatus::Held)
        );
        assert_eq!(
            gate(Terminated, true).parked_as().map(|p| p.0),
            Some(DeliveryStatus::Cancelled)
        );
        assert_eq!(gate(Pending, true).parked_as().map(|p| p.0), Some(DeliveryStatus::Held));
        // New events: the same rule, and no delivery without a URL.
        assert_eq!(new_delivery(Active, true), Some(DeliveryStatus::Pending));
        assert_eq!(new_delivery(Suspended, true), Some(DeliveryStatus::Held));
        assert_eq!(new_delivery(Active, false), None);
        assert_eq!(new_delivery(Terminated, true), None);
        assert!(may_retry_now(DeliveryStatus::Succeeded, Active));
        assert!(!may_retry_now(DeliveryStatus::Held, Active));
        assert!(!may_retry_now(DeliveryStatus::Failed, Suspended));
    }

    #[test]
    fn event_types_round_trip() {
        for &t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }

    #[test]
    fn bodies_are_cut_at_a_kib() {
        let long = "é".repeat(1000);
        let cut = truncate_body(&long);
        assert!(cut.len() <= RESPONSE_BODY_LIMIT);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
