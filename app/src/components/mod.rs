//! View pieces both panels share: the panel frame, waiting for data,
//! errors and outcomes, tables, filter forms, the tab bar of a page's
//! sub-pages, and the tables of services and webhook deliveries both
//! panels show. Pages hold only what is particular to them.

mod billing;
mod chart;
mod deliveries;
mod filters;
mod loaded;
mod outcome;
mod panel;
mod service_page;
mod services;
mod table;
mod tabs;

pub use billing::{AccountFigures, BalanceChart, EntryTable, StatementMonths, StatementView};
pub use chart::{Chart, ChartKind, Series};
pub use deliveries::{DeliveryTable, DeliveryView};
pub use filters::{FilterForm, FilterInput, FilterSelect, choices, kept_filters, next_page_href, use_query_params};
pub use loaded::Loaded;
pub use outcome::{ActionOutcome, ActionResult};
pub use panel::{NavItem, PanelGuard};
pub use service_page::{Flash, Reload, ServiceDetail};
pub use services::{ServiceTable, name_in, provisioning_label, scheduled_note, status_label};
pub use table::{DataTable, NextPage};
pub use tabs::{Tab, TabBar, use_current_tab};

use crate::error::AppError;
use leptos::prelude::*;

/// An error, announced to assistive technology.
#[component]
pub fn Alert(error: AppError) -> impl IntoView {
    view! {
        <p role="alert" class="alert" data-code=error.code.as_str()>
            {error.message}
        </p>
    }
}

/// A confirmation or neutral notice.
#[component]
pub fn Notice(#[prop(into)] text: String) -> impl IntoView {
    view! { <p role="status" class="notice">{text}</p> }
}

/// A labelled input. Every field has a visible label (UI conventions).
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, optional)] value: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] hint: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                aria-describedby=hint_id.clone()
            />
            {hint.map(|h| view! { <small id=hint_id>{h}</small> })}
        </div>
    }
}

/// What a list shows when it has nothing to list.
#[component]
pub fn EmptyState(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}

/// Sets the HTTP status of the page being rendered on the server (no-op in
/// the browser).
pub fn set_http_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A reseller's status as a badge.
#[component]
pub fn StatusBadge(status: crate::resellers::ResellerStatus) -> impl IntoView {
    view! { <span class=format!("badge {}", status.as_str())>{status.label()}</span> }
}

/// `12.50 EUR`, or a dash for "not sold".
pub fn amount(value: Option<crate::money::Money>, currency: &str) -> String {
    crate::money::shown_or_dash(value, currency)
}

/// A timestamp for tables, or a dash.
pub fn when(at: Option<crate::timestamp::Timestamp>) -> String {
    at.map(|t| t.short()).unwrap_or_else(|| "—".to_owned())
}

/// The common loading fallback.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}
