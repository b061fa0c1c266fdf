//! `/portal/orders` (list, searchable by customer) and `/portal/orders/:id`
//! (lines and services).

use crate::{
    components::{
        DataTable, FilterForm, FilterInput, Loaded, NextPage, ServiceTable, amount, product_name, use_query_params,
    },
    lists::percent_encode,
    orders::{
        Order, OrderLine,
        server_fns::{OrderDetail, my_order, my_orders},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn OrdersPage() -> impl IntoView {
    let param = use_query_params();
    let page = Resource::new(
        move || (param("customer_id"), param("customer"), param("before")),
        |(customer_id, customer, before)| my_orders(customer_id, customer, before),
    );
    let older = move |cursor: String| {
        let customer = param("customer").map(|c| format!("&customer={}", percent_encode(&c)));
        format!("/portal/orders?before={cursor}{}", customer.unwrap_or_default())
    };
    view! {
        <h1>"Orders"</h1>
        <FilterForm label="Filter orders">
            <FilterInput id="filter-customer" label="Customer" name="customer" kind="search" placeholder="External id or name"/>
        </FilterForm>
        <Loaded resource=page let:p>
            <OrderTable orders=p.page.data currency=p.currency.clone() lines=true/>
            <NextPage href=p.page.next_cursor.map(older) text="Older orders"/>
        </Loaded>
    }
}

/// Orders with customer and wholesale total (also the dashboard's recent
/// orders, there without the lines column).
#[component]
pub fn OrderTable(orders: Vec<Order>, currency: String, lines: bool) -> impl IntoView {
    let mut columns = vec!["Order", "Placed", "Customer"];
    if lines {
        columns.push("Lines");
    }
    columns.extend(["Services", "Wholesale total"]);
    let row = move |o: Order| {
        view! {
            <tr>
                <th scope="row"><a href=format!("/portal/orders/{}", o.id)>{o.id.to_string()}</a></th>
                <td>{o.created_at.short()}</td>
                <td>{o.customer.external_id}</td>
                {lines.then(|| view! { <td class="num">{o.lines.len()}</td> })}
                <td class="num">{o.service_ids.len()}</td>
                <td class="num">{amount(Some(o.wholesale_total), &currency)}</td>
            </tr>
        }
    };
    view! { <DataTable columns rows=orders row empty="No orders yet."/> }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(move || params.read().get("id").unwrap_or_default(), my_order);
    view! {
        <Loaded resource=detail error_heading="Order" let:d>
            <OrderView detail=d/>
        </Loaded>
    }
}

#[component]
fn OrderView(detail: OrderDetail) -> impl IntoView {
    let o = detail.order;
    let code = o.currency.clone();
    let names = detail.product_names;
    let line = {
        let (names, code) = (names.clone(), code.clone());
        move |l: OrderLine| {
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
        }
    };
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
        <DataTable
            columns=vec!["Product", "Term", "Quantity", "Unit price", "Setup fee", "Line total"]
            rows=o.lines
            row=line
            empty="No lines."
        />
        <h2>"Services"</h2>
        <ServiceTable services=detail.services names currency=code/>
    }
}
