//! `/admin/resellers/:id/...`: one reseller, in sub-pages under a tab bar,
//! each part in its own file: Overview (status, lifecycle actions,
//! settings), Account (balance, entries, statements, payment, limits),
//! Price book (the grid and its history), Services, History.

mod account;
mod history;
mod overview;
mod price_book;
mod price_changes;
mod services;

pub use account::AccountTab;
pub use history::HistoryTab;
pub use overview::OverviewTab;
pub use price_book::PriceBookTab;
pub use services::ServicesTab;

use crate::{
    components::{Loaded, Tab, TabBar, use_current_tab},
    error::AppError,
    resellers::server_fns::{ResellerAction, ResellerDetail, UpdateResellerSettings, admin_reseller},
};
use leptos::prelude::*;
use leptos_router::{components::Outlet, hooks::use_params_map};

/// The sub-pages, below `/admin/resellers/:id`.
pub const TABS: &[Tab] = &[
    ("", "Overview"),
    ("/account", "Account"),
    ("/price-book", "Price book"),
    ("/services", "Services"),
    ("/history", "History"),
];

/// What every sub-page shares: the reseller's id and the actions whose
/// success changes it.
#[derive(Clone, Copy)]
pub struct ResellerContext {
    pub id: Memo<String>,
    pub lifecycle: ServerAction<ResellerAction>,
    pub settings: ServerAction<UpdateResellerSettings>,
}

impl ResellerContext {
    /// The reseller, loaded again after each action. Each reader makes its
    /// own (the frame for its heading, Overview and History for the rest):
    /// a resource read under two `Suspense`s can leave the server's
    /// response hanging (docs/ARCHITECTURE.md, "Pages and resources").
    pub fn load_detail(self) -> Resource<Result<ResellerDetail, AppError>> {
        let Self {
            id,
            lifecycle,
            settings,
        } = self;
        Resource::new(
            move || (id.get(), lifecycle.version().get(), settings.version().get()),
            |(id, _, _)| admin_reseller(id),
        )
    }
}

fn use_reseller() -> ResellerContext {
    expect_context::<ResellerContext>()
}

/// The frame of every sub-page: "<company>: <tab>" as its `<h1>`, the tab
/// bar, then the sub-page. The resources of the sub-pages are created
/// with them, outside this frame's `Loaded` (a resource first created
/// after another's await is not matched to its server-rendered data on
/// hydration).
#[component]
pub fn ResellerFrame() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let ctx = ResellerContext {
        id,
        lifecycle: ServerAction::<ResellerAction>::new(),
        settings: ServerAction::<UpdateResellerSettings>::new(),
    };
    provide_context(ctx);
    let detail = ctx.load_detail();
    let base = Signal::derive(move || format!("/admin/resellers/{}", id.get()));
    let tab = use_current_tab(base, TABS);
    view! {
        <p><a href="/admin/resellers">"All resellers"</a></p>
        <Loaded resource=detail error_heading="Reseller" let:d>
            <h1>{move || format!("{}: {}", d.reseller.company_name, tab.get())}</h1>
        </Loaded>
        <TabBar label="Reseller" base tabs=TABS/>
        <Outlet/>
    }
}
