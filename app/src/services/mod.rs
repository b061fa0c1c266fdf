//! Services: one per unit ordered. Provisioning outcomes (operator actions)
//! move them between pending, active, suspended and terminated.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::{CustomerId, OrderId, ProductId, ServiceId},
    lists::{PageRequest, optional},
    money::Money,
    provisioning::{Details, ServiceProvisioning},
    terms::BillingTerm,
    timestamp::Timestamp,
    webhooks::EventType,
};
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    pub enum ServiceStatus {
        Pending,
        Active,
        Suspended,
        Terminated,
    }
}

impl ServiceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::Terminated => "Terminated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// When the recurring price was set (ordered, changed, or moved by a
    /// price-book version at a renewal): a version newer than this may move
    /// it at the next renewal.
    pub price_locked_at: Timestamp,
    pub started_at: Timestamp,
    pub next_renewal_at: Timestamp,
    /// Set while suspended: `operator` or `unpaid`.
    pub suspension_reason: Option<SuspensionReason>,
    /// The latest provisioning action's state; `null` when no module was
    /// ever called (a `manual` product's service).
    #[cfg_attr(feature = "ssr", sqlx(json(nullable)))]
    pub provisioning: Option<ServiceProvisioning>,
    /// What the module returned (hostname, IP address, panel URL).
    #[cfg_attr(feature = "ssr", sqlx(json))]
    pub details: Details,
    /// When a scheduled cancellation terminates the service (its renewal
    /// date when it was asked for; the time it ended for one cancelled at
    /// once). `null` otherwise.
    pub cancel_at: Option<Timestamp>,
    /// The reason given with the cancellation.
    pub cancel_reason: Option<String>,
    /// A change waiting for the next renewal (a downgrade, a new term).
    #[cfg_attr(feature = "ssr", sqlx(json(nullable)))]
    pub scheduled_change: Option<crate::changes::ScheduledChange>,
}

/// A service with what its next renewal charges: the partner API's and
/// the service page's view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricedService {
    #[serde(flatten)]
    pub service: Service,
    /// What the next renewal charges: a waiting change's price, else the
    /// price an `at_renewal` price-book version moves it to, else
    /// `recurring_price`.
    pub next_renewal_price: Money,
}

impl Service {
    /// Whether its scheduled cancellation has come: it ends instead of
    /// renewing.
    pub fn cancellation_due(&self, now: Timestamp) -> bool {
        self.status != ServiceStatus::Terminated && self.cancel_at.is_some_and(|at| at <= now)
    }

    /// Whether "Renew now" (and `POST /services/{id}/renew`) applies: an
    /// active service, or one suspended for non-payment (renewed and
    /// unsuspended when the account covers it). Not a pending, terminated
    /// or operator-suspended one, nor one whose cancellation is scheduled.
    pub fn renewable(&self) -> bool {
        // A service whose cancellation is scheduled is not renewed again.
        if self.cancel_at.is_some() {
            return false;
        }
        matches!(
            (self.status, self.suspension_reason),
            (ServiceStatus::Active, _) | (ServiceStatus::Suspended, Some(SuspensionReason::Unpaid))
        )
    }
}

crate::wire_enum! {
    /// Why a service is suspended: by the `operator` (a provisioning
    /// outcome), or `unpaid` (a renewal its reseller's account could not
    /// cover; a payment that covers it lifts the suspension).
    pub enum SuspensionReason {
        Operator,
        Unpaid,
    }
}

crate::wire_enum! {
    /// The provisioning outcomes an operator records.
    pub enum ServiceAction {
        Activate,
        Suspend,
        Unsuspend,
        Terminate,
    }
}

