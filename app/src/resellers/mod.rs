//! Reseller profiles and their lifecycle (DESIGN.md "Lifecycle of a
//! reseller"): pending -> active <-> suspended, and terminated for good.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult, ErrorCode},
    ids::{ResellerId, UserId},
    money::Percent,
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    pub enum ResellerStatus {
        Pending,
        Active,
        Suspended,
        Terminated,
    }
}

impl ResellerStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::Terminated => "Terminated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    /// Whether a reseller in this status may order and use the partner
    /// API: only active ones. Every entry point (the API's gate, the order
    /// transaction) asks here, so the refusals read the same everywhere.
    pub fn may_order(self) -> AppResult<()> {
        match self {
            Self::Active => Ok(()),
            Self::Suspended => Err(AppError::new(
                ErrorCode::ResellerSuspended,
                "Your reseller account is suspended: requests and orders are refused until it is reactivated.",
            )),
            Self::Pending => Err(AppError::new(
                ErrorCode::ResellerNotActive,
                "Your reseller application has not been approved yet.",
            )),
            Self::Terminated => Err(AppError::new(
                ErrorCode::ResellerNotActive,
                "Your reseller account has been terminated.",
            )),
        }
    }

    /// What the status means for the reseller, in the portal's words.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Pending => {
                "Your application is waiting for review. You will be able to see the catalogue, \
                 place orders and use the API once an operator approves it."
            }
            Self::Active => {
                "Your reseller account is active: you can see your price book, place orders \
                 through the API and receive webhooks."
            }
            Self::Suspended => {
                "Your reseller account is suspended. Your customers' services keep running, but \
                 new orders and API calls are refused and webhooks are held until an operator \
                 reactivates the account."
            }
            Self::Terminated => {
                "Your reseller account has been terminated. The API no longer accepts your keys \
                 and no catalogue is available."
            }
        }
    }

    /// The one rule behind "only an active reseller may ...": change its
    /// own API set-up, send test events, have deliveries retried. `to`
    /// completes the refusal: "Only an active reseller can {to}."
    pub fn must_be_active(self, to: &str) -> AppResult<()> {
        if self == Self::Active {
            return Ok(());
        }
        Err(AppError::new(
            ErrorCode::ResellerNotActive,
            format!("Only an active reseller can {to}."),
        ))
    }

    /// Whether the reseller may see its catalogue (read-only when suspended).
    pub fn sees_catalog(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }
}

impl TryFrom<String> for ResellerStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown reseller status `{raw}`"))
    }
}

impl std::fmt::Display for ResellerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::wire_enum! {
    /// What an operator can do to a profile.
    pub enum LifecycleAction {
        Approve,
        Suspend,
        Reactivate,
        Terminate,
    }
}

impl LifecycleAction {
    /// The button text (UI conventions).
    pub fn label(self) -> &'static str {
        match self {
            Self::Approve => "Approve",
            Self::Suspend => "Suspend",
            Self::Reactivate => "Reactivate",
            Self::Terminate => "Terminate",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    /// Suspension and termination record why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Suspend | Self::Terminate)
    }

    /// The state the action leads to.
    pub fn target(self) -> ResellerStatus {
        match self {
            Self::Approve | Self::Reactivate => ResellerStatus::Active,
            Self::Suspend => ResellerStatus::Suspended,
            Self::Terminate => ResellerStatus::Terminated,
        }
    }
}

/// The transition table: the one place that decides which moves exist.
/// pending->active (approve), pending->terminated (application rejected),
/// active->suspended, suspended->active, active|suspended->terminated.
pub fn transition(from: ResellerStatus, action: LifecycleAction) -> AppResult<ResellerStatus> {
    use LifecycleAction as A;
    use ResellerStatus as S;
    let allowed = matches!(
        (from, action),
        (S::Pending, A::Approve)
            | (S::Pending, A::Terminate)
            | (S::Active, A::Suspend)
            | (S::Suspended, A::Reactivate)
            | (S::Active, A::Terminate)
            | (S::Suspended, A::Terminate)
    );
    if allowed {
        Ok(action.target())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidTransition,
            format!(
                "This reseller is {} and cannot be {}.",
                from.as_str(),
                match action {
                    A::Approve => "approved",
                    A::Suspend => "suspended",
                    A::Reactivate => "reactivated",
                    A::Terminate => "terminated",
                }
            ),
        ))
    }
}

/// The actions that are possible from `status`, for showing buttons.
pub fn possible_actions(status: ResellerStatus) -> Vec<LifecycleAction> {
    LifecycleAction::ALL
        .iter()
        .copied()
        .filter(|a| transition(status, *a).is_ok())
        .collect()
}

/// A reseller profile with its account's email and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Reseller {
    pub id: ResellerId,
    pub user_id: UserId,
    pub email: String,
    pub contact_name: String,
    pub company_name: String,
    pub website: Option<String>,
    pub message: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: ResellerStatus,
    pub default_discount_rate: Percent,
    pub rate_limit: i64,
    pub api_enabled: bool,
    pub applied_at: Timestamp,
    pub approved_at: Option<Timestamp>,
    pub approved_by: Option<String>,
    pub suspended_at: Option<Timestamp>,
    pub suspension_reason: Option<String>,
    pub terminated_at: Option<Timestamp>,
    pub termination_reason: Option<String>,
    pub status_changed_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A company name: 2 to 120 characters.
pub fn parse_company_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(2..=120).contains(&len) || name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "company_name",
            "Enter a company name of 2 to 120 characters.",
        ));
    }
    Ok(name.to_owned())
}

