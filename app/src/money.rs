//! Exact money and billing terms.
//!
//! Amounts are `rust_decimal` values with at most four decimal places (hourly
//! prices need them), never negative, and travel as decimal strings
//! (`"12.50"`), never as JSON numbers that a client might read into a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Largest scale an amount may carry.
pub const MAX_SCALE: u32 = 4;

/// A non-negative amount with at most four decimal places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is not a decimal number")]
    NotANumber,
    #[error("cannot be negative")]
    Negative,
    #[error("has more than 4 decimal places")]
    TooPrecise,
    #[error("is too large")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);
    /// Upper bound that keeps every amount inside NUMERIC(18,4) and SQLite's
    /// integer ten-thousandths (amounts are below it).
    pub const MAX: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

    pub fn new(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value.normalize().scale() > MAX_SCALE {
            return Err(MoneyError::TooPrecise);
        }
        if value >= Self::MAX {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(value.normalize()))
    }

    /// Parses user input such as `"12.5"`, `" 0.0125 "`; refuses `"1e3"`,
    /// `"-1"`, `"1.23456"` and anything else that is not a plain decimal.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let raw = raw.trim();
        let plain = !raw.is_empty()
            && raw.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && raw.chars().filter(|&c| c == '.').count() <= 1;
        if !plain {
            return Err(MoneyError::NotANumber);
        }
        let value = Decimal::from_str(raw).map_err(|_| MoneyError::NotANumber)?;
        Self::new(value)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `self × quantity`, exact; `None` when the product is beyond what
    /// an amount may be (so it could not be stored and read back).
    pub fn checked_times(self, quantity: u32) -> Option<Money> {
        self.0
            .checked_mul(Decimal::from(quantity))
            .and_then(|v| Money::new(v).ok())
    }

    /// `self + other`, exact; `None` beyond the largest amount.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).and_then(|v| Money::new(v).ok())
    }

    /// Applies `percent_off` and rounds half away from zero to `scale`
    /// places (2 for terms, 4 for hourly prices).
    pub fn discounted(self, percent_off: Decimal, scale: u32) -> Money {
        let factor = (Decimal::ONE_HUNDRED - percent_off) / Decimal::ONE_HUNDRED;
        let value =
            (self.0 * factor).round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Money(value.normalize())
    }

    /// The amount in ten-thousandths: how SQLite stores it (exact integer
    /// arithmetic, sortable, summable).
    pub fn to_ten_thousandths(self) -> i64 {
        let scaled = self.0 * Decimal::from(10_000);
        // In range and integral by construction (MAX, MAX_SCALE).
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    pub fn from_ten_thousandths(units: i64) -> Money {
        Money(Decimal::new(units, MAX_SCALE).normalize())
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// Always at least two decimals: `12.50`, `0.0125`, `3.00`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0.normalize();
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Money::parse(&raw).map_err(|e| serde::de::Error::custom(format!("amount {e}")))
    }
}

/// A signed exact amount, for what is summed or owed rather than priced:
/// totals over many orders, balances, ledger entries. Unlike [`Money`] it
/// may be negative and is not bounded by the largest price (a sum of many
/// orders exceeds it), only by `rust_decimal`'s range; at most four
/// decimals. Travels as a decimal string like `Money`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Self, MoneyError> {
        if value.normalize().scale() > MAX_SCALE {
            return Err(MoneyError::TooPrecise);
        }
        Ok(Amount(value.normalize()))
    }

    /// Plain decimals only, as `Money::parse`, with an optional leading `-`.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let raw = raw.trim();
        let digits = raw.strip_prefix('-').unwrap_or(raw);
        let plain = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.chars().filter(|&c| c == '.').count() <= 1;
        if !plain {
            return Err(MoneyError::NotANumber);
        }
        Self::new(Decimal::from_str(raw).map_err(|_| MoneyError::NotANumber)?)
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    pub fn from_ten_thousandths(units: i64) -> Amount {
        Amount(Decimal::new(units, MAX_SCALE).normalize())
    }
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Amount(m.amount())
    }
}

