//! `/portal/products`: the reseller's catalogue (its price book).

use crate::{
    components::{Alert, EmptyState, Loading, amount},
    price_book::server_fns::my_catalog,
    resellers::ResellerStatus,
};
use leptos::prelude::*;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| my_catalog());
    view! {
        <h1>"Products"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let c = match catalog.await {
                    Err(error) => return view! { <Alert error/> }.into_any(),
                    Ok(c) => c,
                };
                let notice = match c.status {
                    None => Some("Apply to the reseller program (Program overview) to see a catalogue."),
                    Some(ResellerStatus::Pending) => Some("Your catalogue appears once your application is approved."),
                    Some(ResellerStatus::Terminated) => Some("Your reseller account is terminated: no catalogue is available."),
                    Some(ResellerStatus::Suspended) => Some("Your account is suspended: the catalogue is read-only and orders are refused."),
                    Some(ResellerStatus::Active) => None,
                };
                let notice = notice.map(|text| view! { <p role="status" class="notice">{text}</p> });
                if c.items.is_empty() {
                    let empty = c.status.filter(|s| s.sees_catalog()).map(|_| view! { <EmptyState text="No products are priced for you yet."/> });
                    return view! { {notice} {empty} }.into_any();
                }
                let code = c.currency;
                view! {
                    {notice}
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Product"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Prices"</th>
                                    <th scope="col">"Setup fee"</th>
                                    <th scope="col">"Max quantity"</th>
                                    <th scope="col">"Units held"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {c.items
                                    .into_iter()
                                    .map(|item| {
                                        let prices = item
                                            .prices
                                            .priced()
                                            .map(|(t, p)| format!("{}: {}", t.label(), amount(Some(p), &code)))
                                            .collect::<Vec<_>>()
                                            .join(" · ");
                                        view! {
                                            <tr>
                                                <th scope="row">{item.name} <br/> <small>{item.description}</small></th>
                                                <td>{item.kind.label()}</td>
                                                <td>{prices}</td>
                                                <td class="num">{amount(Some(item.setup_fee), &code)}</td>
                                                <td class="num">
                                                    {item.max_quantity.map(|q| q.to_string()).unwrap_or_else(|| "No limit".into())}
                                                </td>
                                                <td class="num">{item.units_held}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            })}
        </Transition>
    }
}
