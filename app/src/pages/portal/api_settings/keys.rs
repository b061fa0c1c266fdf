//! `/portal/api-settings`: API keys (generate: the secret is shown once;
//! list; revoke) and the rate limit they share.

use super::SetupNotices;
use crate::{
    api_access::{
        ApiKey,
        server_fns::{ApiSettingsView, GenerateApiKey, RevokeApiKey, my_api_settings},
    },
    components::{ActionOutcome, ActionResult, DataTable, Field, Loaded, when},
};
use leptos::prelude::*;

#[component]
pub fn KeysTab() -> impl IntoView {
    let generate = ServerAction::<GenerateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let settings = Resource::new(
        move || (generate.version().get(), revoke.version().get()),
        |_| my_api_settings(),
    );
    view! {
        <Loaded resource=settings let:view>
            <Keys view generate revoke/>
        </Loaded>
    }
}

#[component]
fn Keys(
    view: ApiSettingsView,
    generate: ServerAction<GenerateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let limit = format!(
        "{} requests per {} seconds, for all your keys together. Every response carries RateLimit-Policy and RateLimit headers.",
        view.rate_limit, view.window_secs,
    );
    let keys = view.keys.clone();
    view! {
        <SetupNotices view/>
        <h2>"API keys"</h2>
        <p>
            "Keep several keys live to rotate without downtime: create the new one, deploy it, revoke the old. "
            "A " <code>"read"</code> " key can only read; an " <code>"orders"</code> " key can also place orders."
        </p>
        <ActionForm action=generate attr:class="actions">
            <Field label="Key name" name="name"/>
            <div class="field">
                <label for="key-scope">"Scope"</label>
                <select id="key-scope" name="scope">
                    <option value="orders">"orders"</option>
                    <option value="read">"read"</option>
                </select>
            </div>
            <button type="submit" disabled=move || generate.pending().get()>"Generate key"</button>
        </ActionForm>
        <ActionResult value=generate.value() let:issued>
            <NewKey secret=issued.secret/>
        </ActionResult>
        <KeyTable keys revoke/>
        <ActionOutcome value=revoke.value() ok_text="Key revoked."/>
        <h2>"Rate limit"</h2>
        <p data-testid="rate-limit">{limit}</p>
    }
}

/// The key just generated: shown once, with a copy button.
#[component]
fn NewKey(secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = {
        let secret = secret.clone();
        move |_| {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&secret);
            copied.set(true);
        }
    };
    view! {
        <div role="status" class="notice">
            <p>"Your new key. It is shown only once: store it now."</p>
            <p><code data-testid="new-key">{secret}</code></p>
            <button type="button" class="secondary" on:click=copy>"Copy key"</button>
            {move || copied.get().then_some(" Copied.")}
        </div>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let row = move |k: ApiKey| {
        let prefix = k.prefix.clone();
        let state = match k.revoked_at {
            None => view! {
                <ActionForm action=revoke attr:class="inline">
                    <input type="hidden" name="prefix" value=prefix/>
                    "Live "
                    <button type="submit" class="danger">"Revoke"</button>
                </ActionForm>
            }
            .into_any(),
            Some(at) => view! { <span>{format!("Revoked {}", at.short())}</span> }.into_any(),
        };
        view! {
            <tr>
                <th scope="row"><code>{k.prefix.clone()}</code></th>
                <td>{k.name.clone()}</td>
                <td>{k.scope.as_str()}</td>
                <td>{k.created_at.short()}</td>
                <td>{when(k.last_used_at)}</td>
                <td>{state}</td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["Prefix", "Name", "Scope", "Created", "Last used", "Status"]
            rows=keys
            row
            empty="No API keys yet."
        />
    }
}
