//! `/portal/customers`: end customers by external id, each with its services.

use super::services::ServiceTable;
use crate::{
    components::{Alert, EmptyState, Loading},
    customers::server_fns::my_customers,
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let page = Resource::new(
        move || (param("q"), param("before")),
        |(q, before)| my_customers(q, before),
    );
    view! {
        <h1>"Customers"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Search customers">
            <div class="field">
                <label for="customer-search">"External id"</label>
                <input id="customer-search" type="search" name="q" value=move || param("q")/>
            </div>
            <button type="submit" class="secondary">"Search"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(p) if p.page.data.is_empty() => view! { <EmptyState text="No customers found."/> }.into_any(),
                    Ok(p) => {
                        let next = p.page.next_cursor.map(|c| view! { <p><a href=format!("/portal/customers?before={c}")>"More customers"</a></p> });
                        let (names, code) = (p.product_names, p.currency);
                        view! {
                            {p.page.data
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
                                            </p>
                                            <ServiceTable services=item.services names=names.clone() currency=code.clone()/>
                                        </section>
                                    }
                                })
                                .collect_view()}
                            {next}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
