//! The reseller account (DESIGN.md "Reseller account: balance, credit
//! limit, statements"): who pays for what the price book priced.
//!
//! Each reseller's account is a ledger of immutable entries; the balance is
//! always their sum. This module holds the rules (admission against a
//! credit limit, low-balance crossings, statements, what an operator may
//! record); `service` runs them in transactions.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
mod statement;

#[cfg(feature = "ssr")]
pub use statement::StatementCsv;
pub use statement::{Month, Statement, StatementLine};

use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::{OrderId, ServiceId, TransactionId},
    lists::{PageRequest, blank_to_none, optional},
    money::{Amount, Money},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    /// What an entry records: charges (`order`, `renewal`) are negative,
    /// `payment` and `credit` positive, an `adjustment` or `proration` either.
    pub enum EntryKind {
        Order,
        Renewal,
        Payment,
        Credit,
        Adjustment,
        /// Part of a period: the unused part credited (a change, a
        /// cancellation) or the rest charged at a new price.
        Proration,
    }
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Order => "Order",
            Self::Renewal => "Renewal",
            Self::Payment => "Payment",
            Self::Credit => "Credit",
            Self::Adjustment => "Adjustment",
            Self::Proration => "Proration",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }
}

impl TryFrom<String> for EntryKind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown entry kind `{raw}`"))
    }
}

/// One ledger entry (a transaction) on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct Entry {
    pub id: TransactionId,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: EntryKind,
    /// Signed: charges are negative.
    pub amount: Amount,
    /// When the money moved (a payment's `received_at`).
    pub at: Timestamp,
    pub order_id: Option<OrderId>,
    pub service_id: Option<ServiceId>,
    /// A payment's reference (bank transfer id, invoice number).
    pub reference: Option<String>,
    /// Why a credit or adjustment was made.
    pub reason: Option<String>,
    /// Who recorded a payment, credit or adjustment (an operator's email or
    /// an admin token's name).
    pub recorded_by: Option<String>,
}

/// Who reads an account. Operators see who recorded a payment, credit or
/// adjustment (an operator's email, a token's name); a reseller sees that
/// the operator did, never who at the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Operator,
    Reseller,
}

/// `recorded_by` as a reseller reads it.
pub const RECORDED_BY_OPERATOR: &str = "operator";

impl Entry {
    /// The entry as `audience` may read it.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        if audience == Audience::Reseller && self.recorded_by.is_some() {
            self.recorded_by = Some(RECORDED_BY_OPERATOR.to_owned());
        }
        self
    }

    /// One line for tables and statements.
    pub fn description(&self) -> String {
        let or_blank = |v: &Option<String>| v.clone().unwrap_or_default();
        match self.kind {
            EntryKind::Order => format!("Order {}", self.order_id.as_ref().map(|o| o.as_str()).unwrap_or("")),
            EntryKind::Renewal => format!(
                "Renewal of {}",
                self.service_id.as_ref().map(|s| s.as_str()).unwrap_or("")
            ),
            EntryKind::Payment => match &self.reference {
                Some(reference) => format!("Payment, ref. {reference}"),
                None => "Payment".to_owned(),
            },
            EntryKind::Credit => format!("Credit: {}", or_blank(&self.reason)),
            EntryKind::Adjustment => format!("Adjustment: {}", or_blank(&self.reason)),
            EntryKind::Proration => or_blank(&self.reason),
        }
    }
}

/// An account's settings. A reseller without a row has the default: no
/// limit, no threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccountSettings {
    /// `None`: billed in arrears; `0.00`: prepaid; more: a credit line.
    pub credit_limit: Option<Money>,
    pub low_balance_threshold: Option<Amount>,
    /// `balance.low` was sent for the current crossing.
    pub low_balance_notified: bool,
}

impl AccountSettings {
    /// `balance + credit_limit`, or `None` without a limit.
    pub fn available(&self, balance: Amount) -> Option<Amount> {
        self.credit_limit.map(|limit| balance + Amount::from(limit))
    }

