//! `/portal/api-settings/deliveries`: the reseller's own webhook
//! deliveries, newest first, by status and event type, a page at a time;
//! and a test event.

use crate::{
    components::{
        ActionOutcome, DeliveryTable, FilterForm, FilterSelect, Loaded, NextPage, choices, next_page_href,
        use_query_params,
    },
    webhooks::{
        DeliveryStatus, EventType,
        server_fns::{SendTestEvent, my_deliveries},
    },
};
use leptos::prelude::*;

/// The filters, by query name; the next page keeps them.
const FILTERS: [&str; 2] = ["status", "event_type"];

#[component]
pub fn DeliveriesTab() -> impl IntoView {
    let param = use_query_params();
    let test = ServerAction::<SendTestEvent>::new();
    let list = Resource::new(
        move || {
            (
                param("status"),
                param("event_type"),
                param("before"),
                test.version().get(),
            )
        },
        |(status, event_type, before, _)| my_deliveries(status, event_type, before),
    );
    let older = move |cursor: String| next_page_href(&format!("{}/deliveries", super::BASE), &cursor, param, &FILTERS);
    let events = choices(EventType::ALL, EventType::as_str, EventType::as_str);
    let statuses = choices(DeliveryStatus::ALL, DeliveryStatus::as_str, DeliveryStatus::as_str);
    view! {
        <ActionForm action=test attr:class="inline">
            <button type="submit" class="secondary" disabled=move || test.pending().get()>"Send test event"</button>
        </ActionForm>
        <ActionOutcome value=test.value() ok_text="Test event queued: it appears below once sent."/>
        <FilterForm label="Filter deliveries">
            <FilterSelect id="dlv-status" label="Status" name="status" options=statuses/>
            <FilterSelect id="dlv-event" label="Event type" name="event_type" options=events/>
        </FilterForm>
        <Loaded resource=list let:rows>
            <DeliveryTable deliveries=rows.data detail_base="/portal/deliveries/" show_reseller=false/>
            <NextPage href=rows.next_cursor.map(older) text="Older deliveries"/>
        </Loaded>
    }
}
