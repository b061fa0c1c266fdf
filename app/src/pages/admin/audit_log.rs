//! `/admin/audit-log`: every operator action, newest first.

use crate::{
    audit::{AuditEntry, server_fns::admin_audit_log},
    components::{DataTable, FilterForm, FilterInput, Loaded, NextPage, use_query_params},
};
use leptos::prelude::*;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let param = use_query_params();
    let entries = Resource::new(
        move || (param("action"), param("subject"), param("before")),
        |(action, subject, before)| admin_audit_log(action, subject, before.and_then(|b| b.parse().ok())),
    );
    view! {
        <h1>"Audit log"</h1>
        <FilterForm label="Filter the audit log">
            <FilterInput id="audit-action" label="Action" name="action" placeholder="reseller.approve"/>
            <FilterInput id="audit-subject" label="Subject id" name="subject" placeholder="rsl_..."/>
        </FilterForm>
        <Loaded resource=entries let:page>
            <AuditTable entries=page.data subjects=true empty="No entries."/>
            <NextPage href=page.next_cursor.map(|id| format!("/admin/audit-log?before={id}")) text="Older entries"/>
        </Loaded>
    }
}

/// Audit entries, newest first: who did what, the status change and its
/// reason, or what a settings change changed. `subjects` adds the subject
/// column (the log of everything; a reseller's history has one subject).
#[component]
pub fn AuditTable(entries: Vec<AuditEntry>, subjects: bool, #[prop(into)] empty: String) -> impl IntoView {
    let mut columns = vec!["When", "Who", "Action"];
    if subjects {
        columns.push("Subject");
    }
    columns.extend(["From", "To", "Reason or change"]);
    let row = move |e: AuditEntry| {
        let details = e.summary();
        view! {
            <tr>
                <td>{e.at.short()}</td>
                <td>{e.actor_name}</td>
                <td>{e.action}</td>
                {subjects.then(|| view! { <td><code>{e.subject_id}</code></td> })}
                <td>{e.from_status.unwrap_or_default()}</td>
                <td>{e.to_status.unwrap_or_default()}</td>
                <td>{details}</td>
            </tr>
        }
    };
    view! { <DataTable columns rows=entries row empty/> }
}