impl Amount {
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// A money amount taken away (a charge).
    pub fn minus(self, charge: Money) -> Amount {
        self - Amount::from(charge)
    }
}

// Sums of amounts below `Money::MAX` stay far inside `Decimal`'s range
// (28 digits), so these do not overflow in practice.
impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount((self.0 + rhs.0).normalize())
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount((self.0 - rhs.0).normalize())
    }
}

impl std::ops::Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

/// Always at least two decimals: `-12.50`, `0.0125`.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0.normalize();
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Amount::parse(&raw).map_err(|e| serde::de::Error::custom(format!("amount {e}")))
    }
}

#[cfg(feature = "ssr")]
crate::openapi::value_schema!(
    Money,
    crate::openapi::string(
        "An amount: a decimal string with up to 4 decimals, never a JSON number.",
        Some(r"^\d+(\.\d{1,4})?$"),
        "19.99"
    )
);
#[cfg(feature = "ssr")]
crate::openapi::value_schema!(
    Amount,
    crate::openapi::string(
        "A signed amount: a decimal string with up to 4 decimals.",
        Some(r"^-?\d+(\.\d{1,4})?$"),
        "-12.50"
    )
);

/// A percentage between 0 and 100 with at most two decimals (discount rates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(Decimal);

impl Percent {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = Decimal::from_str(raw.trim()).map_err(|_| "is not a number".to_owned())?;
        Self::new(value)
    }

    pub fn new(value: Decimal) -> Result<Self, String> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err("must be between 0 and 100".to_owned());
        }
        if value.normalize().scale() > 2 {
            return Err("has more than 2 decimal places".to_owned());
        }
        Ok(Percent(value.normalize()))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept "12.5" and 12.5: rates are not money, and scripts send both.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(serde_json::Number),
        }
        let raw = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Number(n) => n.to_string(),
        };
        Percent::parse(&raw).map_err(|e| serde::de::Error::custom(format!("rate {e}")))
    }
}

/// The installation's currency: three upper-case ISO 4217 letters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code.to_owned()))
        } else {
            Err(format!("`{raw}` is not an ISO 4217 code such as EUR"))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

/// The one message for an amount typed wrong, naming the field: "Credit
/// limit is not a decimal number: write a plain decimal such as 125.00 (at
/// most 4 decimals)."
pub fn invalid_amount(field: &str, e: MoneyError) -> crate::error::AppError {
    crate::error::AppError::validation(
        field,
        format!(
            "{} {e}: write a plain decimal such as 125.00 (at most {MAX_SCALE} decimals).",
            crate::error::field_label(field)
        ),
    )
}

/// A price or limit as typed (`"125.00"`): not negative, at most four
/// decimals, below [`Money::MAX`].
pub fn parse_money(field: &str, raw: &str) -> crate::error::AppResult<Money> {
    Money::parse(raw).map_err(|e| invalid_amount(field, e))
}

/// [`parse_money`] for an optional field: absent or blank is `None`.
pub fn parse_optional_money(field: &str, raw: Option<&str>) -> crate::error::AppResult<Option<Money>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_money(field, text).map(Some),
    }
}

/// A signed amount as typed (`"-12.50"`), bounded like a price so that it
/// can always be stored.
pub fn parse_amount(field: &str, raw: &str) -> crate::error::AppResult<Amount> {
    let amount = Amount::parse(raw).map_err(|e| invalid_amount(field, e))?;
    bounded(field, amount)
}

/// A signed amount that is set rather than summed (a threshold, an
/// adjustment): bounded like a price, however it arrived (a form, JSON).
pub fn bounded(field: &str, amount: Amount) -> crate::error::AppResult<Amount> {
    if amount.value().abs() >= Money::MAX {
        return Err(invalid_amount(field, MoneyError::TooLarge));
    }
    Ok(amount)
}