    /// Whether a charge of `amount` may be made on `balance`: always
    /// without a limit; with one, only within `available`.
    pub fn admit(&self, balance: Amount, charge: Money) -> AppResult<()> {
        match self.available(balance) {
            Some(available) if Amount::from(charge) > available => Err(AppError::new(
                ErrorCode::InsufficientFunds,
                format!(
                    "This costs {charge} and the account has {} available (balance {balance}, credit limit {}). \
                     Ask your operator to record a payment or raise the credit limit.",
                    available.max(Amount::ZERO),
                    self.credit_limit.unwrap_or_default()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// What `low_balance_threshold` is compared with: `available`, or the
    /// balance without a limit.
    pub fn level(&self, balance: Amount) -> Amount {
        self.available(balance).unwrap_or(balance)
    }

    /// What a new balance means for the low-balance warning: one
    /// `balance.low` per crossing below the threshold, re-armed once the
    /// level is back at or above it.
    pub fn low_balance(&self, balance_after: Amount) -> LowBalance {
        let Some(threshold) = self.low_balance_threshold else {
            return LowBalance::Unchanged;
        };
        let below = self.level(balance_after) < threshold;
        match (below, self.low_balance_notified) {
            (true, false) => LowBalance::Notify,
            (false, true) => LowBalance::Rearm,
            _ => LowBalance::Unchanged,
        }
    }
}

/// See [`AccountSettings::low_balance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowBalance {
    Notify,
    Rearm,
    Unchanged,
}

/// A credit limit in words: "No limit" (billed in arrears), "Prepaid"
/// (0.00), or the amount of the credit line.
pub fn credit_limit_label(limit: Option<Money>, currency: &str) -> String {
    match limit {
        None => "No limit".to_owned(),
        Some(l) if l.is_zero() => "Prepaid".to_owned(),
        Some(l) => crate::money::shown(l, currency),
    }
}

/// `GET /balance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Balance {
    /// Payments and credits received minus charges made.
    pub balance: Amount,
    /// `null`: no limit (billed in arrears); `"0.00"`: prepaid.
    pub credit_limit: Option<Money>,
    /// `balance + credit_limit`; `null` without a limit.
    pub available: Option<Amount>,
    pub low_balance_threshold: Option<Amount>,
    /// ISO 4217 code of the installation's currency.
    pub currency: String,
}

impl Balance {
    pub fn of(settings: &AccountSettings, balance: Amount, currency: &str) -> Self {
        Balance {
            balance,
            credit_limit: settings.credit_limit,
            available: settings.available(balance),
            low_balance_threshold: settings.low_balance_threshold,
            currency: currency.to_owned(),
        }
    }
}

/// Which entries a list shows, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub kind: Option<EntryKind>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub page: PageRequest<TransactionId>,
}

impl EntryFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        kind: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        Ok(EntryFilter {
            kind: optional("kind", kind, EntryKind::parse)?,
            since: optional("since", since, Timestamp::parse_rfc3339)?,
            until: optional("until", until, Timestamp::parse_rfc3339)?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

/// The longest reference or reason kept.
pub const MAX_TEXT: usize = 200;

/// What an operator records: amounts checked before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: Money,
    pub reference: String,
    pub received_at: Option<Timestamp>,
}

/// A credit (`sign` +) or an adjustment (either sign), with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCorrection {
    pub kind: EntryKind,
    pub amount: Amount,
    pub reason: String,
}

/// A positive amount of money, as typed: `"125.00"`; refuses zero,
/// negatives, exponents and more than four decimals.
pub fn parse_positive(field: &str, raw: &str) -> AppResult<Money> {
    let amount = crate::money::parse_money(field, raw)?;
    if amount.is_zero() {
        return Err(AppError::validation(
            field,
            format!("{} must be more than zero.", crate::error::field_label(field)),
        ));
    }
    Ok(amount)
}

/// A signed, non-zero amount (adjustments): `"-12.50"`.
pub fn parse_signed(field: &str, raw: &str) -> AppResult<Amount> {
    let amount = crate::money::parse_amount(field, raw)?;
    if amount.is_zero() {
        return Err(AppError::validation(
            field,
            format!("{} cannot be zero.", crate::error::field_label(field)),
        ));
    }
    Ok(amount)
}

/// Required text (a reason, a reference): 1 to 200 characters.
pub fn parse_required_text(field: &str, raw: Option<&str>) -> AppResult<String> {
    let text = blank_to_none(raw).ok_or_else(|| AppError::validation(field, format!("A {field} is required.")))?;
    if text.chars().count() > MAX_TEXT {
        return Err(AppError::validation(
            field,
            format!("The {field} is longer than {MAX_TEXT} characters."),
        ));
    }
    Ok(text.to_owned())
}

impl NewPayment {
    /// `received_at` is an RFC 3339 time or a date (`2026-11-26`: the
    /// start of that day, UTC, so "today" is never in the future). Where it
    /// may fall is [`PaymentWindow`]'s rule, checked against the account.
    pub fn parse(amount: &str, reference: Option<&str>, received_at: Option<&str>) -> AppResult<Self> {
        Ok(NewPayment {
            amount: parse_positive("amount", amount)?,
            reference: parse_required_text("reference", reference)?,
            received_at: optional("received_at", received_at, Timestamp::parse_date_or_rfc3339)?,
        })
    }
}

/// When a payment may be dated: not in the future (beyond a few minutes of
/// clock skew), not in a month whose statement is final (DESIGN.md
/// "Reseller account": a month ends, then `grace_days` pass), and not
/// before the account's first day. A statement once final never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentWindow {
    /// The earliest time a payment may be dated.
    pub opens: Timestamp,
    pub now: Timestamp,
}

/// Clock skew tolerated on a `received_at` with a time of day.
const RECEIVED_SKEW: time::Duration = time::Duration::minutes(5);

impl PaymentWindow {
    /// For an account opened at `account_start`, now, with statements final
    /// `grace_days` after their month.
    pub fn new(account_start: Timestamp, now: Timestamp, grace_days: u32) -> Self {
        let first_day = Timestamp::from_datetime(account_start.datetime().replace_time(time::Time::MIDNIGHT));
        let open_month = Month::first_open(now, grace_days).start();
        PaymentWindow {
            opens: first_day.max(open_month),
            now,
        }
    }

