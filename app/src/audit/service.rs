//! Reading the audit log. Entries are written by each use case in its own
//! transaction (`StoreTx::insert_audit`), never on their own.

use super::{AuditEntry, AuditFilter};
use crate::{error::AppResult, lists::Page, store::Store};

/// Entries newest first, filtered, one page (operators).
pub async fn entries(store: &Store, filter: &AuditFilter) -> AppResult<Page<AuditEntry>> {
    Ok(store.list_audit(filter).await?)
}

/// The entries about one record (`subject_type`, `subject_id`), newest
/// first, at most `limit`.
pub async fn about(store: &Store, subject_type: &str, subject_id: &str, limit: u32) -> AppResult<Vec<AuditEntry>> {
    let filter = AuditFilter {
        subject_type: Some(subject_type.to_owned()),
        subject_id: Some(subject_id.to_owned()),
        page: crate::lists::PageRequest::first(limit),
        ..AuditFilter::default()
    };
    Ok(entries(store, &filter).await?.data)
}
