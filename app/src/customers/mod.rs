//! A reseller's end customers, known by the reseller's own `external_id`
//! (created with their first order, reused after).

pub mod server_fns;

use crate::{ids::CustomerId, timestamp::Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Customer {
    pub id: CustomerId,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFilter {
    /// Exact match (the API's `external_id` filter).
    pub external_id: Option<String>,
    /// Substring of the external id, case-insensitive (the portal's search).
    pub search: Option<String>,
    /// Newest first: ids before this one.
    pub before: Option<CustomerId>,
    pub limit: u32,
}
