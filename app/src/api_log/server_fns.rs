//! The admin panel's API logs page, and the reseller's own requests on
//! API Settings.

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
            super::service::requests(&state.store, &filter).await
        }
        .await,
    )
}

/// Requests per page on the portal's API Settings, a screen's worth.
pub const MY_PAGE_SIZE: u32 = 20;

/// Clients: their own requests, newest first, optionally of one status
/// and a path beginning with `path`.
#[server(prefix = "/api/fn")]
pub async fn my_api_requests(
    status: Option<String>,
    path: Option<String>,
    before: Option<String>,
) -> Result<Page<ApiRequest>, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = ApiRequestFilter::parse(
                None,
                status.as_deref(),
                None,
                None,
                None,
                before.as_deref(),
                Some(MY_PAGE_SIZE),
            )?
            .with_path_prefix(path.as_deref())?;
            super::service::requests_of(&state.store, &reseller.id, filter).await
        }
        .await,
    )
}
