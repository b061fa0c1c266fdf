//! `/portal/program`: what the programme is, the client's status and
//! limits, how to integrate; the application form until they applied.

use crate::{
    components::{ActionOutcome, Field, Loaded, StatusBadge},
    resellers::server_fns::{ApplyToProgram, Program, my_program},
};
use leptos::prelude::*;

#[component]
pub fn ProgramPage() -> impl IntoView {
    let apply = ServerAction::<ApplyToProgram>::new();
    let program = Resource::new(move || apply.version().get(), |_| my_program());
    view! {
        <h1>"Program overview"</h1>
        <p>
            "Resell our VPS, game servers, shared hosting and bare metal under your own brand. "
            "You buy at the wholesale prices of your price book and set your own retail prices."
        </p>
        <Loaded resource=program let:p>
            <Overview program=p apply/>
        </Loaded>
    }
}

#[component]
fn Overview(program: Program, apply: ServerAction<ApplyToProgram>) -> impl IntoView {
    let Some(r) = program.reseller else {
        return view! {
            <h2>"Apply"</h2>
            <p>"Tell us about your company. An operator reviews every application."</p>
            <ActionForm action=apply attr:class="stack">
                <Field label="Company name" name="company_name" required=true/>
                <Field label="Website" name="website" kind="url" hint="https://..."/>
                <div class="field">
                    <label for="field-message">"Message"</label>
                    <textarea id="field-message" name="message"></textarea>
                </div>
                <button type="submit" disabled=move || apply.pending().get()>"Apply"</button>
            </ActionForm>
            <ActionOutcome value=apply.value()/>
        }
        .into_any();
    };
    let window = program.rate_limit_window_secs;
    view! {
        <ActionOutcome value=apply.value() ok_text="Application received: it is now pending review."/>
        <h2>"Your status"</h2>
        <p><StatusBadge status=r.status/> " " {r.company_name.clone()}</p>
        <p>{r.status.meaning()}</p>
        <h2>"Your terms and limits"</h2>
        <dl class="facts">
            <dt>"Currency"</dt>
            <dd>{program.currency.clone()}</dd>
            <dt>"Default discount off retail"</dt>
            <dd>{format!("{}%", r.default_discount_rate)}</dd>
            <dt>"API access"</dt>
            <dd>{if r.api_enabled { "Enabled" } else { "Disabled by the operator" }}</dd>
            <dt>"API rate limit"</dt>
            <dd>{format!("{} requests per {window} seconds", r.rate_limit)}</dd>
        </dl>
        <ul>
            <li>"You are charged exactly your price book's price for the term you order, locked at order time."</li>
            <li>"A term without a price in your book cannot be ordered."</li>
            <li>"Some products cap how many units you may hold at once."</li>
            <li>"Suspension never touches your customers' running services."</li>
        </ul>
        <h2>"How to integrate"</h2>
        <ol>
            <li>"Create an API key on the API Settings page (shown once: store it safely)."</li>
            <li>"Call the partner API at /api/v1 with Authorization: Bearer <key>."</li>
            <li>"Sign every state-changing request with your webhook secret (Flux-Timestamp, Flux-Signature)."</li>
            <li>"Send an Idempotency-Key with every order, and set a webhook URL to hear about your services."</li>
        </ol>
        <p>"The API is described at " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
    }
    .into_any()
}
