use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ApiLogsPage() -> impl IntoView {
    view! {
        <h1>"API logs"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
