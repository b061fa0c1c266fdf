//! `/portal/products`: the reseller's catalogue (its price book).

use crate::{
    components::{DataTable, EmptyState, Loaded, Notice, amount},
    price_book::{
        CatalogItem,
        server_fns::{CatalogView, my_catalog},
    },
    resellers::ResellerStatus,
};
use leptos::prelude::*;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| my_catalog());
    view! {
        <h1>"Products"</h1>
        <Loaded resource=catalog let:c>
            <Catalog catalog=c/>
        </Loaded>
    }
}

/// Why the catalogue is empty or read-only, for a reseller not (yet) active.
fn status_notice(status: Option<ResellerStatus>) -> Option<&'static str> {
    match status {
        None => Some("Apply to the reseller program (Program overview) to see a catalogue."),
        Some(ResellerStatus::Pending) => Some("Your catalogue appears once your application is approved."),
        Some(ResellerStatus::Terminated) => Some("Your reseller account is terminated: no catalogue is available."),
        Some(ResellerStatus::Suspended) => {
            Some("Your account is suspended: the catalogue is read-only and orders are refused.")
        }
        Some(ResellerStatus::Active) => None,
    }
}

#[component]
fn Catalog(catalog: CatalogView) -> impl IntoView {
    let notice = status_notice(catalog.status).map(|text| view! { <Notice text/> });
    if catalog.items.is_empty() {
        let empty = catalog
            .status
            .filter(|s| s.sees_catalog())
            .map(|_| view! { <EmptyState text="No products are priced for you yet."/> });
        return view! { {notice} {empty} }.into_any();
    }
    let code = catalog.currency;
    let row = move |item: CatalogItem| {
        let prices = item
            .prices
            .priced()
            .map(|(t, p)| format!("{}: {}", t.label(), amount(Some(p), &code)))
            .collect::<Vec<_>>()
            .join(" · ");
        let upcoming = item
            .upcoming
            .iter()
            .map(|v| {
                let prices = v
                    .prices
                    .priced()
                    .map(|(t, p)| format!("{}: {}", t.label(), amount(Some(p), &code)))
                    .collect::<Vec<_>>()
                    .join(" · ");
                let yours = match v.existing_services {
                    crate::price_book::ExistingServices::Keep => "your services keep their price",
                    crate::price_book::ExistingServices::AtRenewal => "your services move at their next renewal",
                };
                view! {
                    <li data-testid="upcoming-price">
                        {format!("From {}: {prices}; setup fee {} ({yours}).", v.effective_from.date(), amount(Some(v.setup_fee), &code))}
                    </li>
                }
            })
            .collect::<Vec<_>>();
        let upcoming = (!upcoming.is_empty()).then(|| view! { <ul class="upcoming">{upcoming}</ul> });
        view! {
            <tr>
                <th scope="row">{item.name} <br/> <small>{item.description}</small></th>
                <td>{item.kind.label()}</td>
                <td>{prices} {upcoming}</td>
                <td class="num">{amount(Some(item.setup_fee), &code)}</td>
                <td class="num">{item.max_quantity.map(|q| q.to_string()).unwrap_or_else(|| "No limit".into())}</td>
                <td class="num">{item.units_held}</td>
            </tr>
        }
    };
    view! {
        {notice}
        <DataTable
            columns=vec!["Product", "Kind", "Prices", "Setup fee", "Max quantity", "Units held"]
            rows=catalog.items
            row
            empty="No products are priced for you yet."
        />
    }
    .into_any()
}
