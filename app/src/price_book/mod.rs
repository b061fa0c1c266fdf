//! The wholesale price book (DESIGN.md "Wholesale price book"): one row per
//! reseller and product, the contract every order is charged by.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
pub mod versions;

pub use versions::{ExistingServices, Impact, PriceVersion, VersionDraft};

use crate::{
    catalog::{Product, ProductKind},
    error::field_label,
    error::{AppError, AppResult},
    ids::{PriceVersionId, ProductId, ResellerId},
    money::{Money, Percent},
    terms::{BillingTerm, TermPrices},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

/// A stored row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRow {
    pub reseller_id: ResellerId,
    pub product_id: ProductId,
    /// The version whose prices are in effect; `None` before the first one
    /// takes effect (the row sells nothing yet).
    pub version_id: Option<PriceVersionId>,
    pub prices: TermPrices,
    pub setup_fee: Money,
    pub discount_rate_override: Option<Percent>,
    pub is_enabled: bool,
    pub max_quantity: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The editable part of a row, validated: what is written and what the
/// history keeps (old and new).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRowDraft {
    pub prices: TermPrices,
    pub setup_fee: Money,
    pub discount_rate_override: Option<Percent>,
    pub is_enabled: bool,
    pub max_quantity: Option<i64>,
}

impl PriceRow {
    pub fn draft(&self) -> PriceRowDraft {
        PriceRowDraft {
            prices: self.prices,
            setup_fee: self.setup_fee,
            discount_rate_override: self.discount_rate_override,
            is_enabled: self.is_enabled,
            max_quantity: self.max_quantity,
        }
    }
}

/// A row as typed into the admin grid or sent to the admin API: every
/// amount a decimal string, blank or absent meaning "not sold on this term".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRowInput {
    #[serde(default)]
    pub wholesale_monthly: Option<String>,
    #[serde(default)]
    pub wholesale_quarterly: Option<String>,
    #[serde(default)]
    pub wholesale_semi_annual: Option<String>,
    #[serde(default)]
    pub wholesale_annual: Option<String>,
    #[serde(default)]
    pub wholesale_hourly: Option<String>,
    #[serde(default)]
    pub wholesale_setup_fee: Option<String>,
    #[serde(default)]
    pub discount_rate_override: Option<String>,
    /// Absent means enabled: pricing a product is meant to sell it.
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub max_quantity: Option<String>,
}

impl TryFrom<PriceRowInput> for PriceRowDraft {
    type Error = AppError;

    /// No negative amounts, at most four decimals, override 0 to 100,
    /// `max_quantity` at least 1 or empty.
    fn try_from(input: PriceRowInput) -> AppResult<Self> {
        let term = |field: &str, raw: &Option<String>| crate::money::parse_optional_money(field, raw.as_deref());
        let prices = TermPrices {
            monthly: term("wholesale_monthly", &input.wholesale_monthly)?,
            quarterly: term("wholesale_quarterly", &input.wholesale_quarterly)?,
            semi_annual: term("wholesale_semi_annual", &input.wholesale_semi_annual)?,
            annual: term("wholesale_annual", &input.wholesale_annual)?,
            hourly: term("wholesale_hourly", &input.wholesale_hourly)?,
        };
        let setup_fee = term("wholesale_setup_fee", &input.wholesale_setup_fee)?.unwrap_or(Money::ZERO);
        let discount_rate_override = match input.discount_rate_override.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(Percent::parse(raw).map_err(|e| {
                AppError::validation(
                    "discount_rate_override",
                    format!("{} {e}.", field_label("discount_rate_override")),
                )
            })?),
        };
        let max_quantity = match input.max_quantity.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Some(n),
                _ => {
                    return Err(AppError::validation(
                        "max_quantity",
                        "Max quantity must be a whole number of at least 1, or empty for no limit.",
                    ));
                }
            },
        };
        Ok(PriceRowDraft {
            prices,
            setup_fee,
            discount_rate_override,
            is_enabled: input.is_enabled.unwrap_or(true),
            max_quantity,
        })
    }
}

