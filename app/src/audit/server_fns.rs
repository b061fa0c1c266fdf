//! The admin panel's audit log.

use super::AuditEntry;
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;

pub const PAGE_SIZE: u32 = 100;

/// Operators: entries newest first, optionally one action or one subject,
/// older than `before` (an entry id) for paging.
#[server(prefix = "/api/fn")]
pub async fn admin_audit_log(
    action: Option<String>,
    subject_id: Option<String>,
    before: Option<String>,
) -> Result<Page<AuditEntry>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter = super::AuditFilter::parse(
                action.as_deref(),
                None,
                subject_id.as_deref(),
                before.as_deref(),
                Some(PAGE_SIZE),
            )?;
            super::service::entries(&state.store, &filter).await
        }
        .await,
    )
}