    pub fn check(&self, received_at: Timestamp) -> AppResult<()> {
        if received_at > self.now.plus(RECEIVED_SKEW) {
            return Err(AppError::validation(
                "received_at",
                "A payment cannot be received in the future.",
            ));
        }
        if received_at < self.opens {
            return Err(AppError::validation(
                "received_at",
                format!(
                    "A payment can be dated from {} on: statements of earlier months are final, \
                     and the account did not exist before.",
                    self.opens.date()
                ),
            ));
        }
        Ok(())
    }
}

impl NewCorrection {
    pub fn credit(amount: &str, reason: Option<&str>) -> AppResult<Self> {
        Ok(NewCorrection {
            kind: EntryKind::Credit,
            amount: parse_positive("amount", amount)?.into(),
            reason: parse_required_text("reason", reason)?,
        })
    }

    pub fn adjustment(amount: &str, reason: Option<&str>) -> AppResult<Self> {
        Ok(NewCorrection {
            kind: EntryKind::Adjustment,
            amount: parse_signed("amount", amount)?,
            reason: parse_required_text("reason", reason)?,
        })
    }
}

/// A change of the account's settings; `None` leaves a setting as it is,
/// `Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPatch {
    pub credit_limit: Option<Option<Money>>,
    pub low_balance_threshold: Option<Option<Amount>>,
}

