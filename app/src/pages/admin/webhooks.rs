use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <h1>"Webhooks"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
