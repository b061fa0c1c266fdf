//! The admin panel's API logs page.

use super::ApiRequest;
#[cfg(feature = "ssr")]
use super::ApiRequestFilter;
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;

pub const PAGE_SIZE: u32 = 100;

/// Operators: requests across resellers, newest first.
#[server(prefix = "/api/fn")]
pub async fn admin_api_logs(
    reseller_id: Option<String>,
    status: Option<String>,
    code: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
) -> Result<Page<ApiRequest>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter = ApiRequestFilter::parse(
                reseller_id.as_deref(),
                status.as_deref(),
                code.as_deref(),
                from.as_deref(),
                to.as_deref(),
                before.as_deref(),
                Some(PAGE_SIZE),
            )?;
            Ok(state.store.api_requests(&filter).await?)
        }
        .await,
    )
}
