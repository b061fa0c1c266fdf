//! The partner API's wire types. Handlers return exactly these, and the
//! OpenAPI document is generated from them, so the two cannot drift.

use app::{
    customers::Customer,
    ids::{CustomerId, OrderId, ProductId, ServiceId},
    money::{BillingTerm, Money, TermPrices},
    orders::{CustomerRef, Order, OrderLine, OrderLineRequest, OrderRequest},
    price_book::CatalogItem,
    services::{Service, ServiceStatus},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A billing term.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
    Hourly,
}

impl From<Term> for BillingTerm {
    fn from(t: Term) -> Self {
        match t {
            Term::Monthly => BillingTerm::Monthly,
            Term::Quarterly => BillingTerm::Quarterly,
            Term::SemiAnnual => BillingTerm::SemiAnnual,
            Term::Annual => BillingTerm::Annual,
            Term::Hourly => BillingTerm::Hourly,
        }
    }
}

/// `POST /orders` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    pub customer: CustomerIn,
    /// 1 to 50 lines, at most 100 units in all (`FLUX_MAX_UNITS_PER_ORDER`).
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<LineIn>,
}

/// The end customer, by your own id (created on first use, reused after).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// No control characters; surrounding spaces are trimmed.
    #[schema(
        example = "c-42",
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub external_id: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    #[schema(value_type = String, example = "prd_01jd8x2m3n4p5q6r7s8t9v0w1x", pattern = "^prd_[0-9a-hjkmnp-tv-z]{26}$")]
    pub product_id: ProductId,
    pub term: Term,
    #[schema(minimum = 1, maximum = 100)]
    #[serde(deserialize_with = "crate::json::whole_number")]
    pub quantity: u32,
}

impl From<OrderIn> for OrderRequest {
    fn from(o: OrderIn) -> Self {
        OrderRequest {
            customer: CustomerRef {
                external_id: o.customer.external_id,
                name: o.customer.name,
                email: o.customer.email,
            },
            lines: o
                .lines
                .into_iter()
                .map(|l| OrderLineRequest {
                    product_id: l.product_id,
                    term: l.term.into(),
                    quantity: l.quantity,
                })
                .collect(),
        }
    }
}

/// An order, with the services it created and its wholesale total.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    #[schema(value_type = String, example = "ord_01jd8x2m3n4p5q6r7s8t9v0w1x")]
    pub id: OrderId,
    #[schema(example = "placed")]
    pub status: String,
    pub customer: OrderCustomerOut,
    pub lines: Vec<LineOut>,
    #[schema(value_type = Vec<String>)]
    pub service_ids: Vec<ServiceId>,
    /// Sum over lines of (unit price + setup fee) x quantity.
    #[schema(value_type = String, example = "59.97")]
    pub wholesale_total: Money,
    #[schema(example = "EUR")]
    pub currency: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderCustomerOut {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub external_id: String,
}

/// A priced line: prices are locked at order time.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineOut {
    #[schema(value_type = String)]
    pub product_id: ProductId,
    pub term: Term,
    pub quantity: i64,
    #[schema(value_type = String, example = "19.99")]
    pub unit_price: Money,
    #[schema(value_type = String, example = "0.00")]
    pub setup_fee: Money,
    #[schema(value_type = String, example = "59.97")]
    pub line_total: Money,
}

fn term_of(t: BillingTerm) -> Term {
    match t {
        BillingTerm::Monthly => Term::Monthly,
        BillingTerm::Quarterly => Term::Quarterly,
        BillingTerm::SemiAnnual => Term::SemiAnnual,
        BillingTerm::Annual => Term::Annual,
        BillingTerm::Hourly => Term::Hourly,
    }
}

impl From<OrderLine> for LineOut {
    fn from(l: OrderLine) -> Self {
        LineOut {
            product_id: l.product_id,
            term: term_of(l.term),
            quantity: l.quantity,
            unit_price: l.unit_price,
            setup_fee: l.setup_fee,
            line_total: l.line_total,
        }
    }
}

impl From<Order> for OrderOut {
    fn from(o: Order) -> Self {
        OrderOut {
            id: o.id,
            status: o.status,
            customer: OrderCustomerOut {
                id: o.customer.id,
                external_id: o.customer.external_id,
            },
            lines: o.lines.into_iter().map(LineOut::from).collect(),
            service_ids: o.service_ids,
            wholesale_total: o.wholesale_total,
            currency: o.currency,
            created_at: o.created_at,
        }
    }
}

