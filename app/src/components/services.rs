//! The one table of services: on the portal's Services, an order's and a
//! customer's view, and (with the provisioning outcomes) on the admin's
//! reseller page.

use super::{DataTable, amount};
use crate::services::{Service, possible_service_actions, server_fns::ServiceAction as RecordOutcome};
use leptos::prelude::*;

/// The product's name from `names` (`(id, name)` pairs), else its id.
pub fn product_name(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(pid, _)| pid == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// Services with product, status, term, price and renewal; with `act`, a
/// column of the provisioning outcomes an operator may record.
#[component]
pub fn ServiceTable(
    services: Vec<Service>,
    names: Vec<(String, String)>,
    currency: String,
    #[prop(optional)] act: Option<ServerAction<RecordOutcome>>,
) -> impl IntoView {
    let mut columns = vec![
        "Service",
        "Product",
        "Status",
        "Term",
        "Price",
        "Started",
        "Next renewal",
    ];
    if act.is_some() {
        columns.push("Provisioning outcome");
    }
    let row = move |s: Service| {
        view! {
            <tr>
                <th scope="row"><code>{s.id.to_string()}</code></th>
                <td>{product_name(&names, s.product_id.as_str())}</td>
                <td>{s.status.label()}</td>
                <td>{s.term.label()}</td>
                <td class="num">{amount(Some(s.recurring_price), &currency)}</td>
                <td>{s.started_at.date()}</td>
                <td>{s.next_renewal_at.short()}</td>
                {act.map(|act| view! { <td><OutcomeButtons service=s act/></td> })}
            </tr>
        }
    };
    view! { <DataTable columns rows=services row empty="No services."/> }
}

/// One button per outcome the service's status allows.
#[component]
fn OutcomeButtons(service: Service, act: ServerAction<RecordOutcome>) -> impl IntoView {
    let id = service.id.to_string();
    possible_service_actions(service.status)
        .into_iter()
        .map(|a| {
            let id = id.clone();
            view! {
                <ActionForm action=act attr:class="inline">
                    <input type="hidden" name="service_id" value=id/>
                    <input type="hidden" name="action" value=a.as_str()/>
                    <button type="submit" class="secondary">{a.label()}</button>
                </ActionForm>
            }
        })
        .collect_view()
}
