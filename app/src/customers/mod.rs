//! A reseller's end customers, known by the reseller's own `external_id`
//! (created with their first order, reused after).

pub mod server_fns;

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
