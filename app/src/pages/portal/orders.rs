use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn OrdersPage() -> impl IntoView {
    view! {
        <h1>"Orders"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
