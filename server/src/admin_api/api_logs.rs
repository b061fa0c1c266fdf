//! `/api-logs`: the partner request log across resellers.

use super::Operator;
use crate::{
    json::{ApiQuery, Page, clamp_limit},
    problem::ApiResult,
};
use app::{
    api_log::{ApiRequest, server_fns::parse_filter},
    error::AppError,
    state::AppState,
};
use axum::{Json, Router, extract::State, routing::get};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api-logs", get(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    reseller_id: Option<String>,
    status: Option<String>,
    code: Option<String>,
    /// Inclusive start: RFC 3339 time or a date.
    from: Option<String>,
    /// Exclusive end.
    to: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ApiRequest>>> {
    let limit = clamp_limit(q.limit)?;
    let mut filter = parse_filter(q.reseller_id, q.status, q.code, q.from, q.to, q.cursor)?;
    filter.limit = limit + 1;
    let rows = state.store.api_requests(&filter).await.map_err(AppError::from)?;
    Ok(Json(Page::from_overfetch(rows, limit, |r| r.id.to_string())))
}
