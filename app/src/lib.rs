//! FluxBilling reseller program: the application shared by server and browser.
//!
//! Compiled twice: with `ssr` into the server (pages rendered to HTML, server
//! functions, domain services and storage) and with `hydrate` into wasm
//! (the same pages, made interactive). Server-only modules are gated as a
//! whole below, so the database stack never reaches the browser.

/// Declares an enum whose variants travel as names: on the wire (serde),
/// in the database and in URLs (strum). Both name a variant in snake_case
/// unless it says otherwise (`#[serde(rename)]` with `#[strum(serialize)]`);
/// `ALL` is strum's list of every variant, so it cannot miss one, and
/// `as_str` is the name. One declaration, so the two spellings cannot drift
/// apart enum by enum (a test per enum family checks serde against strum).
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize,
            strum::VariantArray, strum::IntoStaticStr, strum::EnumString,
        )]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = <Self as strum::VariantArray>::VARIANTS;

            /// The variant's name on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}
pub(crate) use wire_enum;

pub mod accounts;
pub mod api_access;
pub mod api_log;
pub mod assets;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod changes;
pub mod components;
pub mod customers;
pub mod dashboard;
pub mod error;
pub mod ids;
pub mod lists;
pub mod money;
pub mod orders;
pub mod pages;
pub mod price_book;
pub mod provisioning;
pub mod resellers;
pub mod services;
pub mod terms;
pub mod timestamp;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod csv_file;
#[cfg(feature = "ssr")]
pub mod idempotency;
#[cfg(feature = "ssr")]
pub mod last_used;
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
    #[cfg(feature = "ssr")]
    send_content_security_policy();
    let assets = use_context::<assets::SiteAssets>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" id="leptos" href=assets.stylesheet_href().to_owned()/>
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

/// The page's policy names the nonce leptos_axum made for this response,
/// which Leptos writes on the scripts it inlines.
#[cfg(feature = "ssr")]
fn send_content_security_policy() {
    use http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&assets::content_security_policy(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, policy);
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
                    <Route path=path!("resellers/:id/statements/:month") view=admin::StatementPage/>
                    <ParentRoute path=path!("resellers/:id") view=admin::ResellerFrame>
                        <Route path=path!("") view=admin::OverviewTab/>
                        <Route path=path!("account") view=admin::AccountTab/>
                        <Route path=path!("price-book") view=admin::PriceBookTab/>
                        <Route path=path!("services") view=admin::ServicesTab/>
                        <Route path=path!("history") view=admin::HistoryTab/>
                    </ParentRoute>
                    <Route path=path!("products") view=admin::ProductsPage/>
                    <Route path=path!("products/:id") view=admin::ProductPage/>
                    <Route path=path!("api-logs") view=admin::ApiLogsPage/>
                    <Route path=path!("provisioning") view=admin::ProvisioningPage/>
                    <Route path=path!("services/:id") view=admin::ServicePage/>
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
                    <Route path=path!("services/:id") view=portal::ServicePage/>
                    <Route path=path!("products") view=portal::ProductsPage/>
                    <Route path=path!("customers") view=portal::CustomersPage/>
                    <Route path=path!("billing") view=portal::BillingPage/>
                    <Route path=path!("billing/statements/:month") view=portal::StatementPage/>
                    <ParentRoute path=path!("api-settings") view=portal::ApiSettingsFrame>
                        <Route path=path!("") view=portal::KeysTab/>
                        <Route path=path!("webhook") view=portal::WebhookTab/>
                        <Route path=path!("deliveries") view=portal::DeliveriesTab/>
                        <Route path=path!("requests") view=portal::RequestsTab/>
                        <Route path=path!("guide") view=portal::GuideTab/>
                    </ParentRoute>
                    <Route path=path!("deliveries/:id") view=portal::MyDeliveryPage/>
                    <Route path=path!("program") view=portal::ProgramPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use std::{fmt::Debug, str::FromStr};

    /// serde's name of each variant is strum's, and strum parses it back.
    fn one_spelling<T>(all: &[T], name: fn(T) -> &'static str)
    where
        T: Copy + Debug + PartialEq + serde::Serialize + FromStr,
    {
        assert!(!all.is_empty());
        for &variant in all {
            assert_eq!(serde_json::to_value(variant).unwrap(), name(variant), "{variant:?}");
            assert!(T::from_str(name(variant)).ok() == Some(variant), "{variant:?}");
        }
    }

    #[test]
    fn every_wire_enum_has_one_spelling() {
        use crate::{catalog::*, error::*, resellers::*, services::*, terms::*, webhooks::*};
        one_spelling(ProductKind::ALL, ProductKind::as_str);
        one_spelling(ServiceStatus::ALL, ServiceStatus::as_str);
        one_spelling(ServiceAction::ALL, ServiceAction::as_str);
        one_spelling(ErrorCode::ALL, ErrorCode::as_str);
        one_spelling(BillingTerm::ALL, BillingTerm::as_str);
        one_spelling(EventType::ALL, EventType::as_str);
        one_spelling(DeliveryStatus::ALL, DeliveryStatus::as_str);
        one_spelling(ResellerStatus::ALL, ResellerStatus::as_str);
        one_spelling(LifecycleAction::ALL, LifecycleAction::as_str);
    }
}
