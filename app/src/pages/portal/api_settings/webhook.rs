//! The webhook endpoint: its URL, and the whsec_ secret that signs both
//! our webhooks and the partner's API requests (reveal, rotate).

use crate::{
    api_access::{
        WebhookEndpoint,
        server_fns::{RevealWebhookSecret, RotateWebhookSecret, SaveWebhookUrl},
    },
    components::{ActionResult, Field},
};
use leptos::prelude::*;

#[component]
pub fn Webhook(
    endpoint: WebhookEndpoint,
    save_url: ServerAction<SaveWebhookUrl>,
    rotate: ServerAction<RotateWebhookSecret>,
) -> impl IntoView {
    let url = endpoint.url.clone().unwrap_or_default();
    view! {
        <h2>"Webhook"</h2>
        <ActionForm action=save_url attr:class="actions">
            <Field label="Webhook URL" name="url" kind="url" value=url/>
            <button type="submit" disabled=move || save_url.pending().get()>"Save"</button>
        </ActionForm>
        <ActionResult value=save_url.value() let:saved>
            <SecretShown endpoint=saved/>
        </ActionResult>
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
