//! Orders: a reseller buys units of priced products for one end customer.
//! Each unit becomes a service; the price is the book's, locked on the line
//! at order time.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    accounts::Email,
    error::{AppError, AppResult, ErrorCode},
    ids::{CustomerId, OrderId, ProductId, ServiceId},
    lists::{PageRequest, optional},
    money::Money,
    services::Service,
    terms::{BillingTerm, TermPrices},
    timestamp::Timestamp,
    webhooks::{EventType, NewEvent},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The status of an accepted order (services then follow their own lives).
pub const ORDER_PLACED: &str = "placed";

pub const MAX_LINES: usize = 50;
/// Default of `FLUX_MAX_UNITS_PER_ORDER`: units (services) one order may
/// create in all its lines. Each unit is a service row, an event, a
/// delivery and a queue job written in the order's transaction.
pub const DEFAULT_MAX_UNITS_PER_ORDER: u32 = 100;

/// The end customer, by your own id (created on first use, reused after).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerRef {
    /// No control characters; surrounding spaces are trimmed.
    #[cfg_attr(
        feature = "ssr",
        schema(
            example = "c-42",
            min_length = 1,
            max_length = 128,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub external_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    pub product_id: ProductId,
    pub term: BillingTerm,
    #[serde(deserialize_with = "whole_number")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 100))]
    pub quantity: u32,
}

/// A JSON integer, also when written with a zero fraction (`2.0`): JSON
/// Schema calls that an integer, and some JSON encoders write every number
/// so. Anything else (a fraction, out of range) is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_u64(), n.as_f64()) {
        (Some(u), _) => Some(u),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Some(f as u64),
        _ => None,
    };
    whole
        .and_then(|u| u32::try_from(u).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a whole number, found {n}")))
}

/// `POST /orders` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub customer: CustomerRef,
    /// 1 to 50 lines, at most 100 units in all (`FLUX_MAX_UNITS_PER_ORDER`).
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 50))]
    pub lines: Vec<OrderLineRequest>,
}

impl OrderRequest {
    /// Checks shape and bounds (at most `max_units` units in all lines);
    /// trims the customer's fields.
    pub fn validate(mut self, max_units: u32) -> AppResult<Self> {
        let ext = self.customer.external_id.trim().to_owned();
        if ext.is_empty() || ext.chars().count() > 128 || ext.chars().any(char::is_control) {
            return Err(AppError::validation(
                "customer.external_id",
                "external_id is 1 to 128 characters.",
            ));
        }
        self.customer.external_id = ext;
        self.customer.name = match self.customer.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if n.chars().count() > 200 => {
                return Err(AppError::validation("customer.name", "name is at most 200 characters."));
            }
            other => other.map(str::to_owned),
        };
        self.customer.email = match self.customer.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(raw) => Some(
                Email::parse(raw)
                    .map_err(|_| AppError::validation("customer.email", "email is not a valid address."))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(AppError::validation(
                "lines",
                format!("An order has 1 to {MAX_LINES} lines."),
            ));
        }
        let mut units: u64 = 0;
        for (i, line) in self.lines.iter().enumerate() {
            if line.quantity == 0 || line.quantity > max_units {
                return Err(AppError::validation(
                    &format!("lines[{i}].quantity"),
                    format!("quantity is 1 to {max_units}."),
                ));
            }
            units += u64::from(line.quantity);
        }
        if units > u64::from(max_units) {
            return Err(AppError::validation(
                "lines",
                format!("An order holds at most {max_units} units in all its lines; this one has {units}."),
            ));
        }
        Ok(self)
    }

    /// The distinct products ordered, sorted (the order rows are locked in,
    /// so two concurrent orders never wait on each other crosswise).
    pub fn product_ids(&self) -> Vec<ProductId> {
        let mut ids: Vec<ProductId> = self.lines.iter().map(|l| l.product_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// What the pricing rule knows of one product, read under lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub product_id: ProductId,
    /// An enabled row of an active product.
    pub available: bool,
    pub prices: TermPrices,
    pub setup_fee: Money,
    pub max_quantity: Option<i64>,
    /// Non-terminated services of this product the reseller holds.
    pub units_held: i64,
}

/// The offer of `product` in `offers` if the reseller may buy it
/// (`product_not_available` otherwise): an order's rule, and a change's.
pub fn available_offer<'a>(offers: &'a [Offer], product: &ProductId) -> AppResult<&'a Offer> {
    offers
        .iter()
        .find(|o| &o.product_id == product && o.available)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::ProductNotAvailable,
                format!("Product {product} is not available to you."),
            )
        })
}

impl Offer {
    /// The price on `term` (`term_not_priced` when the book has none).
    pub fn price(&self, term: BillingTerm) -> AppResult<Money> {
        self.prices.get(term).ok_or_else(|| {
            AppError::new(
                ErrorCode::TermNotPriced,
                format!("Product {} is not sold on the {term} term.", self.product_id),
            )
        })
    }

