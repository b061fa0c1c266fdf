//! `/provisioning-actions`: every action with its attempts; retry one; the
//! endpoint's (or the operator's) report of a 202's outcome.

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, ApiQuery, path_id},
    problem::ApiResult,
};
use app::{
    ids::ActionId,
    lists::Page,
    provisioning::{Action, ActionDetail, ActionFilter, Report, parse_details, parse_note, service as provisioning},
    state::AppState,
};
use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provisioning-actions", get(list))
        .route("/provisioning-actions/{id}", get(read))
        .route("/provisioning-actions/{id}/retry", post(retry))
        .route("/provisioning-actions/{id}/done", post(done))
        .route("/provisioning-actions/{id}/failed", post(failed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    reseller_id: Option<String>,
    product_id: Option<String>,
    service_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /provisioning-actions`: newest first, filtered.
async fn list(
    State(state): State<AppState>,
    _: Operator,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Action>>> {
    let filter = ActionFilter::parse(
        q.state.as_deref(),
        q.reseller_id.as_deref(),
        q.product_id.as_deref(),
        q.service_id.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(provisioning::actions(&state.store, &filter).await?))
}

async fn read(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ActionDetail>> {
    let id: ActionId = path_id(&id, "provisioning action")?;
    Ok(Json(provisioning::action(&state.store, &id).await?))
}

async fn retry(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Action>> {
    let id: ActionId = path_id(&id, "provisioning action")?;
    Ok(Json(provisioning::retry(&state.store, &operator.actor, &id).await?))
}

/// `done`: the module's details and an optional note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DoneBody {
    #[serde(default)]
    details: Option<serde_json::Value>,
    #[serde(default)]
    note: Option<String>,
}

async fn done(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DoneBody>,
) -> ApiResult<Json<Action>> {
    let id: ActionId = path_id(&id, "provisioning action")?;
    let details = parse_details(body.details.as_ref())
        .map_err(|why| app::error::AppError::validation("details", format!("{why}.")))?;
    let report = Report::Done {
        details,
        note: parse_note("note", body.note.as_deref(), false)?,
    };
    Ok(Json(
        provisioning::report(&state.store, &operator.actor, &id, report).await?,
    ))
}

/// `failed`: why, in words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailedBody {
    error: Option<String>,
}

async fn failed(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FailedBody>,
) -> ApiResult<Json<Action>> {
    let id: ActionId = path_id(&id, "provisioning action")?;
    let error = parse_note("error", body.error.as_deref(), true)?.unwrap_or_default();
    Ok(Json(
        provisioning::report(&state.store, &operator.actor, &id, Report::Failed { error }).await?,
    ))
}
