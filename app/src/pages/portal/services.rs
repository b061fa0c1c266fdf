use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ServicesPage() -> impl IntoView {
    view! {
        <h1>"Services"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