    /// Whether `quantity` more units stay within `max_quantity`.
    pub fn admits(&self, quantity: i64) -> AppResult<()> {
        match self.max_quantity {
            Some(max) if self.units_held + quantity > max => Err(AppError::new(
                ErrorCode::QuantityLimitExceeded,
                format!(
                    "You may hold at most {max} units of product {}; you hold {} and asked for {quantity} more.",
                    self.product_id, self.units_held
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// A priced line: prices are locked at order time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub product_id: ProductId,
    pub term: BillingTerm,
    pub quantity: i64,
    pub unit_price: Money,
    pub setup_fee: Money,
    pub line_total: Money,
}

/// An order's priced lines and their total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedOrder {
    pub lines: Vec<OrderLine>,
    pub total: Money,
}

fn too_large(field: &str) -> AppError {
    AppError::validation(
        field,
        format!(
            "The amount is larger than the largest we record ({} in total per order).",
            Money::MAX
        ),
    )
}

/// Prices every line from the book: the product must be offered
/// (`product_not_available`), the term priced (`term_not_priced`), and the
/// units held plus ordered within `max_quantity` (`quantity_limit_exceeded`).
/// Line totals and the order total must stay below the largest amount
/// storage reads back (`validation_failed`), so nothing is written that
/// could not be read.
pub fn price_order(request: &OrderRequest, offers: &[Offer]) -> AppResult<PricedOrder> {
    let mut wanted: BTreeMap<&ProductId, i64> = BTreeMap::new();
    let mut lines = Vec::with_capacity(request.lines.len());
    for line in &request.lines {
        let offer = available_offer(offers, &line.product_id)?;
        let unit_price = offer.price(line.term)?;
        let quantity = i64::from(line.quantity);
        *wanted.entry(&line.product_id).or_default() += quantity;
        let field = format!("lines[{}].quantity", lines.len());
        let line_total = unit_price
            .checked_add(offer.setup_fee)
            .and_then(|each| each.checked_times(line.quantity))
            .ok_or_else(|| too_large(&field))?;
        lines.push(OrderLine {
            product_id: line.product_id.clone(),
            term: line.term,
            quantity,
            unit_price,
            setup_fee: offer.setup_fee,
            line_total,
        });
    }
    for (product, quantity) in wanted {
        let offer = offers.iter().find(|o| &o.product_id == product).expect("checked above");
        offer.admits(quantity)?;
    }
    let total = lines
        .iter()
        .try_fold(Money::ZERO, |sum, l| sum.checked_add(l.line_total))
        .ok_or_else(|| too_large("lines"))?;
    Ok(PricedOrder { lines, total })
}

/// One pending service per unit ordered, each at its line's locked price.
#[cfg(feature = "ssr")]
pub fn new_services(order: &OrderId, customer: &CustomerId, lines: &[OrderLine], now: Timestamp) -> Vec<Service> {
    lines
        .iter()
        .flat_map(|line| {
            (0..line.quantity).map(move |_| Service {
                id: ServiceId::generate(),
                order_id: order.clone(),
                customer_id: customer.clone(),
                product_id: line.product_id.clone(),
                term: line.term,
                status: crate::services::ServiceStatus::Pending,
                recurring_price: line.unit_price,
                price_locked_at: now,
                started_at: now,
                next_renewal_at: crate::terms::next_renewal(now, line.term),
                suspension_reason: None,
                provisioning: None,
                details: Default::default(),
                cancel_at: None,
                cancel_reason: None,
                scheduled_change: None,
            })
        })
        .collect()
}

/// What an order tells the reseller's webhook endpoint: `order.created`,
/// then one `service.created` per service.
pub fn order_events(order: &Order, services: &[Service]) -> AppResult<Vec<NewEvent>> {
    let mut events = Vec::with_capacity(services.len() + 1);
    events.push(NewEvent::of(EventType::OrderCreated, order)?);
    for service in services {
        events.push(NewEvent::of(EventType::ServiceCreated, service)?);
    }
    Ok(events)
}

/// Which of a reseller's orders to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub customer_id: Option<CustomerId>,
    /// Part of the customer's external id or name, case-insensitive (the
    /// portal's search; people know their customers by name, not `cus_`).
    pub customer: Option<String>,
    pub page: PageRequest<OrderId>,
}

impl OrderFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        customer_id: Option<&str>,
        customer: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        Ok(OrderFilter {
            customer_id: optional("customer_id", customer_id, |c| c.parse().ok())?,
            customer: crate::lists::blank_to_none(customer).map(str::to_owned),
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

/// The order's customer, as the order shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderCustomer {
    pub id: CustomerId,
    pub external_id: String,
}

/// An order, with the services it created and its wholesale total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: OrderId,
    #[cfg_attr(feature = "ssr", schema(example = "placed"))]
    pub status: String,
    pub customer: OrderCustomer,
    pub lines: Vec<OrderLine>,
    pub service_ids: Vec<ServiceId>,
    /// Sum over lines of (unit price + setup fee) x quantity.
    pub wholesale_total: Money,
    #[cfg_attr(feature = "ssr", schema(example = "EUR"))]
    pub currency: String,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: u8) -> ProductId {
        ProductId::parse(&format!("prd_01jd8x2m3n4p5q6r7s8t9v0w{n:02}")).unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn offer(n: u8) -> Offer {
        Offer {
            product_id: pid(n),
            available: true,
            prices: TermPrices {
                monthly: Some(m("19.99")),
                hourly: Some(m("0.0125")),
                ..TermPrices::default()
            },
            setup_fee: m("5"),
            max_quantity: Some(10),
            units_held: 7,
        }
    }

    fn request(lines: Vec<(u8, BillingTerm, u32)>) -> OrderRequest {
        OrderRequest {
            customer: CustomerRef {
                external_id: "c-42".into(),
                name: None,
                email: None,
            },
            lines: lines
                .into_iter()
                .map(|(n, term, quantity)| OrderLineRequest {
                    product_id: pid(n),
                    term,
                    quantity,
                })
                .collect(),
        }
    }

    #[test]
    fn totals_are_exact() {
        let priced = price_order(&request(vec![(1, BillingTerm::Monthly, 3)]), &[offer(1)]).unwrap();
        assert_eq!(priced.lines[0].unit_price, m("19.99"));
        assert_eq!(priced.lines[0].line_total, m("74.97")); // (19.99 + 5) * 3
        let hourly = price_order(&request(vec![(1, BillingTerm::Hourly, 1)]), &[offer(1)]).unwrap();
        assert_eq!(hourly.total, m("5.0125"));
    }

    #[test]
    fn refusals() {
        let codes = |r: AppResult<PricedOrder>| r.unwrap_err().code;
        assert_eq!(
            codes(price_order(&request(vec![(1, BillingTerm::Annual, 1)]), &[offer(1)])),
            ErrorCode::TermNotPriced
        );
        assert_eq!(
            codes(price_order(&request(vec![(2, BillingTerm::Monthly, 1)]), &[offer(1)])),
            ErrorCode::ProductNotAvailable
        );
        let mut disabled = offer(1);
        disabled.available = false;
        assert_eq!(
            codes(price_order(&request(vec![(1, BillingTerm::Monthly, 1)]), &[disabled])),
            ErrorCode::ProductNotAvailable
        );
        // 7 held + 2 + 2 on two lines of the same product > 10
        assert_eq!(
            codes(price_order(
                &request(vec![(1, BillingTerm::Monthly, 2), (1, BillingTerm::Hourly, 2)]),
                &[offer(1)]
            )),
            ErrorCode::QuantityLimitExceeded
        );
        assert!(price_order(&request(vec![(1, BillingTerm::Monthly, 3)]), &[offer(1)]).is_ok());
    }

    #[test]
    fn quantities_are_whole_numbers_with_or_without_a_zero_fraction() {
        let q = |n: &str| {
            let line =
                format!(r#"{{"product_id": "prd_01jd8x2m3n4p5q6r7s8t9v0w01", "term": "monthly", "quantity": {n}}}"#);
            serde_json::from_str::<OrderLineRequest>(&line).map(|l| l.quantity)
        };
        assert_eq!(q("3").unwrap(), 3);
        assert_eq!(q("3.0").unwrap(), 3);
        assert_eq!(q("3e0").unwrap(), 3);
        for bad in ["3.5", "-1", "1e300", "4294967296", "\"3\""] {
            assert!(q(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_beyond_storage_are_refused() {
        let mut dear = offer(1);
        dear.prices.monthly = Some(m("999999999"));
        dear.max_quantity = None;
        let one = price_order(
            &request(vec![(1, BillingTerm::Monthly, 1)]),
            std::slice::from_ref(&dear),
        );
        assert_eq!(one.unwrap_err().code, ErrorCode::ValidationFailed, "price + setup fee");
        dear.setup_fee = Money::ZERO;
        assert!(
            price_order(
                &request(vec![(1, BillingTerm::Monthly, 1)]),
                std::slice::from_ref(&dear)
            )
            .is_ok()
        );
        let two = price_order(
            &request(vec![(1, BillingTerm::Monthly, 1), (1, BillingTerm::Monthly, 1)]),
            &[dear],
        );
        assert_eq!(two.unwrap_err().field.as_deref(), Some("lines"), "the order total");
    }

    #[test]
    fn validation() {
        assert!(request(vec![]).validate(100).is_err());
        assert!(request(vec![(1, BillingTerm::Monthly, 0)]).validate(100).is_err());
        let mut r = request(vec![(1, BillingTerm::Monthly, 1)]);
        r.customer.external_id = "  ".into();
        assert_eq!(
            r.validate(100).unwrap_err().field.as_deref(),
            Some("customer.external_id")
        );
        let mut r = request(vec![(1, BillingTerm::Monthly, 1)]);
        r.customer.email = Some("nope".into());
        assert!(r.validate(100).is_err());
        assert!(
            request(vec![(1, BillingTerm::Monthly, 60), (2, BillingTerm::Monthly, 40)])
                .validate(100)
                .is_ok()
        );
        let over = request(vec![(1, BillingTerm::Monthly, 60), (2, BillingTerm::Monthly, 41)]).validate(100);
        assert_eq!(over.unwrap_err().field.as_deref(), Some("lines"), "101 units in all");
    }
}
