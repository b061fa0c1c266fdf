use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn ProductsPage() -> impl IntoView {
    view! {
        <h1>"Products"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
