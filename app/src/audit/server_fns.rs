//! The admin panel's audit log.

use super::AuditEntry;
use crate::error::AppError;
use leptos::prelude::*;

pub const PAGE_SIZE: i64 = 100;

/// Operators: entries newest first, optionally one action or one subject,
/// older than `before` (an entry id) for paging.
#[server(prefix = "/api/fn")]
pub async fn admin_audit_log(
    action: Option<String>,
    subject_id: Option<String>,
    before: Option<i64>,
) -> Result<Vec<AuditEntry>, AppError> {
    use crate::{
        accounts::{Role, session},
        store::AuditFilter,
    };
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            Ok(state
                .store
                .list_audit(&AuditFilter {
                    action: clean(action),
                    subject_id: clean(subject_id),
                    before,
                    limit: PAGE_SIZE,
                    ..AuditFilter::default()
                })
                .await?)
        }
        .await,
    )
}
