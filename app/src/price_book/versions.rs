//! Price changes over time (DESIGN.md "Price changes over time"): a row's
//! prices are versions, each in effect from its `effective_from` until the
//! next. The rules here are pure: which version applies, whether a rise
//! gave enough notice, what a renewal charges, what a change costs.

use crate::{
    error::{AppError, AppResult},
    ids::{PriceVersionId, ProductId, ResellerId},
    money::Money,
    terms::{BillingTerm, TermPrices},
    timestamp::Timestamp,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How long a rise for services already sold must be announced, unless the
/// operator sets `FLUX_PRICE_NOTICE_DAYS`.
pub const DEFAULT_NOTICE_DAYS: u32 = 30;

crate::wire_enum! {
    /// What a version does to services sold before it.
    #[derive(Default)]
    pub enum ExistingServices {
        /// They keep the price they were sold at (grandfathered).
        #[default]
        Keep,
        /// From `effective_from`, each one's next renewal charges the new
        /// price for its term and locks it.
        AtRenewal,
    }
}

impl TryFrom<String> for ExistingServices {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        raw.parse().map_err(|_| format!("unknown existing_services `{raw}`"))
    }
}

/// When a write's prices take effect and what they do to services already
/// sold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// `None`: now.
    pub effective_from: Option<Timestamp>,
    pub existing_services: ExistingServices,
}

impl Schedule {
    /// From the wire: a date (midnight UTC) or an RFC 3339 time, blank for
    /// now; `keep` (the default) or `at_renewal`.
    pub fn parse(effective_from: Option<&str>, existing_services: Option<&str>) -> AppResult<Self> {
        let effective_from = match effective_from.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(Timestamp::parse_date_or_rfc3339(raw).ok_or_else(|| {
                AppError::validation(
                    "effective_from",
                    "Effective from must be a date (2027-01-31) or an RFC 3339 time.",
                )
            })?),
        };
        let existing_services = match existing_services.map(str::trim).filter(|s| !s.is_empty()) {
            None => ExistingServices::Keep,
            Some(raw) => raw.parse().map_err(|_| {
                AppError::validation(
                    "existing_services",
                    "Existing services must be keep (they keep their price) or at_renewal.",
                )
            })?,
        };
        Ok(Schedule {
            effective_from,
            existing_services,
        })
    }
}

/// One version of a row's prices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceVersion {
    pub id: PriceVersionId,
    pub product_id: ProductId,
    pub effective_from: Timestamp,
    /// Only the priced terms.
    pub prices: TermPrices,
    pub setup_fee: Money,
    pub existing_services: ExistingServices,
}

/// What a version says, validated: what is written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDraft {
    pub prices: TermPrices,
    pub setup_fee: Money,
    pub existing_services: ExistingServices,
}

impl PriceVersion {
    /// Whether it has taken effect at `now` (then it is history: it never
    /// changes and cannot be withdrawn).
    pub fn in_effect_or_past(&self, now: Timestamp) -> bool {
        self.effective_from <= now
    }
}

/// The version in effect at `at`: the latest one whose `effective_from` is
/// not after it. `versions` in any order.
pub fn in_effect(versions: &[PriceVersion], at: Timestamp) -> Option<&PriceVersion> {
    versions
        .iter()
        .filter(|v| v.effective_from <= at)
        .max_by_key(|v| v.effective_from)
}

/// Whether `new` raises the price of any term `old` sells: what services
/// already sold on that term would pay more. A term `old` did not sell has
/// no such services; the setup fee is never charged to them.
pub fn raises(old: &TermPrices, new: &TermPrices) -> bool {
    BillingTerm::ALL
        .iter()
        .any(|&term| matches!((old.get(term), new.get(term)), (Some(a), Some(b)) if b > a))
}

/// A version that raises the price of services already sold takes effect at
/// least `notice_days` after `now`; new-order prices and decreases may
/// change at once. `before` is the version it follows.
pub fn check_notice(
    draft: &VersionDraft,
    before: Option<&TermPrices>,
    effective_from: Timestamp,
    now: Timestamp,
    notice_days: u32,
) -> AppResult<()> {
    if draft.existing_services != ExistingServices::AtRenewal {
        return Ok(());
    }
    let Some(before) = before else { return Ok(()) };
    let earliest = now.plus(time::Duration::days(i64::from(notice_days)));
    if raises(before, &draft.prices) && effective_from < earliest {
        return Err(AppError::validation(
            "effective_from",
            format!(
                "A price rise for services already sold needs {notice_days} days' notice: \
                 take effect on or after {}, or keep their prices.",
                earliest.date()
            ),
        ));
    }
    Ok(())
}

