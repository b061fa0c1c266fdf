//! Billing terms: the five a product can be sold on, a price for each
//! (`TermPrices`), and when a term that starts at a time ends
//! (`next_renewal`).

use crate::{money::Money, timestamp::Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

crate::wire_enum! {
    /// The five billing terms a product can be sold on.
    #[derive(PartialOrd, Ord)]
    pub enum BillingTerm {
        Monthly,
        Quarterly,
        SemiAnnual,
        Annual,
        Hourly,
    }
}

impl BillingTerm {
    pub fn label(self) -> &'static str {
        match self {
            Self::Monthly => "Monthly",
            Self::Quarterly => "Quarterly",
            Self::SemiAnnual => "Semi-annual",
            Self::Annual => "Annual",
            Self::Hourly => "Hourly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    /// Decimal places a price on this term is rounded to when derived.
    pub fn derived_scale(self) -> u32 {
        match self {
            Self::Hourly => 4,
            _ => 2,
        }
    }

    /// Length of one term in whole months (hourly terms have none).
    pub fn months(self) -> Option<u8> {
        match self {
            Self::Monthly => Some(1),
            Self::Quarterly => Some(3),
            Self::SemiAnnual => Some(6),
            Self::Annual => Some(12),
            Self::Hourly => None,
        }
    }
}

impl TryFrom<String> for BillingTerm {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        BillingTerm::parse(&raw).ok_or_else(|| format!("unknown billing term `{raw}`"))
    }
}

impl fmt::Display for BillingTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prices for every term; `None` means "not sold on this term" and is left
/// out of JSON (`{"monthly": "10.00"}` lists only the priced terms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TermPrices {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarterly: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semi_annual: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<Money>,
}

impl TermPrices {
    pub fn get(&self, term: BillingTerm) -> Option<Money> {
        match term {
            BillingTerm::Monthly => self.monthly,
            BillingTerm::Quarterly => self.quarterly,
            BillingTerm::SemiAnnual => self.semi_annual,
            BillingTerm::Annual => self.annual,
            BillingTerm::Hourly => self.hourly,
        }
    }

    pub fn set(&mut self, term: BillingTerm, price: Option<Money>) {
        match term {
            BillingTerm::Monthly => self.monthly = price,
            BillingTerm::Quarterly => self.quarterly = price,
            BillingTerm::SemiAnnual => self.semi_annual = price,
            BillingTerm::Annual => self.annual = price,
            BillingTerm::Hourly => self.hourly = price,
        }
    }

    /// The priced terms, in catalogue order.
    pub fn priced(&self) -> impl Iterator<Item = (BillingTerm, Money)> + '_ {
        BillingTerm::ALL
            .iter()
            .copied()
            .filter_map(|t| self.get(t).map(|p| (t, p)))
    }
}

/// The next renewal after `start` on `term`: calendar months (the day is
/// clamped to the month's end: 31 Jan + 1 month = 28/29 Feb), or one hour.
pub fn next_renewal(start: Timestamp, term: BillingTerm) -> Timestamp {
    match term.months() {
        None => start.plus(time::Duration::hours(1)),
        Some(months) => shift_months(start, i32::from(months)),
    }
}

/// When the period that ends at `end` on `term` began: one term back by
/// the same calendar rule. (A period that began on a day the month after
/// lacks, 31 Jan to 28 Feb, is read back as 28 Jan to 28 Feb: a proration
/// over it counts those three days less; DESIGN.md "Plan and term changes".)
pub fn previous_renewal(end: Timestamp, term: BillingTerm) -> Timestamp {
    match term.months() {
        None => end.minus(time::Duration::hours(1)),
        Some(months) => shift_months(end, -i32::from(months)),
    }
}

fn shift_months(at: Timestamp, months: i32) -> Timestamp {
    let at = at.datetime();
    let total = at.year() * 12 + (u8::from(at.month()) as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from((month0 + 1) as u8).unwrap_or(time::Month::January);
    let day = at.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).unwrap_or(at.date());
    Timestamp::from_datetime(at.replace_date(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_round_trip() {
        for &t in BillingTerm::ALL {
            assert_eq!(BillingTerm::parse(t.as_str()), Some(t));
        }
        assert_eq!(BillingTerm::parse("weekly"), None);
    }

    #[test]
    fn renewals_follow_the_calendar() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let cases = [
            ("2026-01-31T10:00:00Z", BillingTerm::Monthly, "2026-02-28T10:00:00Z"),
            ("2028-01-31T10:00:00Z", BillingTerm::Monthly, "2028-02-29T10:00:00Z"),
            ("2026-11-15T00:00:00Z", BillingTerm::Quarterly, "2027-02-15T00:00:00Z"),
            ("2026-08-31T00:00:00Z", BillingTerm::SemiAnnual, "2027-02-28T00:00:00Z"),
            ("2026-03-01T00:00:00Z", BillingTerm::Annual, "2027-03-01T00:00:00Z"),
            ("2026-03-01T23:30:00Z", BillingTerm::Hourly, "2026-03-02T00:30:00Z"),
        ];
        for (from, term, due) in cases {
            assert_eq!(next_renewal(t(from), term), t(due), "{from} {term:?}");
        }
        assert_eq!(
            previous_renewal(t("2026-03-31T10:00:00Z"), BillingTerm::Monthly),
            t("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            previous_renewal(t("2027-02-15T00:00:00Z"), BillingTerm::Quarterly),
            t("2026-11-15T00:00:00Z")
        );
        assert_eq!(
            previous_renewal(t("2026-03-02T00:30:00Z"), BillingTerm::Hourly),
            t("2026-03-01T23:30:00Z")
        );
    }
}
