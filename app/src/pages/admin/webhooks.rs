//! `/admin/webhooks`: deliveries across resellers (filters: reseller, event
//! type, status) and `/admin/webhooks/:id`: every attempt, the payload and
//! "Retry now".

use crate::{
    components::{ActionOutcome, Alert, EmptyState, Loading, when},
    webhooks::{
        Delivery, DeliveryDetail, DeliveryStatus, EventType,
        server_fns::{RetryDelivery, admin_deliveries, admin_delivery},
    },
};
use leptos::prelude::*;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};

/// A table of deliveries; `detail_base` prefixes each row's link.
#[component]
pub fn DeliveryTable(deliveries: Vec<Delivery>, detail_base: &'static str, show_reseller: bool) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <EmptyState text="No deliveries."/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        {show_reseller.then(|| view! { <th scope="col">"Reseller"</th> })}
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Last response"</th>
                        <th scope="col">"Next retry"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries
                        .into_iter()
                        .map(|d| {
                            let last = match (d.last_status_code, d.last_error.clone()) {
                                (Some(code), _) => code.to_string(),
                                (None, Some(error)) => error,
                                (None, None) => "—".to_owned(),
                            };
                            let next = if d.status == DeliveryStatus::Pending { when(d.next_attempt_at) } else { "—".to_owned() };
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
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A `<select>` of a filter form: "All" (empty) then `options`.
#[component]
fn FilterSelect<const N: usize>(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    options: [&'static str; N],
    selected: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="">"All"</option>
                {options
                    .into_iter()
                    .map(|o| view! { <option value=o selected=move || selected.get() == o>{o}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let rows = Resource::new(
        move || {
            (
                param("reseller_id"),
                param("status"),
                param("event_type"),
                param("before"),
            )
        },
        |(reseller, status, event, before)| admin_deliveries(reseller, status, event, before),
    );
    let selected = move |name: &str| param(name).unwrap_or_default();
    view! {
        <h1>"Webhooks"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter deliveries">
            <div class="field">
                <label for="wh-reseller">"Reseller id"</label>
                <input id="wh-reseller" name="reseller_id" value=move || param("reseller_id") placeholder="rsl_..."/>
            </div>
            <FilterSelect id="wh-event" label="Event type" name="event_type" options=EventType::ALL.map(EventType::as_str) selected=Signal::derive(move || selected("event_type"))/>
            <FilterSelect id="wh-status" label="Status" name="status" options=DeliveryStatus::ALL.map(DeliveryStatus::as_str) selected=Signal::derive(move || selected("status"))/>
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(list) => view! { <DeliveryTable deliveries=list.data detail_base="/admin/webhooks/" show_reseller=true/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Every attempt of a delivery and its payload.
#[component]
pub fn DeliveryView(detail: DeliveryDetail) -> impl IntoView {
    let d = detail.delivery;
    let payload = serde_json::to_string_pretty(&detail.payload).unwrap_or_default();
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
        {if detail.attempts.is_empty() {
            view! { <EmptyState text="Not attempted yet."/> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"#"</th>
                                <th scope="col">"When"</th>
                                <th scope="col">"Status code"</th>
                                <th scope="col">"Duration"</th>
                                <th scope="col">"Error"</th>
                                <th scope="col">"Response"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {detail
                                .attempts
                                .into_iter()
                                .map(|a| {
                                    view! {
                                        <tr>
                                            <th scope="row">{a.attempt_no}</th>
                                            <td>{a.at.short()}</td>
                                            <td class="num">{a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}</td>
                                            <td class="num">{format!("{} ms", a.duration_ms)}</td>
                                            <td>{a.error.unwrap_or_default()}</td>
                                            <td><code>{a.response_body.unwrap_or_default()}</code></td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        <h2>"Payload"</h2>
        <pre>{payload}</pre>
    }
}

/// `/admin/webhooks/:id`
#[component]
pub fn DeliveryPage() -> impl IntoView {
    let params = use_params_map();
    let retry = ServerAction::<RetryDelivery>::new();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(move || (id(), retry.version().get()), |(id, _)| admin_delivery(id));
    view! {
        <h1>"Webhook delivery"</h1>
        <p><a href="/admin/webhooks">"All deliveries"</a></p>
        <ActionForm action=retry attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <button type="submit" disabled=move || retry.pending().get()>"Retry now"</button>
        </ActionForm>
        <ActionOutcome value=retry.value() ok_text="Queued: the attempt appears below in a moment."/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(d) => view! { <DeliveryView detail=d/> }.into_any(),
                }
            })}
        </Transition>
    }
}
