//! `/admin/webhooks`: deliveries across resellers (filters: reseller, event
//! type, status) and `/admin/webhooks/:id`: every attempt, the payload and
//! "Retry now".

use super::ResellerChoice;
use crate::{
    components::{
        ActionOutcome, DeliveryTable, DeliveryView, FilterForm, FilterSelect, Loaded, NextPage, choices,
        next_page_href, use_query_params,
    },
    webhooks::{
        DeliveryStatus, EventType,
        server_fns::{RetryDelivery, admin_deliveries, admin_delivery},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let param = use_query_params();
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
    let events = choices(EventType::ALL, EventType::as_str, EventType::as_str);
    let statuses = choices(DeliveryStatus::ALL, DeliveryStatus::as_str, DeliveryStatus::as_str);
    let older = move |cursor: String| {
        next_page_href(
            "/admin/webhooks",
            &cursor,
            param,
            &["reseller_id", "status", "event_type"],
        )
    };
    view! {
        <h1>"Webhooks"</h1>
        <FilterForm label="Filter deliveries">
            <ResellerChoice id="wh-reseller"/>
            <FilterSelect id="wh-event" label="Event type" name="event_type" options=events/>
            <FilterSelect id="wh-status" label="Status" name="status" options=statuses/>
        </FilterForm>
        <Loaded resource=rows let:list>
            <DeliveryTable deliveries=list.data detail_base="/admin/webhooks/" show_reseller=true/>
            <NextPage href=list.next_cursor.map(older) text="Older deliveries"/>
        </Loaded>
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
        <Loaded resource=detail let:d>
            <DeliveryView detail=d/>
        </Loaded>
    }
}