/// The price a service's renewal for the period starting at `period_start`
/// charges, when an `at_renewal` version moves it: the latest such version
/// that took effect after the service's price was set (`locked_at`) and by
/// the period's start, if it prices the service's term. `None`: the service
/// keeps its price.
pub fn renewal_price(
    versions: &[PriceVersion],
    term: BillingTerm,
    locked_at: Timestamp,
    period_start: Timestamp,
) -> Option<(&PriceVersion, Money)> {
    versions
        .iter()
        .filter(|v| v.existing_services == ExistingServices::AtRenewal)
        .filter(|v| v.effective_from > locked_at && v.effective_from <= period_start)
        .max_by_key(|v| v.effective_from)
        .and_then(|v| v.prices.get(term).map(|price| (v, price)))
}

/// A bulk change: every price and the setup fee moved by `percent` (e.g.
/// 7.5 or -10), rounded half away from zero to cents (hourly prices to four
/// places, as a derived price is).
pub fn scaled(prices: &TermPrices, setup_fee: Money, percent: Decimal) -> (TermPrices, Money) {
    let mut out = TermPrices::default();
    for &term in BillingTerm::ALL {
        out.set(
            term,
            prices.get(term).map(|p| p.discounted(-percent, term.derived_scale())),
        );
    }
    (out, setup_fee.discounted(-percent, 2))
}

/// Bounds of a bulk percentage: from -90 (a tenth of the price) to +200,
/// two decimals at most.
pub fn parse_percent(raw: &str) -> AppResult<Decimal> {
    let invalid = || {
        AppError::validation(
            "percent",
            "Percent must be a number from -90 to 200 with at most two decimals (7.5 raises by 7.5 %).",
        )
    };
    let value: Decimal = raw.trim().parse().map_err(|_| invalid())?;
    if value.scale() > 2 || value < Decimal::from(-90) || value > Decimal::from(200) || value.is_zero() {
        return Err(invalid());
    }
    Ok(value.normalize())
}

/// What a version does to the services already sold: how many move and the
/// change in monthly wholesale revenue, as the operator sees before saving.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Impact {
    /// Services whose renewal price moves.
    pub services_affected: i64,
    /// The change in what they bring each month (decimal string, may be
    /// negative): an hourly service counts 730 hours a month, a longer
    /// term its price divided by its months. Rounded to cents.
    pub monthly_revenue_change: String,
}

/// Hours in an average month (8,760 ÷ 12), for an hourly service's monthly
/// revenue.
const HOURS_PER_MONTH: i64 = 730;

/// A term's price as a monthly figure.
fn monthly(term: BillingTerm, price: Decimal) -> Decimal {
    match term.months() {
        Some(months) => price / Decimal::from(months),
        None => price * Decimal::from(HOURS_PER_MONTH),
    }
}

/// The impact of `draft` on `held`: the term and price of each service
/// sold that is still running. `keep` moves none.
pub fn impact(draft: &VersionDraft, held: &[(BillingTerm, Money)]) -> Impact {
    if draft.existing_services == ExistingServices::Keep {
        return Impact {
            services_affected: 0,
            monthly_revenue_change: "0.00".into(),
        };
    }
    let mut affected = 0;
    let mut change = Decimal::ZERO;
    for &(term, price) in held {
        let Some(new) = draft.prices.get(term) else { continue };
        if new != price {
            affected += 1;
            change += monthly(term, new.amount()) - monthly(term, price.amount());
        }
    }
    let change = change.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Impact {
        services_affected: affected,
        monthly_revenue_change: format!("{change:.2}"),
    }
}

/// Whose rows a bulk change moves: one product across every reseller, or
/// one reseller's whole book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkScope {
    Product(ProductId),
    Reseller(ResellerId),
}

/// A bulk change as asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkChange {
    pub scope: BulkScope,
    /// e.g. 7.5 raises every price by 7.5 %.
    pub percent: Decimal,
    pub effective_from: Timestamp,
    pub existing_services: ExistingServices,
}

/// One row of a bulk change: its prices then, before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkLine {
    pub reseller_id: ResellerId,
    pub reseller_name: String,
    pub product_id: ProductId,
    pub product_name: String,
    pub before: TermPrices,
    pub before_setup_fee: Money,
    pub after: TermPrices,
    pub after_setup_fee: Money,
    pub impact: Impact,
}

