use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ApiSettingsPage() -> impl IntoView {
    view! {
        <h1>"API Settings"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
