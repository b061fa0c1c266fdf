//! A reseller's end customers, known by the reseller's own `external_id`
//! (created with their first order, reused after).

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{ids::CustomerId, timestamp::Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: CustomerId,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub created_at: Timestamp,
}

impl Customer {
    /// How lists name the customer: "Jane Player (c-42)", or the external
    /// id alone when there is no name.
    pub fn label(&self) -> String {
        match self.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} ({})", self.external_id),
            None => self.external_id.clone(),
        }
    }
}

/// A customer with its services (the portal's Customers page).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerWithServices {
    pub customer: Customer,
    pub services: Vec<crate::services::Service>,
}

/// Which of a reseller's end customers to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// Exact match (the API's `external_id` filter).
    pub external_id: Option<String>,
    /// Part of the external id or the name, case-insensitive (the portal's
    /// search).
    pub search: Option<String>,
    pub page: crate::lists::PageRequest<CustomerId>,
}

impl CustomerFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        external_id: Option<&str>,
        search: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> crate::error::AppResult<Self> {
        use crate::lists::blank_to_none;
        Ok(CustomerFilter {
            external_id: blank_to_none(external_id).map(str::to_owned),
            search: blank_to_none(search).map(str::to_owned),
            page: crate::lists::PageRequest::parse(limit, cursor)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_is_named_by_name_and_external_id() {
        let mut c = Customer {
            id: CustomerId::parse("cus_01jd8x2m3n4p5q6r7s8t9v0w1x").unwrap(),
            external_id: "c-42".into(),
            name: Some("Jane Player".into()),
            email: None,
            created_at: Timestamp::parse_rfc3339("2026-01-02T03:04:05Z").unwrap(),
        };
        assert_eq!(c.label(), "Jane Player (c-42)");
        c.name = Some("  ".into());
        assert_eq!(c.label(), "c-42");
        c.name = None;
        assert_eq!(c.label(), "c-42");
    }
}
