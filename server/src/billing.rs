//! What both APIs share about the reseller account: the transactions
//! query and statements as JSON or CSV.

use crate::problem::ApiError;
use app::{
    billing::{Audience, EntryFilter, Month, service as billing},
    ids::ResellerId,
    lists::PageRequest,
    state::AppState,
};
use axum::{
    Json,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

/// `GET /transactions` (here and in the partner API): newest first.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransactionsQuery {
    /// `order`, `renewal`, `payment`, `credit` or `adjustment`.
    pub kind: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Entries before this time (RFC 3339).
    pub until: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl TransactionsQuery {
    pub fn filter(&self) -> Result<EntryFilter, ApiError> {
        Ok(EntryFilter::parse(
            self.kind.as_deref(),
            self.since.as_deref(),
            self.until.as_deref(),
            self.cursor.as_deref(),
            self.limit,
        )?)
    }
}

/// `GET /statements/{month}` (here and in the partner API): a page of its
/// lines.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// Lines per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A statement as JSON (a page of its lines), or the whole month as CSV
/// when the caller asks for `text/csv`.
pub async fn statement_response(
    state: &AppState,
    headers: &HeaderMap,
    reseller: &ResellerId,
    month: Month,
    query: &StatementQuery,
    audience: Audience,
    filename: &str,
) -> Result<Response, ApiError> {
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        let csv = billing::statement_csv(&state.store, reseller, month, audience).await?;
        return Ok(csv_download(csv, filename));
    }
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let statement = billing::statement(&state.store, &state.settings, reseller, month, &page, audience).await?;
    Ok(Json(statement).into_response())
}

/// A CSV file as a download named `filename`.
pub fn csv_download(csv: String, filename: &str) -> Response {
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