impl ServiceAction {
    pub fn label(self) -> &'static str {
        match self {
            Self::Activate => "Activate",
            Self::Suspend => "Suspend",
            Self::Unsuspend => "Unsuspend",
            Self::Terminate => "Terminate",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    /// The provisioning action that carries this outcome to the module
    /// (none for activation: that is a `create`'s outcome).
    pub fn provisioning(self) -> Option<crate::provisioning::ActionKind> {
        use crate::provisioning::ActionKind as K;
        match self {
            Self::Activate => None,
            Self::Suspend => Some(K::Suspend),
            Self::Unsuspend => Some(K::Unsuspend),
            Self::Terminate => Some(K::Terminate),
        }
    }

    pub fn event(self) -> EventType {
        match self {
            Self::Activate => EventType::ServiceActivated,
            Self::Suspend => EventType::ServiceSuspended,
            Self::Unsuspend => EventType::ServiceUnsuspended,
            Self::Terminate => EventType::ServiceTerminated,
        }
    }
}

/// A service renewed for one term: the period it is charged for and the
/// service as it is after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renewal {
    pub service: Service,
    pub period_start: Timestamp,
}

impl Renewal {
    /// The scheduled renewal: the new period starts where the last ended.
    pub fn of(service: &Service) -> Self {
        Self::from(service, service.next_renewal_at)
    }

    /// A service suspended for non-payment, restored `now`: it starts a new
    /// term today. The terms it spent suspended are not charged (nothing
    /// ran), and its next renewal is a term from now, not one already due.
    pub fn restored(service: &Service, now: Timestamp) -> Self {
        Self::from(service, now)
    }

    fn from(service: &Service, period_start: Timestamp) -> Self {
        let mut renewed = service.clone();
        renewed.next_renewal_at = crate::terms::next_renewal(period_start, service.term);
        Renewal {
            service: renewed,
            period_start,
        }
    }

    /// `service.renewed`: the service, with the period's start.
    pub fn event(&self) -> AppResult<crate::webhooks::NewEvent> {
        let mut event = crate::webhooks::NewEvent::of(EventType::ServiceRenewed, &self.service)?;
        event.data["period_start"] =
            serde_json::to_value(self.period_start).map_err(crate::error::AppError::internal)?;
        Ok(event)
    }
}

/// pending -> active (activate); active -> suspended (suspend);
/// suspended -> active (unsuspend); anything but terminated -> terminated.
pub fn service_transition(from: ServiceStatus, action: ServiceAction) -> AppResult<ServiceStatus> {
    use ServiceAction as A;
    use ServiceStatus as S;
    let to = match (from, action) {
        (S::Pending, A::Activate) => S::Active,
        (S::Active, A::Suspend) => S::Suspended,
        (S::Suspended, A::Unsuspend) => S::Active,
        (S::Pending | S::Active | S::Suspended, A::Terminate) => S::Terminated,
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidTransition,
                format!("A {} service cannot be {}d.", from.as_str(), action.as_str()),
            ));
        }
    };
    Ok(to)
}

/// The actions open to a service in `status`.
pub fn possible_service_actions(status: ServiceStatus) -> Vec<ServiceAction> {
    ServiceAction::ALL
        .iter()
        .copied()
        .filter(|a| service_transition(status, *a).is_ok())
        .collect()
}

/// Which of a reseller's services to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    pub status: Option<ServiceStatus>,
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<OrderId>,
    pub page: PageRequest<ServiceId>,
}

impl ServiceFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        status: Option<&str>,
        customer_id: Option<&str>,
        order_id: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        Ok(ServiceFilter {
            status: optional("status", status, ServiceStatus::parse)?,
            customer_id: optional("customer_id", customer_id, |c| c.parse().ok())?,
            order_id: optional("order_id", order_id, |o| o.parse().ok())?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_transitions() {
        use ServiceAction as A;
        use ServiceStatus as S;
        assert_eq!(service_transition(S::Pending, A::Activate).unwrap(), S::Active);
        assert_eq!(service_transition(S::Active, A::Suspend).unwrap(), S::Suspended);
        assert_eq!(service_transition(S::Suspended, A::Unsuspend).unwrap(), S::Active);
        for s in [S::Pending, S::Active, S::Suspended] {
            assert_eq!(service_transition(s, A::Terminate).unwrap(), S::Terminated);
        }
        assert!(service_transition(S::Pending, A::Suspend).is_err());
        assert!(service_transition(S::Active, A::Activate).is_err());
        assert!(possible_service_actions(S::Terminated).is_empty());
    }
}