/// Prices of the terms a product is sold on; unpriced terms are absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricesOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "10.00")]
    pub monthly: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub quarterly: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub semi_annual: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub annual: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "0.0125")]
    pub hourly: Option<Money>,
}

impl From<TermPrices> for PricesOut {
    fn from(p: TermPrices) -> Self {
        PricesOut {
            monthly: p.monthly,
            quarterly: p.quarterly,
            semi_annual: p.semi_annual,
            annual: p.annual,
            hourly: p.hourly,
        }
    }
}

/// A product of your price book.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    #[schema(value_type = String)]
    pub id: ProductId,
    pub name: String,
    pub slug: String,
    /// `vps`, `game_server`, `shared_hosting` or `bare_metal`.
    pub kind: String,
    pub description: String,
    pub prices: PricesOut,
    #[schema(value_type = String, example = "0.00")]
    pub setup_fee: Money,
    /// Units you may hold at once; null: no limit.
    pub max_quantity: Option<i64>,
    /// Non-terminated services of this product you hold now.
    pub units_held: i64,
}

impl From<CatalogItem> for ProductOut {
    fn from(i: CatalogItem) -> Self {
        ProductOut {
            id: i.id,
            name: i.name,
            slug: i.slug,
            kind: i.kind.as_str().to_owned(),
            description: i.description,
            prices: i.prices.into(),
            setup_fee: i.setup_fee,
            max_quantity: i.max_quantity,
            units_held: i.units_held,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Pending,
    Active,
    Suspended,
    Terminated,
}

impl From<ServiceState> for ServiceStatus {
    fn from(s: ServiceState) -> Self {
        match s {
            ServiceState::Pending => ServiceStatus::Pending,
            ServiceState::Active => ServiceStatus::Active,
            ServiceState::Suspended => ServiceStatus::Suspended,
            ServiceState::Terminated => ServiceStatus::Terminated,
        }
    }
}

fn state_of(s: ServiceStatus) -> ServiceState {
    match s {
        ServiceStatus::Pending => ServiceState::Pending,
        ServiceStatus::Active => ServiceState::Active,
        ServiceStatus::Suspended => ServiceState::Suspended,
        ServiceStatus::Terminated => ServiceState::Terminated,
    }
}

/// One unit of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    #[schema(value_type = String)]
    pub id: ServiceId,
    #[schema(value_type = String)]
    pub order_id: OrderId,
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    #[schema(value_type = String)]
    pub product_id: ProductId,
    pub term: Term,
    pub status: ServiceState,
    #[schema(value_type = String, example = "19.99")]
    pub recurring_price: Money,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub next_renewal_at: Timestamp,
}

impl From<Service> for ServiceOut {
    fn from(s: Service) -> Self {
        ServiceOut {
            id: s.id,
            order_id: s.order_id,
            customer_id: s.customer_id,
            product_id: s.product_id,
            term: term_of(s.term),
            status: state_of(s.status),
            recurring_price: s.recurring_price,
            started_at: s.started_at,
            next_renewal_at: s.next_renewal_at,
        }
    }
}

/// An end customer of yours.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Customer> for CustomerOut {
    fn from(c: Customer) -> Self {
        CustomerOut {
            id: c.id,
            external_id: c.external_id,
            name: c.name,
            email: c.email,
            created_at: c.created_at,
        }
    }
}

/// Your profile's status and limits, and the key you called with.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub id: String,
    pub company_name: String,
    /// `active` (other states cannot call the API).
    pub status: String,
    pub api_enabled: bool,
    pub rate_limit: i64,
    pub rate_limit_window_secs: u64,
    #[schema(value_type = String, example = "10")]
    pub default_discount_rate: String,
    pub currency: String,
    pub key: KeyOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    pub prefix: String,
    /// `read` or `orders`.
    pub scope: String,
}

/// A page of a list: pass `next_cursor` as `cursor` for the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An error (RFC 9457): match on `code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemOut {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCodeOut,
    pub field: Option<String>,
}

/// Every machine code the API can answer with (generated from
/// `app::error::ErrorCode::ALL`, see `openapi.rs`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = String)]
pub struct ErrorCodeOut(pub String);
