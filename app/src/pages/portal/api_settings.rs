//! `/portal/api-settings`: API keys (shown once, several live for
//! rotation), the webhook endpoint and its secret, the rate limit, recent
//! requests, and a signing guide with a worked example.

use crate::{
    api_access::{
        WebhookEndpoint,
        server_fns::{
            ApiSettingsView, GenerateApiKey, RevealWebhookSecret, RevokeApiKey, RotateWebhookSecret, SaveWebhookUrl,
            my_api_settings,
        },
    },
    components::{ActionOutcome, Alert, EmptyState, Field, Loading, when},
    error::AppError,
    resellers::ResellerStatus,
};
use leptos::prelude::*;

/// The worked example's inputs (a test in the server checks the signature).
pub const EXAMPLE_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const EXAMPLE_TIMESTAMP: i64 = 1_767_225_600;
pub const EXAMPLE_BODY: &str = r#"{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_01jd8x2m3n4p5q6r7s8t9v0w1x","term":"monthly","quantity":1}]}"#;
pub const EXAMPLE_SIGNATURE: &str = "86683f4569944b03a8612721f806f6108bb5463dd9ac1fabb21493e979f18114";

#[component]
pub fn ApiSettingsPage() -> impl IntoView {
    let generate = ServerAction::<GenerateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let save_url = ServerAction::<SaveWebhookUrl>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let deliveries = DeliveriesState::new();
    let settings = Resource::new(
        move || {
            (
                generate.version().get(),
                revoke.version().get(),
                save_url.version().get(),
                rotate.version().get(),
            )
        },
        |_| my_api_settings(),
    );
    view! {
        <h1>"API Settings"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(view) => view! { <Settings view generate revoke save_url rotate deliveries/> }.into_any(),
                }
            })}
        </Transition>
        <SigningGuide/>
    }
}

