//! The partner API request log: every request, rejected ones included.
//! Written in batches off the request path (see the server's
//! `partner_api::audit`), read by operators (all) and resellers (their own).

pub mod server_fns;

use crate::{
    error::AppResult,
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
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub page: PageRequest<i64>,
}

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
            from: optional("from", from, time)?,
            to: optional("to", to, time)?,
            page: PageRequest::parse(limit, cursor)?,
        })
    }
}

/// One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return: partners
/// choose their paths and queries) is prefixed with `'`, so it opens as
/// text (OWASP's CSV injection advice). A negative number such as
/// `-12.50` (a charge on a statement) is a number, not a formula, and stays.
pub fn csv_cell(text: &str) -> String {
    let negative_number = text
        .strip_prefix('-')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == '.'));
    let neutral = if !negative_number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// The log as CSV, for the operator's export.
pub fn to_csv(rows: &[ApiRequest]) -> String {
    let field = csv_cell;
    let mut out = String::from(
        "id,at,request_id,reseller_id,key_prefix,method,path,status,error_code,duration_ms,client_addr\r\n",
    );
    for r in rows {
        let cells = [
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
        ];
        out.push_str(&cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn formulas_open_as_text() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for risky in ["+1", "-2+A1", "-", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(risky).trim_start_matches('"').starts_with('\''), "{risky:?}");
        }
        assert_eq!(csv_cell("/api/v1/orders"), "/api/v1/orders");
        assert_eq!(csv_cell("-12.50"), "-12.50", "a negative amount is a number");
    }
}
