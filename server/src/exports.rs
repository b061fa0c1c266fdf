//! Downloads for the admin panel: the API log as CSV. A plain GET route
//! (a browser download), authorised by the operator's session cookie.

use app::{
    accounts::{Role, service as accounts, session::token_from_headers},
    api_log::{ApiRequestFilter, to_csv},
    error::AppError,
    lists::PageRequest,
    state::AppState,
};
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use crate::problem::ApiError;

/// Rows in one export.
const MAX_ROWS: u32 = 50_000;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/api-logs.csv", get(api_logs_csv))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct Filter {
    reseller_id: Option<String>,
    status: Option<String>,
    code: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn api_logs_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Result<Response, ApiError> {
    let token = token_from_headers(&headers).ok_or_else(AppError::unauthenticated)?;
    let user = accounts::session_user(&state.store, &token, state.settings.session_idle)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if user.role != Role::Operator {
        return Err(AppError::forbidden().into());
    }
    let mut filter = ApiRequestFilter::parse(
        f.reseller_id.as_deref(),
        f.status.as_deref(),
        f.code.as_deref(),
        f.from.as_deref(),
        f.to.as_deref(),
        None,
        None,
    )?;
    filter.page = PageRequest::first(MAX_ROWS);
    let rows = state.store.api_requests(&filter).await.map_err(AppError::from)?;
    let mut response = to_csv(&rows.data).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"api-logs.csv\""),
    );
    Ok(response)
}
