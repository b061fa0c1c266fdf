use crate::components::EmptyState;
use leptos::prelude::*;

#[component]
pub fn CustomersPage() -> impl IntoView {
    view! {
        <h1>"Customers"</h1>
        <EmptyState text="This page is not available yet."/>
    }
}
