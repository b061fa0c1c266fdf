//! The operator audit log: who did what to which record, and when.
//!
//! Every operator action (panel, admin API or CLI) writes one entry in the
//! same transaction as the change, so the log cannot miss a change nor record
//! one that did not happen.

pub mod server_fns;

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
