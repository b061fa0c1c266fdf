use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <h1>"Audit log"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