impl AccountPatch {
    /// From form fields: blank clears, anything else must be an amount
    /// (the credit limit not negative).
    pub fn parse_form(credit_limit: &str, threshold: &str) -> AppResult<Self> {
        let credit_limit = crate::money::parse_optional_money("credit_limit", Some(credit_limit))?;
        let threshold = blank_to_none(Some(threshold))
            .map(|raw| crate::money::parse_amount("low_balance_threshold", raw))
            .transpose()?;
        Ok(AccountPatch {
            credit_limit: Some(credit_limit),
            low_balance_threshold: Some(threshold),
        })
    }

    /// Every value within what an amount may be (the threshold has no
    /// other bound; a credit limit is `Money`, bounded when parsed).
    pub fn validate(&self) -> AppResult<()> {
        if let Some(Some(threshold)) = self.low_balance_threshold {
            crate::money::bounded("low_balance_threshold", threshold)?;
        }
        Ok(())
    }

    pub fn apply(&self, mut settings: AccountSettings) -> AccountSettings {
        if let Some(limit) = self.credit_limit {
            settings.credit_limit = limit;
        }
        if let Some(threshold) = self.low_balance_threshold {
            settings.low_balance_threshold = threshold;
        }
        settings
    }
}

/// A day's or an hour's figures, for the charts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancePoint {
    /// The day (`2026-11-26`).
    pub day: String,
    /// The balance at the end of that day.
    pub balance: Amount,
}

