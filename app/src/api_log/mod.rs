//! The partner API request log: every request, rejected ones included.
//! Written in batches off the request path (see the server's
//! `partner_api::audit`), read by operators (all) and resellers (their own).

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult},
    ids::ResellerId,
    lists::{PageRequest, blank_to_none, optional},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

/// One logged request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApiRequest {
    pub id: i64,
    pub request_id: String,
    pub at: Timestamp,
    pub reseller_id: Option<ResellerId>,
    pub key_prefix: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub duration_us: i64,
    pub client_addr: String,
}

/// A request about to be logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiRequest {
    pub request_id: String,
    pub at: Timestamp,
    pub reseller_id: Option<ResellerId>,
    pub key_prefix: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub duration_us: i64,
    pub client_addr: String,
}

/// Which requests to list, newest first (the cursor is a log position).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiRequestFilter {
    pub reseller_id: Option<ResellerId>,
    pub status: Option<i64>,
    pub error_code: Option<String>,
    /// The path (and query) as sent begins with this (the portal's filter).
    pub path_prefix: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub page: PageRequest<i64>,
}

/// The longest path prefix a filter takes.
pub const PATH_PREFIX_MAX: usize = 200;

impl ApiRequestFilter {
    /// From a query or form (the admin panel, its CSV export and the admin
    /// API): every value optional, blank means absent; times are RFC 3339
    /// or a date (midnight UTC), `to` exclusive.
    pub fn parse(
        reseller_id: Option<&str>,
        status: Option<&str>,
        code: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        let time =
            |raw: &str| Timestamp::parse_rfc3339(raw).or_else(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")));
        let status = optional("status", status, |s| {
            s.parse::<i64>().ok().filter(|n| (100..=599).contains(n))
        })?;
        Ok(ApiRequestFilter {
            reseller_id: optional("reseller_id", reseller_id, |r| r.parse().ok())?,
            status,
            error_code: blank_to_none(code).map(str::to_owned),
            path_prefix: None,
            from: optional("from", from, time)?,
            to: optional("to", to, time)?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }

    /// Only requests whose path begins with `raw` (blank: any path).
    pub fn with_path_prefix(mut self, raw: Option<&str>) -> AppResult<Self> {
        self.path_prefix = match blank_to_none(raw) {
            None => None,
            Some(p) if !p.starts_with('/') => {
                return Err(AppError::validation(
                    "path",
                    "A path begins with /, as in /api/v1/orders.",
                ));
            }
            Some(p) if p.chars().count() > PATH_PREFIX_MAX => {
                return Err(AppError::validation(
                    "path",
                    format!("A path filter is at most {PATH_PREFIX_MAX} characters."),
                ));
            }
            Some(p) => Some(p.to_owned()),
        };
        Ok(self)
    }
}

/// The log as CSV, for the operator's export.
#[cfg(feature = "ssr")]
pub fn to_csv(rows: &[ApiRequest]) -> String {
    let mut file = crate::csv_file::CsvFile::new(&[
        "id",
        "at",
        "request_id",
        "reseller_id",
        "key_prefix",
        "method",
        "path",
        "status",
        "error_code",
        "duration_ms",
        "client_addr",
    ]);
    for r in rows {
        file.row(&[
            r.id.to_string(),
            r.at.rfc3339(),
            r.request_id.clone(),
            r.reseller_id.as_ref().map(ToString::to_string).unwrap_or_default(),
            r.key_prefix.clone().unwrap_or_default(),
            r.method.clone(),
            r.path.clone(),
            r.status.to_string(),
            r.error_code.clone().unwrap_or_default(),
            format!("{:.3}", r.duration_us as f64 / 1000.0),
            r.client_addr.clone(),
        ]);
    }
    file.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_filter_begins_with_a_slash_and_is_bounded() {
        let filter = |raw: &str| ApiRequestFilter::default().with_path_prefix(Some(raw));
        assert_eq!(filter("  ").unwrap().path_prefix, None);
        assert_eq!(
            filter(" /api/v1/orders ").unwrap().path_prefix.as_deref(),
            Some("/api/v1/orders")
        );
        let error = filter("api/v1").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("path"));
        assert!(error.message.contains("begins with /"), "{}", error.message);
        assert!(filter(&format!("/{}", "a".repeat(PATH_PREFIX_MAX))).is_err());
        assert!(filter(&format!("/{}", "é".repeat(PATH_PREFIX_MAX - 1))).is_ok());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn csv_quotes_what_needs_quoting() {
        let row = ApiRequest {
            id: 7,
            request_id: "req_1".into(),
            at: Timestamp::parse_rfc3339("2026-01-02T03:04:05Z").unwrap(),
            reseller_id: None,
            key_prefix: Some("flux_key_abc".into()),
            method: "GET".into(),
            path: "/api/v1/orders?a=1,2".into(),
            status: 200,
            error_code: None,
            duration_us: 1500,
            client_addr: "127.0.0.1".into(),
        };
        let csv = to_csv(&[row]);
        assert!(csv.ends_with(
            "7,2026-01-02T03:04:05Z,req_1,,flux_key_abc,GET,\"/api/v1/orders?a=1,2\",200,,1.500,127.0.0.1\r\n"
        ));
    }
}