/// An optional website: blank, or an http(s) URL of up to 200 characters.
pub fn parse_website(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(site) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok = (site.starts_with("https://") || site.starts_with("http://"))
        && site.len() <= 200
        && site.contains('.')
        && !site.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(AppError::validation(
            "website",
            "Enter the website as https://example.com, or leave it blank.",
        ));
    }
    Ok(Some(site.to_owned()))
}

/// Free text up to `max` characters; blank is none.
pub fn parse_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(AppError::validation(field, format!("Keep it under {max} characters.")));
    }
    Ok(Some(text.to_owned()))
}

/// A rate limit: 1 to 1,000,000 requests per window.
pub fn parse_rate_limit(raw: i64) -> AppResult<i64> {
    if !(1..=1_000_000).contains(&raw) {
        return Err(AppError::validation(
            "rate_limit",
            "The rate limit must be between 1 and 1000000 requests per window.",
        ));
    }
    Ok(raw)
}

pub fn parse_discount_rate(field: &str, raw: &str) -> AppResult<Percent> {
    Percent::parse(raw).map_err(|e| AppError::validation(field, format!("The discount rate {e}.")))
}

/// A reason for suspending or terminating: required, up to 500 characters.
pub fn parse_reason(raw: Option<&str>) -> AppResult<String> {
    parse_text("reason", raw, 500)?
        .ok_or_else(|| AppError::validation("reason", "Give a reason; it is recorded in the audit log."))
}

/// An application from the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub company_name: String,
    pub website: Option<String>,
    pub message: Option<String>,
}

impl Application {
    pub fn parse(company_name: &str, website: Option<&str>, message: Option<&str>) -> AppResult<Self> {
        Ok(Application {
            company_name: parse_company_name(company_name)?,
            website: parse_website(website)?,
            message: parse_text("message", message, 2000)?,
        })
    }
}

/// Operator-editable settings of a profile (PATCH): absent fields stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResellerPatch {
    pub api_enabled: Option<bool>,
    pub rate_limit: Option<i64>,
    pub default_discount_rate: Option<Percent>,
}

/// Which profiles the operator lists, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResellerFilter {
    pub status: Option<ResellerStatus>,
    /// Matches company name or email, case-insensitively.
    pub search: Option<String>,
    /// Lowest balance (who owes most) first, up to `BY_BALANCE_LIMIT`
    /// rows on one page, instead of oldest first.
    pub by_balance: bool,
    pub page: crate::lists::PageRequest<ResellerId>,
}

/// The rows a list by balance shows (it has one page).
pub const BY_BALANCE_LIMIT: u32 = 200;

impl ResellerFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        status: Option<&str>,
        search: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> AppResult<Self> {
        use crate::lists::{PageRequest, blank_to_none, optional};
        Ok(ResellerFilter {
            status: optional("status", status, ResellerStatus::parse)?,
            search: blank_to_none(search).map(str::to_owned),
            by_balance: false,
            page: PageRequest::parse(limit, cursor)?,
        })
    }

    /// `sort`: blank (oldest first) or `balance` (lowest balance first).
    pub fn sorted(mut self, sort: Option<&str>) -> AppResult<Self> {
        self.by_balance = match crate::lists::blank_to_none(sort) {
            None => false,
            Some("balance") => true,
            Some(other) => {
                return Err(AppError::validation(
                    "sort",
                    format!("`{other}` is not a sort order: leave it blank or use balance."),
                ));
            }
        };
        if self.by_balance {
            self.page = crate::lists::PageRequest::first(BY_BALANCE_LIMIT);
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleAction as A;
    use ResellerStatus as S;

    /// Every (state, action) pair, against the table in DESIGN.md.
    #[test]
    fn the_whole_transition_table() {
        let expected = [
            (S::Pending, A::Approve, Some(S::Active)),
            (S::Pending, A::Suspend, None),
            (S::Pending, A::Reactivate, None),
            (S::Pending, A::Terminate, Some(S::Terminated)),
            (S::Active, A::Approve, None),
            (S::Active, A::Suspend, Some(S::Suspended)),
            (S::Active, A::Reactivate, None),
            (S::Active, A::Terminate, Some(S::Terminated)),
            (S::Suspended, A::Approve, None),
            (S::Suspended, A::Suspend, None),
            (S::Suspended, A::Reactivate, Some(S::Active)),
            (S::Suspended, A::Terminate, Some(S::Terminated)),
            (S::Terminated, A::Approve, None),
            (S::Terminated, A::Suspend, None),
            (S::Terminated, A::Reactivate, None),
            (S::Terminated, A::Terminate, None),
        ];
        for (from, action, to) in expected {
            match (transition(from, action), to) {
                (Ok(got), Some(want)) => assert_eq!(got, want, "{from} {action:?}"),
                (Err(e), None) => assert_eq!(e.code, ErrorCode::InvalidTransition),
                (got, want) => panic!("{from} {action:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn nothing_leaves_terminated() {
        assert!(possible_actions(S::Terminated).is_empty());
        assert_eq!(possible_actions(S::Pending), vec![A::Approve, A::Terminate]);
    }

    #[test]
    fn application_fields() {
        assert!(Application::parse("Northwind", Some("https://northwind.example"), None).is_ok());
        assert_eq!(
            Application::parse("N", None, None).unwrap_err().field.as_deref(),
            Some("company_name")
        );
        assert_eq!(
            Application::parse("Northwind", Some("northwind"), None)
                .unwrap_err()
                .field
                .as_deref(),
            Some("website")
        );
        assert_eq!(
            Application::parse("Northwind", Some(" "), Some("")).unwrap().website,
            None
        );
        assert!(parse_reason(Some("  ")).is_err());
        assert!(parse_rate_limit(0).is_err());
    }
}
