//! `/audit-log`: operator actions, newest first, paged by `cursor`.

use super::Operator;
use crate::{json::ApiQuery, problem::ApiResult};
use app::{
    audit::{self, AuditEntry, AuditFilter},
    lists::Page,
    state::AppState,
};
use axum::{Json, Router, extract::State, routing::get};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit-log", get(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    action: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let filter = AuditFilter::parse(
        q.action.as_deref(),
        q.subject_type.as_deref(),
        q.subject_id.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(audit::service::entries(&state.store, &filter).await?))
}
