//! The one table of services: on the portal's Services, an order's and a
//! customer's view, and (with the provisioning outcomes) on the admin's
//! reseller page.

use super::{DataTable, amount};
use crate::services::{
    Service, ServiceStatus, SuspensionReason, possible_service_actions,
    server_fns::{RenewService, ServiceAction as RecordOutcome},
};
use leptos::prelude::*;

/// The name of `id` from `names` (`(id, name)` pairs: products,
/// customers), else the id itself.
pub fn name_in(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(pid, _)| pid == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// Services with product, status (and why a suspended one is), term,
/// price and renewal; with `customers` (`(id, label)` pairs), a column
/// naming each one's customer; with `act`, a column of the provisioning
/// outcomes an operator may record.
#[component]
pub fn ServiceTable(
    services: Vec<Service>,
    names: Vec<(String, String)>,
    currency: String,
    /// The customers' labels, for lists of several customers' services.
    #[prop(optional)]
    customers: Option<Vec<(String, String)>>,
    #[prop(optional)] act: Option<ServerAction<RecordOutcome>>,
    /// "Renew now", beside the outcomes (operators).
    #[prop(optional)]
    renew: Option<ServerAction<RenewService>>,
) -> impl IntoView {
    let mut columns = vec!["Service"];
    if customers.is_some() {
        columns.push("Customer");
    }
    columns.extend([
        "Product",
        "Status",
        "Provisioning",
        "Term",
        "Price",
        "Started",
        "Next renewal",
    ]);
    if act.is_some() {
        columns.push("Provisioning outcome");
    }
    let row = move |s: Service| {
        view! {
            <tr>
                <th scope="row">
                    // Operators' lists (with outcomes) open the admin panel's page.
                    <a href=format!("/{}/services/{}", if act.is_some() { "admin" } else { "portal" }, s.id)>
                        <code>{s.id.to_string()}</code>
                    </a>
                </th>
                {customers.as_ref().map(|c| view! { <td>{name_in(c, s.customer_id.as_str())}</td> })}
                <td>{name_in(&names, s.product_id.as_str())}</td>
                <td>
                    {status_label(&s)}
                    {scheduled_note(&s, &names).map(|note| view! { <br/><small data-testid="scheduled-note">{note}</small> })}
                </td>
                <td>{provisioning_label(&s)}</td>
                <td>{s.term.label()}</td>
                <td class="num">{amount(Some(s.recurring_price), &currency)}</td>
                <td>{s.started_at.date()}</td>
                <td>{s.next_renewal_at.short()}</td>
                {act.map(|act| {
                    let renewable = renew.filter(|_| s.renewable());
                    let id = s.id.to_string();
                    let seen = s.next_renewal_at.rfc3339();
                    view! {
                        <td>
                            <OutcomeButtons service=s act/>
                            {renewable.map(|renew| view! {
                                <ActionForm action=renew attr:class="inline">
                                    <input type="hidden" name="service_id" value=id/>
                                    <input type="hidden" name="next_renewal_at" value=seen/>
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

/// The status, and why a suspended service is: "Suspended (unpaid)" for
/// a renewal the account could not cover, "Suspended (by the operator)"
/// for a provisioning outcome.
pub fn status_label(s: &Service) -> String {
    match (s.status, s.suspension_reason) {
        (ServiceStatus::Suspended, Some(SuspensionReason::Unpaid)) => "Suspended (unpaid)".to_owned(),
        (ServiceStatus::Suspended, Some(SuspensionReason::Operator)) => "Suspended (by the operator)".to_owned(),
        (status, _) => status.label().to_owned(),
    }
}

/// What waits on a service: "Cancels 2026-12-31" or "Changes at renewal
/// to VPS Starter, Annual" (`names`: the products' `(id, name)`); none for
/// a terminated one.
pub fn scheduled_note(s: &Service, names: &[(String, String)]) -> Option<String> {
    if s.status == ServiceStatus::Terminated {
        return None;
    }
    let cancel = s.cancel_at.map(|at| format!("Cancels {}", at.date()));
    let change = s.scheduled_change.as_ref().map(|c| {
        format!(
            "Changes at renewal to {}, {}",
            name_in(names, c.product_id.as_str()),
            c.term.label()
        )
    });
    match (cancel, change) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// The latest provisioning action and its state ("Create: Done"), or a
/// dash for a service no module was called for.
pub fn provisioning_label(s: &Service) -> String {
    match &s.provisioning {
        Some(p) => {
            let action = p.action.as_str();
            let mut chars = action.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
            format!("{first}{}: {}", chars.as_str(), p.state.label())
        }
        None => "—".to_owned(),
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