/// A price change coming to services the reseller holds within the notice
/// period: what its Dashboard warns of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceNotice {
    pub product_id: ProductId,
    pub product_name: String,
    pub effective_from: Timestamp,
    pub services_affected: i64,
    pub monthly_change: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn version(from: &str, monthly: &str, policy: ExistingServices) -> PriceVersion {
        PriceVersion {
            id: PriceVersionId::generate(),
            product_id: ProductId::parse("prd_01jd8x2m3n4p5q6r7s8t9v0w1x").unwrap(),
            effective_from: at(from),
            prices: TermPrices {
                monthly: Some(m(monthly)),
                ..TermPrices::default()
            },
            setup_fee: Money::ZERO,
            existing_services: policy,
        }
    }

    #[test]
    fn the_latest_version_not_after_the_time_is_in_effect() {
        let vs = [
            version("2027-02-01T00:00:00Z", "12", ExistingServices::Keep),
            version("2027-01-01T00:00:00Z", "10", ExistingServices::Keep),
        ];
        assert_eq!(in_effect(&vs, at("2026-12-31T23:59:59Z")), None);
        assert_eq!(
            in_effect(&vs, at("2027-01-01T00:00:00Z")).unwrap().prices.monthly,
            Some(m("10"))
        );
        assert_eq!(
            in_effect(&vs, at("2027-02-01T00:00:00Z")).unwrap().prices.monthly,
            Some(m("12"))
        );
    }

    #[test]
    fn a_rise_needs_notice_a_decrease_and_keep_do_not() {
        let now = at("2027-01-01T00:00:00Z");
        let before = TermPrices {
            monthly: Some(m("10")),
            ..TermPrices::default()
        };
        let draft = |monthly: &str, policy| VersionDraft {
            prices: TermPrices {
                monthly: Some(m(monthly)),
                ..TermPrices::default()
            },
            setup_fee: Money::ZERO,
            existing_services: policy,
        };
        let in_days = |d| now.plus(time::Duration::days(d));
        let rise = draft("11", ExistingServices::AtRenewal);
        let err = check_notice(&rise, Some(&before), in_days(10), now, 30).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("effective_from"));
        assert!(check_notice(&rise, Some(&before), in_days(30), now, 30).is_ok());
        let cut = draft("9", ExistingServices::AtRenewal);
        assert!(check_notice(&cut, Some(&before), now, now, 30).is_ok());
        let kept = draft("11", ExistingServices::Keep);
        assert!(check_notice(&kept, Some(&before), now, now, 30).is_ok());
    }

    #[test]
    fn a_renewal_takes_the_latest_at_renewal_version_after_the_lock() {
        let vs = [
            version("2027-01-01T00:00:00Z", "11", ExistingServices::AtRenewal),
            version("2027-02-01T00:00:00Z", "12", ExistingServices::AtRenewal),
            version("2027-03-01T00:00:00Z", "9", ExistingServices::Keep),
        ];
        let locked = at("2026-12-01T00:00:00Z");
        let price = |start| renewal_price(&vs, BillingTerm::Monthly, locked, at(start)).map(|(_, p)| p);
        assert_eq!(price("2026-12-31T00:00:00Z"), None, "before the date");
        assert_eq!(price("2027-01-01T00:00:00Z"), Some(m("11")), "on the date");
        assert_eq!(price("2027-03-15T00:00:00Z"), Some(m("12")), "keep moves nothing");
        let relocked = at("2027-02-01T00:00:00Z");
        assert_eq!(
            renewal_price(&vs, BillingTerm::Monthly, relocked, at("2027-03-01T00:00:00Z")),
            None
        );
        assert_eq!(
            renewal_price(&vs, BillingTerm::Annual, locked, at("2027-03-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn bulk_percentages_round_to_cents_and_hourly_to_four_places() {
        let prices = TermPrices {
            monthly: Some(m("9.99")),
            hourly: Some(m("0.0125")),
            ..TermPrices::default()
        };
        let (up, fee) = scaled(&prices, m("5.00"), Decimal::new(75, 1));
        assert_eq!(up.monthly, Some(m("10.74"))); // 10.73925
        assert_eq!(up.hourly, Some(m("0.0134"))); // 0.0134375
        assert_eq!(fee, m("5.38")); // 5.375
        assert!(parse_percent("7.5").is_ok());
        for bad in ["0", "-95", "201", "1.234", "ten"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn impact_counts_the_services_that_move_in_monthly_terms() {
        let draft = VersionDraft {
            prices: TermPrices {
                monthly: Some(m("12")),
                annual: Some(m("120")),
                ..TermPrices::default()
            },
            setup_fee: Money::ZERO,
            existing_services: ExistingServices::AtRenewal,
        };
        let held = [
            (BillingTerm::Monthly, m("10")),
            (BillingTerm::Annual, m("96")),
            (BillingTerm::Quarterly, m("27")),
        ];
        let i = impact(&draft, &held);
        assert_eq!(i.services_affected, 2);
        assert_eq!(i.monthly_revenue_change, "4.00"); // 2 + 24/12
        let kept = VersionDraft {
            existing_services: ExistingServices::Keep,
            ..draft
        };
        assert_eq!(impact(&kept, &held).services_affected, 0);
    }
}
