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

use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::{OrderId, ServiceId, TransactionId},
    lists::{PageRequest, blank_to_none, optional},
    money::{Amount, Money, MoneyError},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};
use std::fmt;

crate::wire_enum! {
    /// What an entry records: charges (`order`, `renewal`) are negative,
    /// `payment` and `credit` positive, an `adjustment` either.
    pub enum EntryKind {
        Order,
        Renewal,
        Payment,
        Credit,
        Adjustment,
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

impl Entry {
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

/// A calendar month (UTC), `2026-11` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    /// `yyyy-mm`, years 2000 to 9999.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let bad = || AppError::validation("month", format!("`{raw}` is not a month like 2026-11."));
        let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let (year, month): (i32, u8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn of(at: Timestamp) -> Self {
        let d = at.datetime();
        Month {
            year: d.year(),
            month: u8::from(d.month()),
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its first instant (UTC).
    pub fn start(self) -> Timestamp {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        let date = time::Date::from_calendar_date(self.year, month, 1).unwrap_or(time::Date::MIN);
        Timestamp::from_datetime(date.midnight().assume_utc())
    }

    /// `November 2026`.
    pub fn label(self) -> String {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        format!("{month} {}", self.year)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Month::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "ssr")]
crate::openapi::value_schema!(
    Month,
    crate::openapi::string("A calendar month (UTC), yyyy-mm.", Some(r"^\d{4}-\d{2}$"), "2026-11")
);

/// A statement line: the entry and the balance right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatementLine {
    #[serde(flatten)]
    pub entry: Entry,
    pub description: String,
    pub balance_after: Amount,
}

/// One calendar month of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Statement {
    pub month: Month,
    pub currency: String,
    /// The closing balance of the month before.
    pub opening_balance: Amount,
    /// Oldest first.
    pub entries: Vec<StatementLine>,
    pub closing_balance: Amount,
}

impl Statement {
    /// The statement from the balance before the month and its entries in
    /// time order: each line carries the running balance.
    pub fn build(month: Month, currency: &str, opening_balance: Amount, entries: Vec<Entry>) -> Self {
        let mut running = opening_balance;
        let entries: Vec<StatementLine> = entries
            .into_iter()
            .map(|entry| {
                running = running + entry.amount;
                StatementLine {
                    description: entry.description(),
                    entry,
                    balance_after: running,
                }
            })
            .collect();
        Statement {
            month,
            currency: currency.to_owned(),
            opening_balance,
            entries,
            closing_balance: running,
        }
    }

    /// The statement as CSV: a header, one row per entry, then the opening
    /// and closing balances as rows of their own.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("date,id,kind,description,amount,balance_after\n");
        let row = |out: &mut String, cells: [&str; 6]| {
            let line: Vec<String> = cells.iter().map(|c| crate::api_log::csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        };
        let start = self.month.start().rfc3339();
        row(
            &mut out,
            [
                &start,
                "",
                "opening",
                "Opening balance",
                "",
                &self.opening_balance.to_string(),
            ],
        );
        for line in &self.entries {
            row(
                &mut out,
                [
                    &line.entry.at.rfc3339(),
                    line.entry.id.as_str(),
                    line.entry.kind.as_str(),
                    &line.description,
                    &line.entry.amount.to_string(),
                    &line.balance_after.to_string(),
                ],
            );
        }
        let end = self.month.next().start().rfc3339();
        row(
            &mut out,
            [
                &end,
                "",
                "closing",
                "Closing balance",
                "",
                &self.closing_balance.to_string(),
            ],
        );
        out
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

fn money_error(field: &str, e: MoneyError) -> AppError {
    AppError::validation(
        field,
        format!("The {field} {e}: write a plain decimal such as 125.00 (at most 4 decimals)."),
    )
}

/// A positive amount of money, as typed: `"125.00"`; refuses zero,
/// negatives, exponents and more than four decimals.
pub fn parse_positive(field: &str, raw: &str) -> AppResult<Money> {
    let amount = Money::parse(raw).map_err(|e| money_error(field, e))?;
    if amount.is_zero() {
        return Err(AppError::validation(
            field,
            format!("The {field} must be more than zero."),
        ));
    }
    Ok(amount)
}

/// A signed, non-zero amount (adjustments): `"-12.50"`.
pub fn parse_signed(field: &str, raw: &str) -> AppResult<Amount> {
    let amount = Amount::parse(raw).map_err(|e| money_error(field, e))?;
    if amount.is_zero() {
        return Err(AppError::validation(field, format!("The {field} cannot be zero.")));
    }
    if amount.value().abs() >= Money::MAX {
        return Err(money_error(field, MoneyError::TooLarge));
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
    pub fn parse(amount: &str, reference: Option<&str>, received_at: Option<&str>, now: Timestamp) -> AppResult<Self> {
        let received_at = optional("received_at", received_at, Timestamp::parse_rfc3339)?;
        if received_at.is_some_and(|at| at > now.plus(time::Duration::minutes(5))) {
            return Err(AppError::validation(
                "received_at",
                "A payment cannot be received in the future.",
            ));
        }
        Ok(NewPayment {
            amount: parse_positive("amount", amount)?,
            reference: parse_required_text("reference", reference)?,
            received_at,
        })
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
        let credit_limit = blank_to_none(Some(credit_limit))
            .map(|raw| Money::parse(raw).map_err(|e| money_error("credit limit", e)))
            .transpose()?;
        let threshold = blank_to_none(Some(threshold))
            .map(|raw| Amount::parse(raw).map_err(|e| money_error("threshold", e)))
            .transpose()?;
        Ok(AccountPatch {
            credit_limit: Some(credit_limit),
            low_balance_threshold: Some(threshold),
        })
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
/// the balance before the first day and the entries since, oldest first.
pub fn balance_by_day(
    today: Timestamp,
    days: i64,
    before: Amount,
    entries: &[(Timestamp, Amount)],
) -> Vec<BalancePoint> {
    let first = today.minus(time::Duration::days(days - 1));
    let mut running = before;
    let mut rest = entries.iter().peekable();
    (0..days)
        .map(|i| {
            let day = first.plus(time::Duration::days(i));
            let end =
                Timestamp::from_datetime(day.datetime().replace_time(time::Time::MIDNIGHT) + time::Duration::days(1));
            while let Some((_, amount)) = rest.next_if(|(at, _)| *at < end) {
                running = running + *amount;
            }
            BalancePoint {
                day: day.date(),
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
    fn months() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(
            (m.to_string(), m.next().to_string()),
            ("2026-12".into(), "2027-01".into())
        );
        assert_eq!(Month::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        assert_eq!(m.start().rfc3339(), "2026-12-01T00:00:00Z");
        for bad in [
            "2026-13",
            "2026-00",
            "26-11",
            "2026/11",
            "2026-1",
            "1999-12",
            "x",
            "2026-11-01",
            "２０２６-11",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(m.label(), "December 2026");
    }

    fn entry(kind: EntryKind, raw: &str) -> Entry {
        Entry {
            id: TransactionId::generate(),
            kind,
            amount: amount(raw),
            at: Timestamp::parse_rfc3339("2026-11-03T10:00:00Z").unwrap(),
            order_id: None,
            service_id: None,
            reference: Some("wire, 7".into()),
            reason: None,
            recorded_by: None,
        }
    }

    #[test]
    fn statements_run_the_balance() {
        let month = Month::parse("2026-11").unwrap();
        let s = Statement::build(
            month,
            "EUR",
            amount("10"),
            vec![entry(EntryKind::Payment, "100"), entry(EntryKind::Order, "-30.5")],
        );
        let after: Vec<String> = s.entries.iter().map(|l| l.balance_after.to_string()).collect();
        assert_eq!(after, ["110.00", "79.50"]);
        assert_eq!(s.closing_balance, amount("79.5"));
        let csv = s.to_csv();
        assert!(csv.starts_with("date,id,kind,description,amount,balance_after\n2026-11-01T00:00:00Z,,opening"));
        assert!(csv.contains("\"Payment, ref. wire, 7\""), "{csv}");
        assert!(csv.trim_end().ends_with("closing,Closing balance,,79.50"), "{csv}");
    }

    #[test]
    fn operator_amounts() {
        let now = Timestamp::now();
        assert!(NewPayment::parse("125.00", Some("INV-1"), None, now).is_ok());
        for bad in ["-1", "0", "0.00", "1.23456", "1e3", "abc", "", "NaN", "1,5"] {
            let e = NewPayment::parse(bad, Some("INV-1"), None, now).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("amount"), "{bad}");
        }
        assert_eq!(
            NewPayment::parse("1", Some("  "), None, now)
                .unwrap_err()
                .field
                .as_deref(),
            Some("reference")
        );
        let future = now.plus(time::Duration::days(1)).rfc3339();
        assert!(NewPayment::parse("1", Some("r"), Some(&future), now).is_err());
        assert_eq!(
            NewCorrection::adjustment("-5", Some("fix")).unwrap().amount,
            amount("-5")
        );
        assert!(NewCorrection::adjustment("0", Some("fix")).is_err());
        assert!(NewCorrection::adjustment("5", None).is_err(), "reason required");
        assert!(NewCorrection::credit("-5", Some("goodwill")).is_err());
    }

    #[test]
    fn balance_by_day_steps() {
        let today = Timestamp::parse_rfc3339("2026-11-26T15:00:00Z").unwrap();
        let at = |raw: &str| Timestamp::parse_rfc3339(raw).unwrap();
        let points = balance_by_day(
            today,
            3,
            amount("5"),
            &[
                (at("2026-11-25T08:00:00Z"), amount("10")),
                (at("2026-11-26T09:00:00Z"), amount("-3")),
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
