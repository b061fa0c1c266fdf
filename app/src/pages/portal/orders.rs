//! `/portal/orders` (list, searchable by customer) and `/portal/orders/:id`
//! (lines and services).

use crate::{
    components::{
        ActionResult, DataTable, Field, FilterForm, FilterInput, Loaded, NextPage, Notice, ServiceTable, amount,
        name_in, use_query_params,
    },
    lists::percent_encode,
    orders::{
        Order, OrderLine,
        server_fns::{OrderDetail, PlaceOrder, my_order, my_orders},
    },
    price_book::server_fns::my_catalog,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn OrdersPage() -> impl IntoView {
    let param = use_query_params();
    let place = ServerAction::<PlaceOrder>::new();
    let page = Resource::new(
        move || {
            (
                param("customer_id"),
                param("customer"),
                param("before"),
                place.version().get(),
            )
        },
        |(customer_id, customer, before, _)| my_orders(customer_id, customer, before),
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
        <PlaceOrderForm place/>
    }
}

/// "Place an order": one product line for a customer (by your external id;
/// new customers are created). Charged to your account; refusals (such as
/// a prepaid account without funds) are explained here.
#[component]
fn PlaceOrderForm(place: ServerAction<PlaceOrder>) -> impl IntoView {
    let catalog = Resource::new(|| (), |_| my_catalog());
    view! {
        <h2 id="place-order">"Place an order"</h2>
        <Loaded resource=catalog let:c>
            {
                let code = c.currency.clone();
                let options: Vec<(String, String)> = c
                    .items
                    .iter()
                    .flat_map(|item| {
                        let code = code.clone();
                        item.prices.priced().map(move |(term, price)| {
                            (format!("{}|{}", item.id, term.as_str()), format!("{}, {}: {price} {code}", item.name, term.label()))
                        })
                    })
                    .collect();
                view! {
                    <ActionForm action=place attr:class="stack" attr:aria-labelledby="place-order">
                        <div class="field">
                            <label for="order-offer">"Product and term"</label>
                            <select id="order-offer" name="offer" required=true>
                                {options.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
                            </select>
                        </div>
                        <Field label="Quantity" name="quantity" kind="number" value="1" required=true/>
                        <Field label="Customer (your external id)" name="customer_external_id" required=true/>
                        <Field label="Customer name" name="customer_name"/>
                        <button type="submit" disabled=move || place.pending().get()>"Place order"</button>
                    </ActionForm>
                }
            }
        </Loaded>
        <ActionResult value=place.value() let:order>
            <Notice text=format!("Order {} placed: {} charged to your account.", order.id, order.wholesale_total)/>
        </ActionResult>
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
                    <th scope="row">{name_in(&names, l.product_id.as_str())}</th>
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
