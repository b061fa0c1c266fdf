//! Reading the partner API's request log (operators: every reseller's;
//! a reseller: its own, the filter naming it). Entries are written in
//! batches by the server's `partner_api::audit`.

use super::{ApiRequest, ApiRequestFilter};
use crate::{error::AppResult, ids::ResellerId, lists::Page, store::Store};

/// Requests newest first, filtered, one page.
pub async fn requests(store: &Store, filter: &ApiRequestFilter) -> AppResult<Page<ApiRequest>> {
    Ok(store.api_requests(filter).await?)
}

/// `reseller`'s own requests, newest first, filtered, one page (whatever
/// reseller the filter named).
pub async fn requests_of(
    store: &Store,
    reseller: &ResellerId,
    filter: ApiRequestFilter,
) -> AppResult<Page<ApiRequest>> {
    let filter = ApiRequestFilter {
        reseller_id: Some(reseller.clone()),
        ..filter
    };
    requests(store, &filter).await
}
