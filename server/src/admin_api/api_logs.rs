//! `/api-logs`: the partner request log across resellers.

use super::Operator;
use crate::{json::ApiQuery, problem::ApiResult};
use app::{
    api_log::{self, ApiRequest, ApiRequestFilter},
    lists::Page,
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
    let filter = ApiRequestFilter::parse(
        q.reseller_id.as_deref(),
        q.status.as_deref(),
        q.code.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(api_log::service::requests(&state.store, &filter).await?))
}
