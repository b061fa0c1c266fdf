//! `/portal/api-settings/...`: what a partner developer needs, in
//! sub-pages under a tab bar, each part in its own file: Keys (shown once,
//! several live for rotation; the rate limit), Webhook (the endpoint and
//! its secret), Deliveries and Requests (each paged and filterable), and
//! the signing Guide with a worked example.

mod deliveries;
mod guide;
mod keys;
mod requests;
mod webhook;

pub use deliveries::DeliveriesTab;
pub use guide::{
    CANCEL_EXAMPLE, CHANGE_EXAMPLE, EXAMPLE_BODY, EXAMPLE_IDEMPOTENCY_KEY, EXAMPLE_SECRET, EXAMPLE_SIGNATURE,
    EXAMPLE_TIMESTAMP, GuideTab,
};
pub use keys::KeysTab;
pub use requests::RequestsTab;
pub use webhook::WebhookTab;

use crate::{
    api_access::server_fns::ApiSettingsView,
    components::{Notice, Tab, TabBar, use_current_tab},
    resellers::ResellerStatus,
};
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// Where the sub-pages are.
pub const BASE: &str = "/portal/api-settings";

/// The sub-pages, below [`BASE`].
pub const TABS: &[Tab] = &[
    ("", "Keys"),
    ("/webhook", "Webhook"),
    ("/deliveries", "Deliveries"),
    ("/requests", "Requests"),
    ("/guide", "Guide"),
];

/// The frame of every sub-page: "API Settings: <tab>" as its `<h1>`, then
/// the tab bar and the sub-page.
#[component]
pub fn ApiSettingsFrame() -> impl IntoView {
    let base = Signal::stored(BASE.to_owned());
    let tab = use_current_tab(base, TABS);
    view! {
        <h1>{move || format!("API Settings: {}", tab.get())}</h1>
        <TabBar label="API Settings" base tabs=TABS/>
        <Outlet/>
    }
}

/// Why changes may be refused (the Keys and Webhook tabs).
#[component]
fn SetupNotices(view: ApiSettingsView) -> impl IntoView {
    let inactive = (view.status != ResellerStatus::Active)
        .then(|| view! { <Notice text="Only an active reseller can create keys or change its webhook."/> });
    let api_off = (!view.api_enabled)
        .then(|| view! { <Notice text="API access is disabled for your account by the operator."/> });
    view! {
        {inactive}
        {api_off}
    }
}
