//! FluxBilling reseller program: the application shared by server and browser.
//!
//! Compiled twice: with `ssr` into the server (pages rendered to HTML, server
//! functions, domain services and storage) and with `hydrate` into wasm
//! (the same pages, made interactive). Server-only modules are gated as a
//! whole below, so the database stack never reaches the browser.

pub mod accounts;
pub mod api_access;
pub mod api_log;
pub mod audit;
pub mod catalog;
pub mod components;
pub mod customers;
pub mod error;
pub mod ids;
pub mod lists;
pub mod money;
pub mod orders;
pub mod pages;
pub mod price_book;
pub mod resellers;
pub mod services;
pub mod timestamp;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod idempotency;
#[cfg(feature = "ssr")]
pub mod net;
#[cfg(feature = "ssr")]
mod openapi;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};
use pages::{admin, auth, portal};

/// Where server functions are served; keeps them apart from `/api/v1` and
/// `/api/admin/v1`. Must match the `prefix` of every `#[server]`.
pub const SERVER_FN_PREFIX: &str = "/api/fn";

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" id="leptos" href="/pkg/fluxbilling.css"/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: tests wait for this
    // marker instead of retrying clicks.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title text="FluxBilling"/>
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=pages::Home/>
                <Route path=path!("/admin/login") view=auth::AdminLogin/>
                <ParentRoute path=path!("/admin") view=admin::AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=admin::ResellersPage/>
                    <Route path=path!("resellers") view=admin::ResellersPage/>
                    <Route path=path!("resellers/:id") view=admin::ResellerPage/>
                    <Route path=path!("products") view=admin::ProductsPage/>
                    <Route path=path!("products/:id") view=admin::ProductPage/>
                    <Route path=path!("api-logs") view=admin::ApiLogsPage/>
                    <Route path=path!("webhooks") view=admin::WebhooksPage/>
                    <Route path=path!("webhooks/:id") view=admin::DeliveryPage/>
                    <Route path=path!("audit-log") view=admin::AuditLogPage/>
                </ParentRoute>
                <Route path=path!("/portal/login") view=auth::PortalLogin/>
                <Route path=path!("/portal/register") view=auth::RegisterPage/>
                <Route path=path!("/portal/invitation") view=auth::InvitationPage/>
                <ParentRoute path=path!("/portal") view=portal::PortalLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=portal::DashboardPage/>
                    <Route path=path!("orders") view=portal::OrdersPage/>
                    <Route path=path!("orders/:id") view=portal::OrderPage/>
                    <Route path=path!("services") view=portal::ServicesPage/>
                    <Route path=path!("products") view=portal::ProductsPage/>
                    <Route path=path!("customers") view=portal::CustomersPage/>
                    <Route path=path!("api-settings") view=portal::ApiSettingsPage/>
                    <Route path=path!("deliveries/:id") view=portal::MyDeliveryPage/>
                    <Route path=path!("program") view=portal::ProgramPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