/// The rate "derive from retail" applies: the row's override, else the
/// profile's default.
pub fn effective_rate(row_override: Option<Percent>, profile_default: Percent) -> Percent {
    row_override.unwrap_or(profile_default)
}

/// Each term's retail price less `rate` percent, rounded half away from zero
/// to 2 decimals (4 for hourly); a term without a retail price stays unsold.
pub fn derive(retail: &TermPrices, rate: Percent) -> TermPrices {
    let mut derived = TermPrices::default();
    for &term in BillingTerm::ALL {
        let price = retail
            .get(term)
            .map(|p| p.discounted(rate.value(), term.derived_scale()));
        derived.set(term, price);
    }
    derived
}

/// One product in the admin grid, with its row if it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridLine {
    pub product: Product,
    pub row: Option<PriceRow>,
    /// The row's scheduled versions, soonest first.
    pub upcoming: Vec<PriceVersion>,
}

/// A product as its reseller sees it: only what the book sells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CatalogItem {
    pub id: ProductId,
    pub name: String,
    pub slug: String,
    pub kind: ProductKind,
    pub description: String,
    /// Only the priced terms.
    pub prices: TermPrices,
    pub setup_fee: Money,
    /// Units you may hold at once; null: no limit.
    pub max_quantity: Option<i64>,
    /// Non-terminated services of this product the reseller holds.
    pub units_held: i64,
    /// Scheduled versions of these prices, soonest first.
    pub upcoming: Vec<PriceVersion>,
}

/// One change to a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChange {
    pub id: i64,
    pub product_id: ProductId,
    pub at: Timestamp,
    pub actor_name: String,
    pub old: Option<PriceRowDraft>,
    pub new: PriceRowDraft,
    /// When a scheduled version takes effect; `None`: at once.
    #[serde(default)]
    pub effective_from: Option<Timestamp>,
}

