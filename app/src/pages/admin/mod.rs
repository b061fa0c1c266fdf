//! The operator's admin panel (`/admin`).

pub mod api_logs;
pub mod audit_log;
pub mod products;
pub mod provisioning;
pub mod reseller;
pub mod resellers;
pub mod service;
pub mod statement;
pub mod webhooks;

pub use api_logs::ApiLogsPage;
pub use audit_log::AuditLogPage;
pub use products::{ProductPage, ProductsPage};
pub use provisioning::ProvisioningPage;
pub use reseller::{AccountTab, HistoryTab, OverviewTab, PriceBookTab, ResellerFrame, ServicesTab};
pub use resellers::ResellersPage;
pub use service::ServicePage;
pub use statement::StatementPage;
pub use webhooks::{DeliveryPage, WebhooksPage};

use crate::{
    accounts::Panel,
    components::{FilterSelect, Loaded, NavItem, PanelGuard},
    resellers::server_fns::admin_reseller_names,
};
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// Link text is exactly each page's name.
pub const NAV: &[NavItem] = &[
    ("/admin/resellers", "Resellers"),
    ("/admin/products", "Products"),
    ("/admin/provisioning", "Provisioning"),
    ("/admin/api-logs", "API logs"),
    ("/admin/webhooks", "Webhooks"),
    ("/admin/audit-log", "Audit log"),
];

/// Frame and guard of every `/admin/...` page.
#[component]
pub fn AdminLayout() -> impl IntoView {
    view! {
        <PanelGuard panel=Panel::Admin nav=NAV>
            <Outlet/>
        </PanelGuard>
    }
}

/// The reseller filter of the Webhooks and API logs pages: a choice by
/// company name (the query keeps the id, `reseller_id=rsl_...`).
#[component]
pub fn ResellerChoice(id: &'static str) -> impl IntoView {
    let names = Resource::new(|| (), |_| admin_reseller_names());
    view! {
        <Loaded resource=names let:names>
            <FilterSelect id label="Reseller" name="reseller_id" options=names/>
        </Loaded>
    }
}
