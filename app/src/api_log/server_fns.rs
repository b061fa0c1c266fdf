//! The admin panel's API logs page.

use super::{ApiRequest, ApiRequestFilter};
use crate::{error::AppError, timestamp::Timestamp};
use leptos::prelude::*;

pub const PAGE_SIZE: u32 = 100;

/// Parses the page's filter fields (shared by the page and the CSV export).
pub fn parse_filter(
    reseller_id: Option<String>,
    status: Option<String>,
    code: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<ApiRequestFilter, AppError> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let time = |field: &str, v: Option<String>| -> Result<Option<Timestamp>, AppError> {
        match clean(v) {
            None => Ok(None),
            // Accepts RFC 3339, or a date (midnight UTC).
            Some(raw) => Timestamp::parse_rfc3339(&raw)
                .or_else(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")))
                .map(Some)
                .ok_or_else(|| AppError::validation(field, "Use a date (2026-11-26) or an RFC 3339 time.")),
        }
    };
    Ok(ApiRequestFilter {
        reseller_id: clean(reseller_id)
            .map(|r| crate::ids::parse_id("reseller_id", &r))
            .transpose()?,
        status: clean(status)
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| AppError::validation("status", "The status is a number such as 429."))
            })
            .transpose()?,
        error_code: clean(code),
        from: time("from", from)?,
        to: time("to", to)?,
        before: clean(before)
            .map(|b| {
                b.parse::<i64>()
                    .map_err(|_| AppError::validation("before", "Not a log position."))
            })
            .transpose()?,
        limit: PAGE_SIZE,
    })
}

/// Operators: requests across resellers, newest first.
#[server(prefix = "/api/fn")]
pub async fn admin_api_logs(
    reseller_id: Option<String>,
    status: Option<String>,
    code: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<Vec<ApiRequest>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter = parse_filter(reseller_id, status, code, from, to, before)?;
            Ok(state.store.api_requests(&filter).await?)
        }
        .await,
    )
}
