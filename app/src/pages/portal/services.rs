//! `/portal/services`: every service with its customer, status (and why
//! a suspended one is), provisioning, term, price and renewal; and
//! `/portal/services/:id`: one service with the details its module
//! returned (hostname, IP address, panel URL).

use crate::{
    components::{
        FilterForm, FilterSelect, Loaded, NextPage, ServiceTable, amount, choices, provisioning_label, status_label,
        use_query_params,
    },
    services::{
        ServiceStatus,
        server_fns::{ServiceView, my_service, my_services},
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ServicesPage() -> impl IntoView {
    let param = use_query_params();
    let page = Resource::new(
        move || (param("status"), param("before")),
        |(status, before)| my_services(status, before),
    );
    let statuses = choices(ServiceStatus::ALL, ServiceStatus::as_str, ServiceStatus::label);
    view! {
        <h1>"Services"</h1>
        <FilterForm label="Filter services">
            <FilterSelect id="filter-status" label="Status" name="status" options=statuses/>
        </FilterForm>
        <Loaded resource=page let:p>
            <ServiceTable
                services=p.page.data
                names=p.product_names
                customers=p.customer_names
                currency=p.currency
            />
            <NextPage href=p.page.next_cursor.map(|c| format!("/portal/services?before={c}")) text="More services"/>
        </Loaded>
    }
}

/// `/portal/services/:id`
#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let service = Resource::new(move || params.read().get("id").unwrap_or_default(), my_service);
    view! {
        <Loaded resource=service error_heading="Service" let:v>
            <ServiceFacts v/>
        </Loaded>
    }
}

#[component]
fn ServiceFacts(v: ServiceView) -> impl IntoView {
    let s = v.service;
    let details = s.details.clone();
    let updated = s
        .provisioning
        .as_ref()
        .map(|p| p.updated_at.short())
        .unwrap_or_default();
    view! {
        <h1>{v.product_name.clone()} " " <code>{s.id.to_string()}</code></h1>
        <p><a href="/portal/services">"All services"</a></p>
        <dl class="facts">
            <dt>"Status"</dt>
            <dd data-testid="service-status">{status_label(&s)}</dd>
            <dt>"Provisioning"</dt>
            <dd data-testid="service-provisioning">{provisioning_label(&s)} " " <small>{updated}</small></dd>
            <dt>"Customer"</dt>
            <dd>{v.customer_label.clone()}</dd>
            <dt>"Term"</dt>
            <dd>{s.term.label()}</dd>
            <dt>"Price"</dt>
            <dd>{amount(Some(s.recurring_price), &v.currency)}</dd>
            <dt>"Started"</dt>
            <dd>{s.started_at.short()}</dd>
            <dt>"Next renewal"</dt>
            <dd>{s.next_renewal_at.short()}</dd>
            <dt>"Order"</dt>
            <dd><a href=format!("/portal/orders/{}", s.order_id)><code>{s.order_id.to_string()}</code></a></dd>
        </dl>
        <h2>"Details"</h2>
        {if details.is_empty() {
            view! { <p>"No details yet: they appear once the service is set up."</p> }.into_any()
        } else {
            view! {
                <dl class="facts" data-testid="service-details">
                    {details
                        .into_iter()
                        .map(|(k, v)| view! { <dt>{k}</dt><dd><code>{v}</code></dd> })
                        .collect_view()}
                </dl>
            }
            .into_any()
        }}
    }
}
