use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ResellersPage() -> impl IntoView {
    view! {
        <h1>"Resellers"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
