//! The one table of services: on the portal's Services, an order's and a
//! customer's view, and (with the provisioning outcomes) on the admin's
//! reseller page.

use super::{DataTable, amount};
use crate::services::{
    Service, ServiceStatus, SuspensionReason, possible_service_actions,
    server_fns::{RenewService, ServiceAction as RecordOutcome},
};
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
    /// "Renew now", beside the outcomes (operators).
    #[prop(optional)]
    renew: Option<ServerAction<RenewService>>,
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
                <td>{status_label(&s)}</td>
                <td>{s.term.label()}</td>
                <td class="num">{amount(Some(s.recurring_price), &currency)}</td>
                <td>{s.started_at.date()}</td>
                <td>{s.next_renewal_at.short()}</td>
                {act.map(|act| {
                    let renewable = renew.filter(|_| {
                        s.status == ServiceStatus::Active || s.suspension_reason == Some(SuspensionReason::Unpaid)
                    });
                    let id = s.id.to_string();
                    view! {
                        <td>
                            <OutcomeButtons service=s act/>
                            {renewable.map(|renew| view! {
                                <ActionForm action=renew attr:class="inline">
                                    <input type="hidden" name="service_id" value=id/>
                                    <button type="submit" class="secondary">"Renew now"</button>
                                </ActionForm>
                            })}
                        </td>
                    }
                })}
            </tr>
        }
    };
    view! { <DataTable columns rows=services row empty="No services."/> }
}

/// "Suspended (unpaid)" for a suspension for non-payment.
fn status_label(s: &Service) -> String {
    match s.suspension_reason {
        Some(SuspensionReason::Unpaid) if s.status == ServiceStatus::Suspended => "Suspended (unpaid)".to_owned(),
        _ => s.status.label().to_owned(),
    }
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
