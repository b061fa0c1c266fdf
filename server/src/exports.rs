//! Downloads for the panels: the API log as CSV (operators) and monthly
//! statements as CSV (a reseller its own, operators any reseller's). Plain
//! GET routes (browser downloads), authorised by the session cookie.

use app::{
    accounts::{Role, User, session},
    api_log::{ApiRequestFilter, to_csv},
    billing::{Audience, Month, service as billing},
    error::AppError,
    ids::ResellerId,
    lists::PageRequest,
    state::AppState,
};
use axum::{
    Router,
    extract::{Path, Query, State},
    http::HeaderMap,
    response::Response,
    routing::get,
};
use serde::Deserialize;

use crate::{billing::csv_download, problem::ApiError};

/// Rows in one export.
const MAX_ROWS: u32 = 50_000;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/admin/api-logs.csv", get(api_logs_csv))
        .route("/portal/billing/statement.csv", get(my_statement_csv))
        .route("/admin/resellers/{id}/statement.csv", get(reseller_statement_csv))
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
    signed_in(&state, &headers, Role::Operator).await?;
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
    let rows = app::api_log::service::requests(&state.store, &filter).await?;
    Ok(csv_download(to_csv(&rows.data), "api-logs.csv"))
}

/// The session's user, who must have `role`.
async fn signed_in(state: &AppState, headers: &HeaderMap, role: Role) -> Result<User, ApiError> {
    Ok(session::signed_in(state, headers, role).await?)
}

#[derive(Debug, Deserialize)]
struct MonthQuery {
    month: String,
}

async fn my_statement_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, Role::Client).await?;
    let reseller = app::resellers::service::for_user(&state.store, &user)
        .await?
        .ok_or_else(|| AppError::not_found("reseller account"))?;
    statement_csv(&state, &reseller.id, &q.month, Audience::Reseller).await
}

async fn reseller_statement_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, ApiError> {
    signed_in(&state, &headers, Role::Operator).await?;
    let id: ResellerId = crate::json::path_id(&id, "reseller")?;
    app::resellers::service::get(&state.store, &id).await?;
    statement_csv(&state, &id, &q.month, Audience::Operator).await
}

async fn statement_csv(
    state: &AppState,
    reseller: &ResellerId,
    month: &str,
    audience: Audience,
) -> Result<Response, ApiError> {
    let month = Month::parse(month)?;
    let csv = billing::statement_csv(&state.store, reseller, month, audience).await?;
    Ok(csv_download(csv, &format!("statement-{month}.csv")))
}
