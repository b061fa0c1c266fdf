//! `/portal/services`: every service with its customer, status (and why
//! a suspended one is), provisioning, term, price and renewal; and
//! `/portal/services/:id`: one service with the details its module
//! returned (hostname, IP address, panel URL).

use crate::{
    components::{
        FilterForm, FilterSelect, Flash, Loaded, NextPage, Reload, ServiceDetail, ServiceTable, choices,
        use_query_params,
    },
    services::{
        ServiceStatus,
        server_fns::{my_service, my_services},
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
    let refresh = Reload::new();
    let service = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), refresh.version.get()),
        |(id, _)| my_service(id),
    );
    view! {
        <Flash reload=refresh/>
        <Loaded resource=service error_heading="Service" let:v>
            <ServiceDetail v back=("/portal/services".to_owned(), "All services".to_owned()) refresh/>
        </Loaded>
    }
}
