use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ProgramPage() -> impl IntoView {
    view! {
        <h1>"Program overview"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
