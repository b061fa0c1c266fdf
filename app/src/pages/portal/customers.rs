//! `/portal/customers`: end customers by external id or name, each with its
//! services.

use crate::{
    components::{EmptyState, FilterForm, FilterInput, Loaded, NextPage, ServiceTable, use_query_params},
    customers::server_fns::{CustomerPage, my_customers},
};
use leptos::prelude::*;

#[component]
pub fn CustomersPage() -> impl IntoView {
    let param = use_query_params();
    let page = Resource::new(
        move || (param("q"), param("before")),
        |(q, before)| my_customers(q, before),
    );
    view! {
        <h1>"Customers"</h1>
        <FilterForm label="Search customers" submit="Search">
            <FilterInput id="customer-search" label="External id or name" name="q" kind="search"/>
        </FilterForm>
        <Loaded resource=page let:p>
            <Customers page=p/>
        </Loaded>
    }
}

#[component]
fn Customers(page: CustomerPage) -> impl IntoView {
    if page.page.data.is_empty() {
        return view! { <EmptyState text="No customers found."/> }.into_any();
    }
    let next = page.page.next_cursor.map(|c| format!("/portal/customers?before={c}"));
    let (names, code) = (page.product_names, page.currency);
    view! {
        {page
            .page
            .data
            .into_iter()
            .map(|item| {
                let c = item.customer;
                let heading = match &c.name {
                    Some(name) => format!("{} ({name})", c.external_id),
                    None => c.external_id.clone(),
                };
                view! {
                    <section class="customer" aria-label=c.external_id.clone()>
                        <h2>{heading}</h2>
                        <p>
                            <code>{c.id.to_string()}</code>
                            {c.email.map(|e| format!(" · {e}"))}
                            " · since " {c.created_at.date()}
                            " · " <a href=format!("/portal/orders?customer={}", crate::lists::percent_encode(&c.external_id))>"Orders"</a>
                        </p>
                        <ServiceTable services=item.services names=names.clone() currency=code.clone()/>
                    </section>
                }
            })
            .collect_view()}
        <NextPage href=next text="More customers"/>
    }
    .into_any()
}
