//! `/portal/services`: every service with status, term, price and renewal.

use super::orders::product_name;
use crate::{
    components::{Alert, EmptyState, Loading, amount},
    services::{Service, ServiceStatus, server_fns::my_services},
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

/// A table of services (also on an order's and a customer's view).
#[component]
pub fn ServiceTable(services: Vec<Service>, names: Vec<(String, String)>, currency: String) -> impl IntoView {
    if services.is_empty() {
        return view! { <EmptyState text="No services."/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Product"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Term"</th>
                        <th scope="col">"Price"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Next renewal"</th>
                    </tr>
                </thead>
                <tbody>
                    {services
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr>
                                    <th scope="row"><code>{s.id.to_string()}</code></th>
                                    <td>{product_name(&names, s.product_id.as_str())}</td>
                                    <td>{s.status.label()}</td>
                                    <td>{s.term.label()}</td>
                                    <td class="num">{amount(Some(s.recurring_price), &currency)}</td>
                                    <td>{s.started_at.date()}</td>
                                    <td>{s.next_renewal_at.short()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let page = Resource::new(
        move || (param("status"), param("before")),
        |(status, before)| my_services(status, before),
    );
    let selected = move || param("status").unwrap_or_default();
    view! {
        <h1>"Services"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter services">
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status">
                    <option value="" selected=move || selected().is_empty()>"All"</option>
                    {ServiceStatus::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.as_str() selected=move || selected() == s.as_str()>{s.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(p) => {
                        let next = p.page.next_cursor.map(|c| view! { <p><a href=format!("/portal/services?before={c}")>"More services"</a></p> });
                        view! {
                            <ServiceTable services=p.page.data names=p.product_names currency=p.currency/>
                            {next}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
