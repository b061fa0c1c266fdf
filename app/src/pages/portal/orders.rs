//! `/portal/orders` (list, by customer) and `/portal/orders/:id` (lines
//! and services).

use crate::{
    components::{Alert, EmptyState, Loading, amount},
    orders::server_fns::{my_order, my_orders},
};
use leptos::prelude::*;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};

/// The product's name, else its id.
pub fn product_name(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(pid, _)| pid == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| id.to_owned())
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let page = Resource::new(
        move || (param("customer_id"), param("before")),
        |(customer, before)| my_orders(customer, before),
    );
    view! {
        <h1>"Orders"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter orders">
            <div class="field">
                <label for="filter-customer">"Customer id"</label>
                <input id="filter-customer" name="customer_id" value=move || param("customer_id") placeholder="cus_..."/>
            </div>
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(p) if p.page.data.is_empty() => view! { <EmptyState text="No orders yet."/> }.into_any(),
                    Ok(p) => {
                        let code = p.currency.clone();
                        let next = p.page.next_cursor.map(|c| view! { <p><a href=format!("/portal/orders?before={c}")>"Older orders"</a></p> });
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Order"</th>
                                            <th scope="col">"Placed"</th>
                                            <th scope="col">"Customer"</th>
                                            <th scope="col">"Lines"</th>
                                            <th scope="col">"Services"</th>
                                            <th scope="col">"Wholesale total"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {p.page.data
                                            .into_iter()
                                            .map(|o| {
                                                view! {
                                                    <tr>
                                                        <th scope="row"><a href=format!("/portal/orders/{}", o.id)>{o.id.to_string()}</a></th>
                                                        <td>{o.created_at.short()}</td>
                                                        <td>{o.customer.external_id}</td>
                                                        <td class="num">{o.lines.len()}</td>
                                                        <td class="num">{o.service_ids.len()}</td>
                                                        <td class="num">{amount(Some(o.wholesale_total), &code)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {next}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(move || params.read().get("id").unwrap_or_default(), my_order);
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <h1>"Order"</h1> <Alert error/> }.into_any(),
                    Ok(d) => {
                        let o = d.order;
                        let code = o.currency.clone();
                        let names = d.product_names;
                        view! {
                            <h1>{format!("Order {}", o.id)}</h1>
                            <p><a href="/portal/orders">"All orders"</a></p>
                            <dl class="facts">
                                <dt>"Placed"</dt>
                                <dd>{o.created_at.short()}</dd>
                                <dt>"Customer"</dt>
                                <dd>{o.customer.external_id.clone()} " (" <code>{o.customer.id.to_string()}</code> ")"</dd>
                                <dt>"Status"</dt>
                                <dd>{o.status.clone()}</dd>
                                <dt>"Wholesale total"</dt>
                                <dd>{amount(Some(o.wholesale_total), &code)}</dd>
                            </dl>
                            <h2>"Lines"</h2>
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Product"</th>
                                            <th scope="col">"Term"</th>
                                            <th scope="col">"Quantity"</th>
                                            <th scope="col">"Unit price"</th>
                                            <th scope="col">"Setup fee"</th>
                                            <th scope="col">"Line total"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {o.lines
                                            .iter()
                                            .map(|l| {
                                                view! {
                                                    <tr>
                                                        <th scope="row">{product_name(&names, l.product_id.as_str())}</th>
                                                        <td>{l.term.label()}</td>
                                                        <td class="num">{l.quantity}</td>
                                                        <td class="num">{amount(Some(l.unit_price), &code)}</td>
                                                        <td class="num">{amount(Some(l.setup_fee), &code)}</td>
                                                        <td class="num">{amount(Some(l.line_total), &code)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <h2>"Services"</h2>
                            <super::services::ServiceTable services=d.services names=names.clone() currency=code.clone()/>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