#[component]
fn Settings(
    view: ApiSettingsView,
    generate: ServerAction<GenerateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    save_url: ServerAction<SaveWebhookUrl>,
    rotate: ServerAction<RotateWebhookSecret>,
    deliveries: DeliveriesState,
) -> impl IntoView {
    let active = view.status == ResellerStatus::Active;
    let url = view.endpoint.url.clone().unwrap_or_default();
    let notice = (!active).then(|| {
        view! { <p role="status" class="notice">"Only an active reseller can create keys or change its webhook."</p> }
    });
    let api_off = (!view.api_enabled).then(|| {
        view! { <p role="status" class="notice">"API access is disabled for your account by the operator."</p> }
    });
    view! {
        {notice}
        {api_off}
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
        <NewKey generate/>
        <KeyTable keys=view.keys revoke/>
        <ActionOutcome value=revoke.value() ok_text="Key revoked."/>

        <h2>"Webhook"</h2>
        <ActionForm action=save_url attr:class="actions">
            <Field label="Webhook URL" name="url" kind="url" value=url/>
            <button type="submit" disabled=move || save_url.pending().get()>"Save"</button>
        </ActionForm>
        <SecretShown value=save_url.value()/>
        <Secret endpoint=view.endpoint.clone() rotate/>

        <Deliveries state=deliveries/>

        <h2>"Rate limit"</h2>
        <p>{format!("{} requests per {} seconds. Every response carries RateLimit-Policy and RateLimit headers.", view.rate_limit, view.window_secs)}</p>

        <h2>"Recent API requests"</h2>
        {if view.recent_requests.is_empty() {
            view! { <EmptyState text="No API requests yet."/> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Request"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Code"</th>
                                <th scope="col">"Key"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {view
                                .recent_requests
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <tr>
                                            <td>{r.at.short()}</td>
                                            <td><code>{format!("{} {}", r.method, r.path)}</code></td>
                                            <td class="num">{r.status}</td>
                                            <td>{r.error_code.unwrap_or_default()}</td>
                                            <td><code>{r.key_prefix.unwrap_or_default()}</code></td>
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
    }
}

/// The key just generated: shown once, with a copy button.
#[component]
fn NewKey(generate: ServerAction<GenerateApiKey>) -> impl IntoView {
    let copied = RwSignal::new(false);
    move || match generate.value().get() {
        Some(Ok(issued)) => {
            let secret = issued.secret.clone();
            let copy = move |_| {
                let clipboard = window().navigator().clipboard();
                let _ = clipboard.write_text(&secret);
                copied.set(true);
            };
            Some(
                view! {
                    <div role="status" class="notice">
                        <p>"Your new key. It is shown only once: store it now."</p>
                        <p><code data-testid="new-key">{issued.secret.clone()}</code></p>
                        <button type="button" class="secondary" on:click=copy>"Copy key"</button>
                        {move || copied.get().then_some(" Copied.")}
                    </div>
                }
                .into_any(),
            )
        }
        Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
        None => None,
    }
}

#[component]
fn KeyTable(keys: Vec<crate::api_access::ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <EmptyState text="No API keys yet."/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Prefix"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Scope"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|k| {
                            let live = k.revoked_at.is_none();
                            let prefix = k.prefix.clone();
                            view! {
                                <tr>
                                    <th scope="row"><code>{k.prefix.clone()}</code></th>
                                    <td>{k.name.clone()}</td>
                                    <td>{k.scope.as_str()}</td>
                                    <td>{k.created_at.short()}</td>
                                    <td>{when(k.last_used_at)}</td>
                                    <td>
                                        {if live {
                                            view! {
                                                <ActionForm action=revoke attr:class="inline">
                                                    <input type="hidden" name="prefix" value=prefix/>
                                                    "Live "
                                                    <button type="submit" class="danger">"Revoke"</button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        } else {
                                            view! { <span>{format!("Revoked {}", when(k.revoked_at))}</span> }.into_any()
                                        }}
                                    </td>
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

/// A secret returned by an action (set-up or rotation).
#[component]
fn SecretShown(#[prop(into)] value: Signal<Option<Result<WebhookEndpoint, AppError>>>) -> impl IntoView {
    move || {
        match value.get() {
        Some(Ok(endpoint)) => endpoint.secret.map(|secret| {
            view! {
                <p role="status" class="notice">"Saved. Your webhook secret: " <code data-testid="webhook-secret">{secret}</code></p>
            }
            .into_any()
        }),
        Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
        None => None,
    }
    }
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
        {move || match reveal.value().get() {
            Some(Ok(e)) => e.secret.map(|s| view! { <p><code data-testid="revealed-secret">{s}</code></p> }.into_any()),
            Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
            None => None,
        }}
        <ActionForm action=rotate attr:class="stack">
            <div class="field">
                <label>
                    <input type="checkbox" name="confirm" value="on"/>
                    " I understand: requests and webhooks signed with the old secret will fail"
                </label>
            </div>
            <button type="submit" class="danger" disabled=move || rotate.pending().get()>"Rotate secret"</button>
        </ActionForm>
        <SecretShown value=rotate.value()/>
    }
    .into_any()
}

#[component]
fn SigningGuide() -> impl IntoView {
    let example = format!(
        "secret    = {EXAMPLE_SECRET}\nkey       = base64-decode(secret without \"whsec_\")  # 32 bytes\ntimestamp = {EXAMPLE_TIMESTAMP}\nsigned    = \"{EXAMPLE_TIMESTAMP}.POST./api/v1/orders.{EXAMPLE_BODY}\"\nsignature = hex(HMAC-SHA256(key, signed))\n          = {EXAMPLE_SIGNATURE}\nheaders   : Flux-Timestamp: {EXAMPLE_TIMESTAMP}\n            Flux-Signature: v1={EXAMPLE_SIGNATURE}"
    );
    let shell = r#"# Bash: sign and send an order
KEY=flux_key_...            # your API key
SECRET=whsec_...            # your webhook secret
BODY='{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_...","term":"monthly","quantity":1}]}'
TS=$(date +%s)
HEXKEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | xxd -p -c 256)
SIG=$(printf '%s' "$TS.POST./api/v1/orders.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$HEXKEY" | sed 's/^.* //')
curl -X POST "$BASE_URL/api/v1/orders" \
  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -H "Flux-Timestamp: $TS" -H "Flux-Signature: v1=$SIG" \
  -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  --data "$BODY""#;
    view! {
        <h2>"Signing guide"</h2>
        <ol>
            <li>"Send your key on every request: " <code>"Authorization: Bearer <key>"</code>"."</li>
            <li>"Sign every POST, PUT, PATCH and DELETE (GETs may be signed too): concatenate the unix timestamp, the method, the path with its query as sent, and the raw body, separated by dots."</li>
            <li>"HMAC-SHA256 it with your secret's key bytes (the base64 after " <code>"whsec_"</code> ", decoded), hex-encode, send as " <code>"Flux-Signature: v1=<hex>"</code> " with " <code>"Flux-Timestamp"</code> ". Clocks must agree within 300 seconds."</li>
            <li>"Send a unique " <code>"Idempotency-Key"</code> " with every order; retry with the same key and body to get the first answer again."</li>
        </ol>
        <h3>"Worked example"</h3>
        <pre>{example}</pre>
        <h3>"Copy and run"</h3>
        <pre>{shell}</pre>
        <p>"The full reference: " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
    }
}

/// The deliveries list and its test-event action. Created with the page,
/// not inside the settings' `Suspend`: a resource first created after an
/// await is not matched to its server-rendered data on hydration (the page
/// panicked in tachys when the list was empty).
#[derive(Clone, Copy)]
struct DeliveriesState {
    test: ServerAction<crate::webhooks::server_fns::SendTestEvent>,
    list: Resource<Result<crate::lists::Page<crate::webhooks::Delivery>, AppError>>,
}

impl DeliveriesState {
    fn new() -> Self {
        let test = ServerAction::<crate::webhooks::server_fns::SendTestEvent>::new();
        let list = Resource::new(
            move || test.version().get(),
            |_| crate::webhooks::server_fns::my_deliveries(None),
        );
        DeliveriesState { test, list }
    }
}

/// The reseller's own webhook deliveries, and a test event.
#[component]
fn Deliveries(state: DeliveriesState) -> impl IntoView {
    use crate::pages::admin::webhooks::DeliveryTable;
    let DeliveriesState { test, list } = state;
    view! {
        <h2>"Webhook deliveries"</h2>
        <ActionForm action=test attr:class="inline">
            <button type="submit" class="secondary" disabled=move || test.pending().get()>"Send test event"</button>
        </ActionForm>
        <ActionOutcome value=test.value() ok_text="Test event queued: it appears below once sent."/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(rows) => view! { <DeliveryTable deliveries=rows.data detail_base="/portal/deliveries/" show_reseller=false/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/portal/deliveries/:id`: one of the reseller's deliveries.
#[component]
pub fn MyDeliveryPage() -> impl IntoView {
    use crate::{pages::admin::webhooks::DeliveryView, webhooks::server_fns::my_delivery};
    let params = leptos_router::hooks::use_params_map();
    let detail = Resource::new(move || params.read().get("id").unwrap_or_default(), my_delivery);
    view! {
        <h1>"Webhook delivery"</h1>
        <p><a href="/portal/api-settings">"API Settings"</a></p>
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
