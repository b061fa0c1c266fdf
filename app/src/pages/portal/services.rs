//! `/portal/services`: every service with its customer, status (and why
//! a suspended one is), term, price and renewal.

use crate::{
    components::{FilterForm, FilterSelect, Loaded, NextPage, ServiceTable, choices, use_query_params},
    services::{ServiceStatus, server_fns::my_services},
};
use leptos::prelude::*;

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
