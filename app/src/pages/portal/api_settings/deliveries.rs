//! The reseller's own webhook deliveries, and a test event.

use crate::{
    components::{ActionOutcome, DeliveryTable, Loaded},
    error::AppError,
    lists::Page,
    webhooks::{
        Delivery,
        server_fns::{SendTestEvent, my_deliveries},
    },
};
use leptos::prelude::*;

/// The deliveries list and its test-event action. Created with the page,
/// not inside the settings' `Suspend`: a resource first created after an
/// await is not matched to its server-rendered data on hydration (the page
/// panicked in tachys when the list was empty).
#[derive(Clone, Copy)]
pub struct DeliveriesState {
    test: ServerAction<SendTestEvent>,
    list: Resource<Result<Page<Delivery>, AppError>>,
}

impl DeliveriesState {
    pub fn new() -> Self {
        let test = ServerAction::<SendTestEvent>::new();
        let list = Resource::new(move || test.version().get(), |_| my_deliveries(None));
        DeliveriesState { test, list }
    }
}

#[component]
pub fn Deliveries(state: DeliveriesState) -> impl IntoView {
    let DeliveriesState { test, list } = state;
    view! {
        <h2>"Webhook deliveries"</h2>
        <ActionForm action=test attr:class="inline">
            <button type="submit" class="secondary" disabled=move || test.pending().get()>"Send test event"</button>
        </ActionForm>
        <ActionOutcome value=test.value() ok_text="Test event queued: it appears below once sent."/>
        <Loaded resource=list let:rows>
            <DeliveryTable deliveries=rows.data detail_base="/portal/deliveries/" show_reseller=false/>
        </Loaded>
    }
}
