//! The reseller portal (`/portal`), for client accounts.

pub mod api_settings;
pub mod billing;
pub mod customers;
pub mod dashboard;
pub mod deliveries;
pub mod orders;
pub mod products;
pub mod program;
pub mod services;

pub use api_settings::{ApiSettingsFrame, DeliveriesTab, GuideTab, KeysTab, RequestsTab, WebhookTab};
pub use billing::{BillingPage, StatementPage};
pub use customers::CustomersPage;
pub use dashboard::DashboardPage;
pub use deliveries::MyDeliveryPage;
pub use orders::{OrderPage, OrdersPage};
pub use products::ProductsPage;
pub use program::ProgramPage;
pub use services::{ServicePage, ServicesPage};

use crate::{
    accounts::Panel,
    components::{NavItem, PanelGuard},
};
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// Link text is exactly each page's name.
pub const NAV: &[NavItem] = &[
    ("/portal", "Dashboard"),
    ("/portal/orders", "Orders"),
    ("/portal/services", "Services"),
    ("/portal/products", "Products"),
    ("/portal/customers", "Customers"),
    ("/portal/billing", "Billing"),
    ("/portal/api-settings", "API Settings"),
    ("/portal/program", "Program overview"),
];

/// Frame and guard of every `/portal/...` page.
#[component]
pub fn PortalLayout() -> impl IntoView {
    view! {
        <PanelGuard panel=Panel::Portal nav=NAV>
            <Outlet/>
        </PanelGuard>
    }
}
