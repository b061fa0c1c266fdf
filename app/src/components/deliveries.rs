//! Webhook deliveries, for the operator (all resellers) and a reseller
//! (its own): the list and one delivery with its attempts and payload.

use super::{DataTable, when};
use crate::webhooks::{Attempt, Delivery, DeliveryDetail, DeliveryStatus};
use leptos::prelude::*;

/// A table of deliveries; `detail_base` prefixes each row's link, and
/// `show_reseller` adds the reseller column (the operator's view).
#[component]
pub fn DeliveryTable(deliveries: Vec<Delivery>, detail_base: &'static str, show_reseller: bool) -> impl IntoView {
    let mut columns = vec!["Event"];
    if show_reseller {
        columns.push("Reseller");
    }
    columns.extend(["Status", "Attempts", "Last response", "Next retry", "Created"]);
    let row = move |d: Delivery| {
        let last = match (d.last_status_code, d.last_error.clone()) {
            (Some(code), _) => code.to_string(),
            (None, Some(error)) => error,
            (None, None) => "—".to_owned(),
        };
        let next = if d.status == DeliveryStatus::Pending {
            when(d.next_attempt_at)
        } else {
            "—".to_owned()
        };
        view! {
            <tr>
                <th scope="row">
                    <a href=format!("{detail_base}{}", d.id)>{d.event_type.as_str()}</a>
                    <br/>
                    <small><code>{d.id.to_string()}</code></small>
                </th>
                {show_reseller.then(|| view! { <td><code>{d.reseller_id.to_string()}</code></td> })}
                <td>{d.status.as_str()}</td>
                <td class="num">{d.attempts}</td>
                <td>{last}</td>
                <td>{next}</td>
                <td>{d.created_at.short()}</td>
            </tr>
        }
    };
    view! { <DataTable columns rows=deliveries row empty="No deliveries."/> }
}

/// One delivery: its facts, every attempt, and the payload.
#[component]
pub fn DeliveryView(detail: DeliveryDetail) -> impl IntoView {
    let d = detail.delivery;
    let payload = serde_json::to_string_pretty(&detail.payload).unwrap_or_default();
    let row = |Attempt { attempt_no, outcome: a }: Attempt| {
        view! {
            <tr>
                <th scope="row">{attempt_no}</th>
                <td>{a.at.short()}</td>
                <td class="num">{a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}</td>
                <td class="num">{format!("{} ms", a.duration_ms)}</td>
                <td>{a.error.unwrap_or_default()}</td>
                <td><code>{a.response_body.unwrap_or_default()}</code></td>
            </tr>
        }
    };
    view! {
        <dl class="facts">
            <dt>"Event"</dt>
            <dd>{d.event_type.as_str()} " " <code>{d.event_id.to_string()}</code></dd>
            <dt>"Reseller"</dt>
            <dd><code>{d.reseller_id.to_string()}</code></dd>
            <dt>"Status"</dt>
            <dd data-testid="delivery-status">{d.status.as_str()}</dd>
            <dt>"Attempts"</dt>
            <dd data-testid="delivery-attempts">{d.attempts}</dd>
            <dt>"Next retry"</dt>
            <dd>{when(d.next_attempt_at)}</dd>
        </dl>
        <h2>"Attempts"</h2>
        <DataTable
            columns=vec!["#", "When", "Status code", "Duration", "Error", "Response"]
            rows=detail.attempts
            row
            empty="Not attempted yet."
        />
        <h2>"Payload"</h2>
        <pre>{payload}</pre>
    }
}
