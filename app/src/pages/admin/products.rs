//! `/admin/products`: the catalogue with retail prices.

use crate::{
    catalog::server_fns::{admin_list_products, currency},
    components::{Alert, EmptyState},
    money::{BillingTerm, Money},
};
use leptos::prelude::*;

fn amount(value: Option<Money>, currency: &str) -> String {
    value
        .map(|m| format!("{m} {currency}"))
        .unwrap_or_else(|| "—".to_owned())
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| admin_list_products());
    let currency = Resource::new(|| (), |_| currency());
    view! {
        <h1>"Products"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let code = currency.await.unwrap_or_default();
                match products.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(list) if list.is_empty() => {
                        view! { <EmptyState text="No products yet."/> }.into_any()
                    }
                    Ok(list) => {
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Product"</th>
                                            <th scope="col">"Kind"</th>
                                            <th scope="col">"Status"</th>
                                            {BillingTerm::ALL
                                                .iter()
                                                .map(|t| view! { <th scope="col">{t.label()}</th> })
                                                .collect_view()}
                                            <th scope="col">"Setup fee"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|p| {
                                                let code = code.clone();
                                                view! {
                                                    <tr>
                                                        <th scope="row">
                                                            {p.name.clone()} <br/> <small>{p.slug.clone()}</small>
                                                        </th>
                                                        <td>{p.kind.label()}</td>
                                                        <td>{if p.is_active { "Active" } else { "Inactive" }}</td>
                                                        {BillingTerm::ALL
                                                            .iter()
                                                            .map(|t| {
                                                                view! {
                                                                    <td class="num">{amount(p.retail.get(*t), &code)}</td>
                                                                }
                                                            })
                                                            .collect_view()}
                                                        <td class="num">
                                                            {amount(Some(p.retail_setup_fee), &code)}
                                                        </td>
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
                }
            })}
        </Suspense>
    }
}
