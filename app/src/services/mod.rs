//! Services: one per unit ordered. Provisioning outcomes (operator actions)
//! move them between pending, active, suspended and terminated.

pub mod server_fns;

use crate::{
    ids::{CustomerId, OrderId, ProductId, ServiceId},
    money::{BillingTerm, Money},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Pending,
    Active,
    Suspended,
    Terminated,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 4] = [Self::Pending, Self::Active, Self::Suspended, Self::Terminated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Terminated => "terminated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::Terminated => "Terminated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

impl TryFrom<String> for ServiceStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown service status `{raw}`"))
    }
}

/// A service on the wire (DESIGN.md "Wire shapes").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Service {
    pub id: ServiceId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub term: BillingTerm,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: ServiceStatus,
    pub recurring_price: Money,
    pub started_at: Timestamp,
    pub next_renewal_at: Timestamp,
}

/// Filters for listing services.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFilter {
    pub status: Option<ServiceStatus>,
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<OrderId>,
    /// Newest first: ids before this one.
    pub before: Option<ServiceId>,
    pub limit: u32,
}
