//! `/admin/resellers/:id/history`: the reseller's status changes and
//! settings changes, newest first, and the way to everything about it in
//! the audit log.

use super::use_reseller;
use crate::{components::Loaded, pages::admin::audit_log::AuditTable};
use leptos::prelude::*;

#[component]
pub fn HistoryTab() -> impl IntoView {
    let ctx = use_reseller();
    let detail = ctx.load_detail();
    view! {
        <Loaded resource=detail quiet=true let:d>
            <AuditTable entries=d.history subjects=false empty="No history yet."/>
        </Loaded>
        <p>
            <a href=move || format!("/admin/audit-log?subject={}", ctx.id.get())>
                "Everything about this reseller in the audit log"
            </a>
        </p>
    }
}