/// `12.50 EUR`: how every amount shown to a person is written (the
/// amount's own decimals, then the currency code).
pub fn shown(amount: impl fmt::Display, currency: &str) -> String {
    format!("{amount} {currency}")
}

/// [`shown`], or a dash where there is no amount ("not sold", no limit).
pub fn shown_or_dash<A: fmt::Display>(amount: Option<A>, currency: &str) -> String {
    amount.map_or_else(|| "—".to_owned(), |a| shown(a, currency))
}

impl Default for Currency {
    fn default() -> Self {
        Currency("EUR".to_owned())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn parses_plain_decimals_only() {
        assert_eq!(m("12.5").to_string(), "12.50");
        assert_eq!(m(" 0.0125 ").to_string(), "0.0125");
        assert_eq!(m("3").to_string(), "3.00");
        assert_eq!(m("-0").to_string(), "0.00");
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1.23456"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(""), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1.2.3"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("1000000000"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn trailing_zeros_beyond_four_places_are_fine() {
        assert_eq!(m("1.230000").to_string(), "1.23");
    }

    #[test]
    fn serializes_as_string() {
        assert_eq!(serde_json::to_string(&m("59.97")).unwrap(), "\"59.97\"");
        let back: Money = serde_json::from_str("\"19.99\"").unwrap();
        assert_eq!(back, m("19.99"));
        assert!(serde_json::from_str::<Money>("19.99").is_err());
    }

    #[test]
    fn ten_thousandths_round_trip() {
        for s in ["0", "0.0001", "12.5", "999999999.9999"] {
            let v = m(s);
            assert_eq!(Money::from_ten_thousandths(v.to_ten_thousandths()), v);
        }
    }

    #[test]
    fn discount_rounds_half_away_from_zero() {
        let ten = Decimal::from(10);
        // 19.99 * 0.9 = 17.991 -> 17.99
        assert_eq!(m("19.99").discounted(ten, 2), m("17.99"));
        // 0.0125 * 0.85 = 0.010625 -> 0.0106 (4 places)
        assert_eq!(m("0.0125").discounted(Decimal::from(15), 4), m("0.0106"));
        // 0.05 * 0.5 = 0.025 -> 0.03
        assert_eq!(m("0.05").discounted(Decimal::from(50), 2), m("0.03"));
        assert_eq!(m("10").discounted(Decimal::ONE_HUNDRED, 2), Money::ZERO);
    }

    #[test]
    fn exact_sums() {
        let total: Money = [m("0.1"), m("0.2")].into_iter().sum();
        assert_eq!(total, m("0.3"));
        assert_eq!(m("19.99").checked_times(3), Some(m("59.97")));
        assert_eq!(m("999999999").checked_times(2), None, "beyond what can be stored");
        assert_eq!(m("999999999").checked_add(m("1")), None);
    }

    #[test]
    fn amounts_are_signed_and_unbounded_by_prices() {
        let a = Amount::parse("-12.5").unwrap();
        assert_eq!(a.to_string(), "-12.50");
        assert_eq!(Amount::parse("1200000000").unwrap().to_string(), "1200000000.00");
        for bad in ["1e3", "--1", "1.23456", "", "-"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Amount::from_ten_thousandths(-125), Amount::parse("-0.0125").unwrap());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"-12.50\"");
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), a);
    }

    #[test]
    fn percent_bounds() {
        assert!(Percent::parse("0").is_ok());
        assert!(Percent::parse("100").is_ok());
        assert!(Percent::parse("12.5").is_ok());
        assert!(Percent::parse("100.01").is_err());
        assert!(Percent::parse("-1").is_err());
        assert!(Percent::parse("1.234").is_err());
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("EUR").is_ok());
        assert!(Currency::parse("eur").is_err());
        assert_eq!(shown(m("12.5"), Currency::default().code()), "12.50 EUR");
        assert_eq!(shown_or_dash(None::<Money>, "EUR"), "—");
    }
}