impl PriceChange {
    /// "monthly 10.00 → 9.00; enabled yes → no": what changed, for people.
    pub fn summary(&self) -> String {
        let old = self.old.clone().unwrap_or_default();
        let new = &self.new;
        let show = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_else(|| "—".into());
        let mut parts = Vec::new();
        for &term in BillingTerm::ALL {
            let (a, b) = (old.prices.get(term), new.prices.get(term));
            if a != b || self.old.is_none() && b.is_some() {
                parts.push(format!("{} {} → {}", term.as_str(), show(a), show(b)));
            }
        }
        if old.setup_fee != new.setup_fee {
            parts.push(format!("setup fee {} → {}", old.setup_fee, new.setup_fee));
        }
        if old.discount_rate_override != new.discount_rate_override {
            let show = |p: Option<Percent>| p.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into());
            parts.push(format!(
                "discount override {} → {}",
                show(old.discount_rate_override),
                show(new.discount_rate_override)
            ));
        }
        if old.is_enabled != new.is_enabled || self.old.is_none() {
            let yn = |b: bool| if b { "yes" } else { "no" };
            parts.push(format!(
                "enabled {} → {}",
                if self.old.is_none() { "—" } else { yn(old.is_enabled) },
                yn(new.is_enabled)
            ));
        }
        if old.max_quantity != new.max_quantity {
            let show = |q: Option<i64>| q.map(|q| q.to_string()).unwrap_or_else(|| "no limit".into());
            parts.push(format!(
                "max quantity {} → {}",
                show(old.max_quantity),
                show(new.max_quantity)
            ));
        }
        let changes = parts.join("; ");
        match self.effective_from {
            Some(at) => format!("from {}: {changes}", at.short()),
            None => changes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn pct(s: &str) -> Percent {
        Percent::parse(s).unwrap()
    }

    #[test]
    fn derive_rounds_terms_to_two_places_and_hourly_to_four() {
        let retail = TermPrices {
            monthly: Some(m("19.99")),
            quarterly: Some(m("56.97")),
            semi_annual: None,
            annual: Some(m("199.99")),
            hourly: Some(m("0.0275")),
        };
        let d = derive(&retail, pct("15"));
        assert_eq!(d.monthly, Some(m("16.99"))); // 16.9915
        assert_eq!(d.quarterly, Some(m("48.42"))); // 48.4245 -> 48.42
        assert_eq!(d.semi_annual, None, "no retail price, no wholesale price");
        assert_eq!(d.annual, Some(m("169.99"))); // 169.9915
        assert_eq!(d.hourly, Some(m("0.0234"))); // 0.023375 -> 0.0234
    }

    #[test]
    fn derive_rounds_half_away_from_zero() {
        let retail = TermPrices {
            monthly: Some(m("0.05")),
            hourly: Some(m("0.0001")),
            ..TermPrices::default()
        };
        let d = derive(&retail, pct("50"));
        assert_eq!(d.monthly, Some(m("0.03"))); // 0.025
        assert_eq!(d.hourly, Some(m("0.0001"))); // 0.00005
    }

    #[test]
    fn the_override_wins_over_the_default() {
        assert_eq!(effective_rate(Some(pct("20")), pct("10")), pct("20"));
        assert_eq!(effective_rate(None, pct("10")), pct("10"));
        assert_eq!(effective_rate(Some(pct("0")), pct("10")), pct("0"));
    }

    fn input() -> PriceRowInput {
        PriceRowInput {
            wholesale_monthly: Some("10.00".into()),
            wholesale_hourly: Some("0.0125".into()),
            ..PriceRowInput::default()
        }
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (
                PriceRowInput {
                    wholesale_monthly: Some("-1".into()),
                    ..input()
                },
                "wholesale_monthly",
            ),
            (
                PriceRowInput {
                    wholesale_hourly: Some("0.01255".into()),
                    ..input()
                },
                "wholesale_hourly",
            ),
            (
                PriceRowInput {
                    wholesale_setup_fee: Some("abc".into()),
                    ..input()
                },
                "wholesale_setup_fee",
            ),
            (
                PriceRowInput {
                    discount_rate_override: Some("101".into()),
                    ..input()
                },
                "discount_rate_override",
            ),
            (
                PriceRowInput {
                    discount_rate_override: Some("-5".into()),
                    ..input()
                },
                "discount_rate_override",
            ),
            (
                PriceRowInput {
                    max_quantity: Some("0".into()),
                    ..input()
                },
                "max_quantity",
            ),
            (
                PriceRowInput {
                    max_quantity: Some("2.5".into()),
                    ..input()
                },
                "max_quantity",
            ),
        ];
        for (bad, field) in cases {
            let err = PriceRowDraft::try_from(bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        }
    }

    #[test]
    fn blanks_are_unsold_and_enabled_is_the_default() {
        let d = PriceRowDraft::try_from(PriceRowInput {
            wholesale_quarterly: Some(" ".into()),
            max_quantity: Some("".into()),
            ..input()
        })
        .unwrap();
        assert_eq!(d.prices.quarterly, None);
        assert_eq!(d.max_quantity, None);
        assert!(d.is_enabled);
        assert_eq!(d.setup_fee, Money::ZERO);
    }

    #[test]
    fn change_summaries() {
        let old = PriceRowDraft::try_from(input()).unwrap();
        let mut new = old.clone();
        new.prices.monthly = Some(m("9"));
        new.is_enabled = false;
        let change = PriceChange {
            id: 1,
            product_id: ProductId::parse("prd_01jd8x2m3n4p5q6r7s8t9v0w1x").unwrap(),
            at: Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            actor_name: "ops".into(),
            old: Some(old),
            new,
            effective_from: None,
        };
        assert_eq!(change.summary(), "monthly 10.00 → 9.00; enabled yes → no");
    }
}
