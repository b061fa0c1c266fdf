//! `/audit-log`: operator actions, newest first, paged by `cursor`.

use super::Operator;
use crate::{
    json::{ApiQuery, Page, clamp_limit},
    problem::{ApiError, ApiResult},
};
use app::{audit::AuditEntry, error::AppError, state::AppState, store::AuditFilter};
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
    let limit = clamp_limit(q.limit)?;
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            ApiError(AppError::validation(
                "cursor",
                "Use the next_cursor of the previous page.",
            ))
        })?),
        None => None,
    };
    let entries = state
        .store
        .list_audit(&AuditFilter {
            subject_type: q.subject_type,
            subject_id: q.subject_id,
            action: q.action,
            before,
            limit: i64::from(limit) + 1,
        })
        .await
        .map_err(AppError::from)?;
    Ok(Json(Page::from_overfetch(entries, limit, |e| e.id.to_string())))
}
