//! `/portal/api-settings`: everything a partner developer needs on one
//! page, each part in its own file: API keys (shown once, several live for
//! rotation), the webhook endpoint and its secret, the reseller's webhook
//! deliveries, the rate limit, recent requests, and a signing guide with a
//! worked example.

mod deliveries;
mod guide;
mod keys;
mod requests;
mod webhook;

pub use guide::{EXAMPLE_BODY, EXAMPLE_SECRET, EXAMPLE_SIGNATURE, EXAMPLE_TIMESTAMP};

use crate::{
    api_access::server_fns::{
        ApiSettingsView, GenerateApiKey, RevokeApiKey, RotateWebhookSecret, SaveWebhookUrl, my_api_settings,
    },
    components::{Loaded, Notice},
    resellers::ResellerStatus,
};
use deliveries::{Deliveries, DeliveriesState};
use leptos::prelude::*;

/// The actions whose success changes what the settings show.
#[derive(Clone, Copy)]
struct Actions {
    generate: ServerAction<GenerateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    save_url: ServerAction<SaveWebhookUrl>,
    rotate: ServerAction<RotateWebhookSecret>,
}

#[component]
pub fn ApiSettingsPage() -> impl IntoView {
    let actions = Actions {
        generate: ServerAction::new(),
        revoke: ServerAction::new(),
        save_url: ServerAction::new(),
        rotate: ServerAction::new(),
    };
    // Created with the page (see DeliveriesState).
    let deliveries = DeliveriesState::new();
    let settings = Resource::new(
        move || {
            (
                actions.generate.version().get(),
                actions.revoke.version().get(),
                actions.save_url.version().get(),
                actions.rotate.version().get(),
            )
        },
        |_| my_api_settings(),
    );
    view! {
        <h1>"API Settings"</h1>
        <Loaded resource=settings let:view>
            <Settings view actions deliveries/>
        </Loaded>
        <guide::SigningGuide/>
    }
}

#[component]
fn Settings(view: ApiSettingsView, actions: Actions, deliveries: DeliveriesState) -> impl IntoView {
    let inactive = (view.status != ResellerStatus::Active)
        .then(|| view! { <Notice text="Only an active reseller can create keys or change its webhook."/> });
    let api_off = (!view.api_enabled)
        .then(|| view! { <Notice text="API access is disabled for your account by the operator."/> });
    view! {
        {inactive}
        {api_off}
        <keys::Keys keys=view.keys generate=actions.generate revoke=actions.revoke/>
        <webhook::Webhook endpoint=view.endpoint save_url=actions.save_url rotate=actions.rotate/>
        <Deliveries state=deliveries/>
        <h2>"Rate limit"</h2>
        <p>
            {format!(
                "{} requests per {} seconds. Every response carries RateLimit-Policy and RateLimit headers.",
                view.rate_limit,
                view.window_secs,
            )}
        </p>
        <requests::RecentRequests requests=view.recent_requests/>
    }
}
