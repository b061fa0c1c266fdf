//! The operator audit log.

use super::{Store, StoreResult, with_pool};
use crate::{audit::Actor, lists::Page, timestamp::Timestamp};
use sqlx::{Database, Encode, Type, query::Query, types::Json};

pub use crate::audit::AuditEntry;

/// An entry about to be written, inside the transaction of its change.
#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    pub at: Timestamp,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

impl<'a> NewAuditEntry<'a> {
    pub fn new(actor: &'a Actor, action: &'a str, subject_type: &'a str, subject_id: &'a str, at: Timestamp) -> Self {
        NewAuditEntry {
            at,
            actor,
            action,
            subject_type,
            subject_id,
            from_status: None,
            to_status: None,
            reason: None,
            details: None,
        }
    }
}

pub use crate::audit::AuditFilter;

/// The INSERT for one entry, for either database: callers execute it on
/// their own transaction so the entry commits with the change.
pub(crate) fn insert_audit<'q, DB>(entry: &'q NewAuditEntry<'q>) -> Query<'q, DB, <DB as Database>::Arguments>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<Json<&'q serde_json::Value>>: Encode<'q, DB> + Type<DB>,
    Timestamp: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO operator_audit_log
            (at, actor_kind, actor_id, actor_name, action, subject_type, subject_id,
             from_status, to_status, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.at)
    .bind(entry.actor.kind.as_str())
    .bind(entry.actor.id.as_deref())
    .bind(entry.actor.name.as_str())
    .bind(entry.action)
    .bind(entry.subject_type)
    .bind(entry.subject_id)
    .bind(entry.from_status)
    .bind(entry.to_status)
    .bind(entry.reason)
    .bind(entry.details.as_ref().map(Json))
}

impl super::StoreTx {
    /// Writes the entry in this transaction, so it commits with the change.
    pub async fn insert_audit(&mut self, entry: &NewAuditEntry<'_>) -> StoreResult<()> {
        super::tx::on_tx!(self, t => {
            insert_audit(entry).execute(&mut **t).await?;
        });
        Ok(())
    }
}

impl Store {
    /// Newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Page<AuditEntry>> {
        let rows: Vec<AuditEntry> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, actor_kind, actor_id, actor_name, action, subject_type, subject_id,
                        from_status, to_status, reason, details
                 FROM operator_audit_log
                 WHERE ($1 IS NULL OR subject_type = $1)
                   AND ($2 IS NULL OR subject_id = $2)
                   AND ($3 IS NULL OR action = $3)
                   AND ($4 IS NULL OR id < $4)
                 ORDER BY id DESC
                 LIMIT $5",
            )
            .bind(filter.subject_type.as_deref())
            .bind(filter.subject_id.as_deref())
            .bind(filter.action.as_deref())
            .bind(filter.page.after)
            .bind(filter.page.fetch())
            .fetch_all(pool)
            .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |e| e.id.to_string()))
    }
}