/// The balance at the end of each of the `days` days up to `today`, from
/// the balance before the first day and the sum of each day's entries
/// (`(day number since 1970, sum)`, days without entries missing), oldest
/// first.
pub fn balance_by_day(today: Timestamp, days: i64, before: Amount, day_sums: &[(i64, Amount)]) -> Vec<BalancePoint> {
    let last = today.unix_seconds().div_euclid(86_400);
    let mut running = before;
    (last - days + 1..=last)
        .map(|day| {
            if let Some((_, sum)) = day_sums.iter().find(|(d, _)| *d == day) {
                running = running + *sum;
            }
            BalancePoint {
                day: Timestamp::from_unix_micros(day * 86_400_000_000)
                    .map(|t| t.date())
                    .unwrap_or_default(),
                balance: running,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(raw: &str) -> Amount {
        Amount::parse(raw).unwrap()
    }

    fn money(raw: &str) -> Money {
        Money::parse(raw).unwrap()
    }

    #[test]
    fn admission_against_the_limit() {
        let none = AccountSettings::default();
        assert!(none.admit(amount("-1000"), money("5")).is_ok(), "no limit: always");
        let prepaid = AccountSettings {
            credit_limit: Some(Money::ZERO),
            ..Default::default()
        };
        assert!(prepaid.admit(amount("10"), money("10")).is_ok());
        let refused = prepaid.admit(amount("10"), money("10.0001")).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InsufficientFunds);
        let line = AccountSettings {
            credit_limit: Some(money("100")),
            ..Default::default()
        };
        assert_eq!(line.available(amount("-40")), Some(amount("60")));
        assert!(line.admit(amount("-40"), money("60")).is_ok());
        assert!(line.admit(amount("-40"), money("60.01")).is_err());
    }

    #[test]
    fn low_balance_once_per_crossing() {
        let mut s = AccountSettings {
            low_balance_threshold: Some(amount("50")),
            ..Default::default()
        };
        assert_eq!(s.low_balance(amount("60")), LowBalance::Unchanged);
        assert_eq!(s.low_balance(amount("49.99")), LowBalance::Notify);
        s.low_balance_notified = true;
        assert_eq!(s.low_balance(amount("10")), LowBalance::Unchanged, "already sent");
        assert_eq!(s.low_balance(amount("50")), LowBalance::Rearm);
        s.credit_limit = Some(money("100"));
        s.low_balance_notified = false;
        assert_eq!(s.low_balance(amount("-60")), LowBalance::Notify, "available 40 < 50");
        assert_eq!(
            AccountSettings::default().low_balance(amount("-1")),
            LowBalance::Unchanged
        );
    }

    #[test]
    fn operator_amounts() {
        assert!(NewPayment::parse("125.00", Some("INV-1"), None).is_ok());
        for bad in ["-1", "0", "0.00", "1.23456", "1e3", "abc", "", "NaN", "1,5"] {
            let e = NewPayment::parse(bad, Some("INV-1"), None).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("amount"), "{bad}");
        }
        assert_eq!(
            NewPayment::parse("1", Some("  "), None).unwrap_err().field.as_deref(),
            Some("reference")
        );
        assert_eq!(
            NewPayment::parse("1", Some("r"), Some("2026-11-26"))
                .unwrap()
                .received_at,
            Timestamp::parse_rfc3339("2026-11-26T00:00:00Z"),
            "a date is the start of its day"
        );
        assert!(NewPayment::parse("1", Some("r"), Some("yesterday")).is_err());
        assert_eq!(
            NewCorrection::adjustment("-5", Some("fix")).unwrap().amount,
            amount("-5")
        );
        assert!(NewCorrection::adjustment("0", Some("fix")).is_err());
        assert!(NewCorrection::adjustment("5", None).is_err(), "reason required");
        assert!(NewCorrection::credit("-5", Some("goodwill")).is_err());
    }

    #[test]
    fn payments_are_dated_in_open_months_only() {
        let at = |raw: &str| Timestamp::parse_rfc3339(raw).unwrap();
        let opened = at("2026-01-10T15:00:00Z");
        // On 3 March with 5 days' grace, February is still open.
        let window = PaymentWindow::new(opened, at("2026-03-03T10:00:00Z"), 5);
        assert!(window.check(at("2026-02-01T00:00:00Z")).is_ok());
        assert!(window.check(at("2026-03-03T00:00:00Z")).is_ok(), "today, at midnight");
        assert!(
            window.check(at("2026-03-03T10:04:00Z")).is_ok(),
            "within the clock skew"
        );
        assert!(window.check(at("2026-03-04T00:00:00Z")).is_err(), "tomorrow");
        assert!(window.check(at("2026-01-31T23:59:59Z")).is_err(), "January is final");
        // On 6 March February is final too.
        let window = PaymentWindow::new(opened, at("2026-03-06T00:00:00Z"), 5);
        assert!(window.check(at("2026-02-28T12:00:00Z")).is_err());
        assert!(window.check(at("2026-03-01T00:00:00Z")).is_ok());
        // Never before the account's first day (its whole first day counts).
        let window = PaymentWindow::new(opened, at("2026-01-20T00:00:00Z"), 5);
        assert!(window.check(at("2026-01-10T00:00:00Z")).is_ok());
        assert!(window.check(at("2026-01-09T23:59:59Z")).is_err());
        assert!(window.check(at("0001-01-01T00:00:00Z")).is_err());
    }

    #[test]
    fn balance_by_day_steps() {
        let today = Timestamp::parse_rfc3339("2026-11-26T15:00:00Z").unwrap();
        let day = |raw: &str| Timestamp::parse_rfc3339(raw).unwrap().unix_seconds().div_euclid(86_400);
        let points = balance_by_day(
            today,
            3,
            amount("5"),
            &[
                (day("2026-11-25T08:00:00Z"), amount("10")),
                (day("2026-11-26T09:00:00Z"), amount("-3")),
            ],
        );
        let got: Vec<(String, String)> = points.iter().map(|p| (p.day.clone(), p.balance.to_string())).collect();
        assert_eq!(
            got,
            [
                ("2026-11-24".into(), "5.00".into()),
                ("2026-11-25".into(), "15.00".into()),
                ("2026-11-26".into(), "12.00".into())
            ]
        );
    }
}
