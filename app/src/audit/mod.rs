//! The operator audit log: who did what to which record, and when.
//!
//! Every operator action (panel, admin API or CLI) writes one entry in the
//! same transaction as the change, so the log cannot miss a change nor record
//! one that did not happen.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{accounts::User, ids::AdminTokenId, timestamp::Timestamp};
use serde::{Deserialize, Serialize};

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An operator in the admin panel.
    Operator,
    /// A script holding an admin API token.
    AdminToken,
    /// A client in the portal (applying to the programme).
    Client,
    /// The `fluxbilling` command line.
    Cli,
    /// The server itself (scheduled jobs).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::AdminToken => "admin_token",
            Self::Client => "client",
            Self::Cli => "cli",
            Self::System => "system",
        }
    }
}

impl TryFrom<String> for ActorKind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        [Self::Operator, Self::AdminToken, Self::Client, Self::Cli, Self::System]
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| format!("unknown actor kind `{raw}`"))
    }
}

/// The authenticated party behind an action, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// `usr_...` or `atk_...`; none for the CLI and the system.
    pub id: Option<String>,
    /// An email or a token name: readable without a join.
    pub name: String,
}

impl Actor {
    pub fn user(user: &User) -> Self {
        let kind = match user.role {
            crate::accounts::Role::Operator => ActorKind::Operator,
            crate::accounts::Role::Client => ActorKind::Client,
        };
        Actor {
            kind,
            id: Some(user.id.to_string()),
            name: user.email.clone(),
        }
    }

    pub fn admin_token(id: &AdminTokenId, name: &str) -> Self {
        Actor {
            kind: ActorKind::AdminToken,
            id: Some(id.to_string()),
            name: format!("admin token `{name}`"),
        }
    }

    pub fn cli() -> Self {
        Actor {
            kind: ActorKind::Cli,
            id: None,
            name: "command line".to_owned(),
        }
    }

    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: "system".to_owned(),
        }
    }

    /// The reference stored in `approved_by`: the id, else the name.
    pub fn reference(&self) -> String {
        self.id.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_name: String,
    /// `reseller.approve`, `product.create`, `price_book.put`...
    pub action: String,
    /// `reseller`, `product`, `price_book_row`...
    pub subject_type: String,
    pub subject_id: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(json(nullable)))]
    pub details: Option<serde_json::Value>,
}

impl AuditEntry {
    /// What an entry changed, for people: its reason, else the fields of
    /// `details` whose `old` and `new` differ (`rate_limit: 1000 → 500`).
    pub fn summary(&self) -> String {
        if let Some(reason) = &self.reason {
            return reason.clone();
        }
        let Some(serde_json::Value::Object(fields)) = &self.details else {
            return String::new();
        };
        fields
            .iter()
            .filter_map(|(field, change)| {
                let (old, new) = (change.get("old")?, change.get("new")?);
                (old != new).then(|| format!("{field}: {} → {}", plain(old), plain(new)))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A JSON value as text: strings without their quotes.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Which operator audit entries to list, newest first (the cursor is an
/// entry id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub action: Option<String>,
    pub page: crate::lists::PageRequest<i64>,
}

impl AuditFilter {
    /// From a query or form: every value optional, blank means absent.
    pub fn parse(
        action: Option<&str>,
        subject_type: Option<&str>,
        subject_id: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> crate::error::AppResult<Self> {
        use crate::lists::blank_to_none;
        Ok(AuditFilter {
            action: blank_to_none(action).map(str::to_owned),
            subject_type: blank_to_none(subject_type).map(str::to_owned),
            subject_id: blank_to_none(subject_id).map(str::to_owned),
            page: crate::lists::PageRequest::parse(limit, cursor)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(reason: Option<&str>, details: Option<serde_json::Value>) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: Timestamp::now(),
            actor_kind: ActorKind::Operator,
            actor_id: None,
            actor_name: "ops@example.com".into(),
            action: "reseller.update".into(),
            subject_type: "reseller".into(),
            subject_id: "rsl_x".into(),
            from_status: None,
            to_status: None,
            reason: reason.map(str::to_owned),
            details,
        }
    }

    #[test]
    fn a_summary_names_what_changed_or_why() {
        let details = serde_json::json!({
            "api_enabled": { "old": true, "new": false },
            "rate_limit": { "old": 1000, "new": 1000 },
            "default_discount_rate": { "old": "10", "new": "12.5" },
        });
        let summary = entry(None, Some(details)).summary();
        let mut parts: Vec<&str> = summary.split("; ").collect();
        parts.sort();
        assert_eq!(parts, ["api_enabled: true → false", "default_discount_rate: 10 → 12.5"]);
        assert_eq!(entry(Some("unpaid"), None).summary(), "unpaid");
        assert_eq!(entry(None, None).summary(), "");
    }
}
