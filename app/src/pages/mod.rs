//! Pages: one file per page, grouped by panel.

pub mod admin;
pub mod auth;
pub mod portal;

use crate::components::set_http_status;
use leptos::prelude::*;

/// `/`: where each kind of visitor goes.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <main class="narrow">
            <h1>"FluxBilling reseller program"</h1>
            <p>
                "Resell our VPS, game servers, shared hosting and bare metal under your own brand, "
                "at wholesale prices, through a portal and a signed API."
            </p>
            <ul class="choices">
                <li><a href="/portal/login">"Client sign-in"</a></li>
                <li><a href="/portal/register">"Create a client account"</a></li>
                <li><a href="/admin/login">"Operator sign-in"</a></li>
            </ul>
        </main>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    view! {
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Start again"</a></p>
        </main>
    }
}
