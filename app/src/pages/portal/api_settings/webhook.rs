//! `/portal/api-settings/webhook`: the webhook endpoint, its URL, and the
//! whsec_ secret that signs both our webhooks and the partner's API
//! requests (reveal, rotate).

use super::SetupNotices;
use crate::{
    api_access::{
        WebhookEndpoint,
        server_fns::{ApiSettingsView, RevealWebhookSecret, RotateWebhookSecret, SaveWebhookUrl, my_api_settings},
    },
    components::{ActionResult, Field, Loaded},
};
use leptos::prelude::*;

#[component]
pub fn WebhookTab() -> impl IntoView {
    let save_url = ServerAction::<SaveWebhookUrl>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let settings = Resource::new(
        move || (save_url.version().get(), rotate.version().get()),
        |_| my_api_settings(),
    );
    view! {
        <Loaded resource=settings let:view>
            <Webhook view save_url rotate/>
        </Loaded>
    }
}

#[component]
fn Webhook(
    view: ApiSettingsView,
    save_url: ServerAction<SaveWebhookUrl>,
    rotate: ServerAction<RotateWebhookSecret>,
) -> impl IntoView {
    let endpoint = view.endpoint.clone();
    let url = endpoint.url.clone().unwrap_or_default();
    view! {
        <SetupNotices view/>
        <h2>"Endpoint"</h2>
        <p>
            "We send your events here, signed with your secret; each attempt is listed under "
            <a href="/portal/api-settings/deliveries">"Deliveries"</a> "."
        </p>
        <ActionForm action=save_url attr:class="actions">
            <Field label="Webhook URL" name="url" kind="url" value=url/>
            <button type="submit" disabled=move || save_url.pending().get()>"Save"</button>
        </ActionForm>
        <ActionResult value=save_url.value() let:saved>
            <SecretShown endpoint=saved/>
        </ActionResult>
        <h2>"Secret"</h2>
        <Secret endpoint rotate/>
    }
}

/// A secret returned by set-up or rotation (nothing when the URL changed
/// and the secret stayed).
#[component]
fn SecretShown(endpoint: WebhookEndpoint) -> impl IntoView {
    endpoint.secret.map(|secret| {
        view! {
            <p role="status" class="notice">"Saved. Your webhook secret: " <code data-testid="webhook-secret">{secret}</code></p>
        }
    })
}

#[component]
fn Secret(endpoint: WebhookEndpoint, rotate: ServerAction<RotateWebhookSecret>) -> impl IntoView {
    let reveal = ServerAction::<RevealWebhookSecret>::new();
    if !endpoint.has_secret {
        return view! { <p>"Set a webhook URL to get your whsec_ secret (it also signs your API requests)."</p> }
            .into_any();
    }
    view! {
        <p>"Your whsec_ secret signs your API requests and our webhooks."</p>
        <ActionForm action=reveal attr:class="inline">
            <button type="submit" class="secondary">"Reveal secret"</button>
        </ActionForm>
        <ActionResult value=reveal.value() let:revealed>
            {revealed.secret.map(|s| view! { <p><code data-testid="revealed-secret">{s}</code></p> })}
        </ActionResult>
        <ActionForm action=rotate attr:class="stack">
            <div class="field">
                <label>
                    <input type="checkbox" name="confirm" value="on"/>
                    " I understand: requests and webhooks signed with the old secret will fail"
                </label>
            </div>
            <button type="submit" class="danger" disabled=move || rotate.pending().get()>"Rotate secret"</button>
        </ActionForm>
        <ActionResult value=rotate.value() let:rotated>
            <SecretShown endpoint=rotated/>
        </ActionResult>
    }
    .into_any()
}
