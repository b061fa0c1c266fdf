//! `/portal/deliveries/:id`: one of the reseller's webhook deliveries.

use crate::{
    components::{DeliveryView, Loaded},
    webhooks::server_fns::my_delivery,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn MyDeliveryPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(move || params.read().get("id").unwrap_or_default(), my_delivery);
    view! {
        <h1>"Webhook delivery"</h1>
        <p><a href="/portal/api-settings/deliveries">"All deliveries"</a></p>
        <Loaded resource=detail let:d>
            <DeliveryView detail=d/>
        </Loaded>
    }
}
