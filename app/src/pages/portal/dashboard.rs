use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <h1>"Dashboard"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
