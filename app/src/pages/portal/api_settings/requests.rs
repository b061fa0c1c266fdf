//! `/portal/api-settings/requests`: the reseller's own partner API
//! requests, newest first, by status and path, a page at a time.

use crate::{
    api_log::{ApiRequest, server_fns::my_api_requests},
    components::{DataTable, FilterForm, FilterInput, Loaded, NextPage, next_page_href, use_query_params},
};
use leptos::prelude::*;

/// The filters, by query name; the next page keeps them.
const FILTERS: [&str; 2] = ["status", "path"];

#[component]
pub fn RequestsTab() -> impl IntoView {
    let param = use_query_params();
    let list = Resource::new(
        move || (param("status"), param("path"), param("before")),
        |(status, path, before)| my_api_requests(status, path, before),
    );
    let older = move |cursor: String| next_page_href(&format!("{}/requests", super::BASE), &cursor, param, &FILTERS);
    view! {
        <p>"Every request your keys sent, refused ones included, as the API answered it."</p>
        <FilterForm label="Filter requests">
            <FilterInput id="req-status" label="Status" name="status" placeholder="401"/>
            <FilterInput id="req-path" label="Path begins with" name="path" placeholder="/api/v1/orders"/>
        </FilterForm>
        <Loaded resource=list let:page>
            <RequestTable requests=page.data/>
            <NextPage href=page.next_cursor.map(older) text="Older requests"/>
        </Loaded>
    }
}

#[component]
fn RequestTable(requests: Vec<ApiRequest>) -> impl IntoView {
    let row = |r: ApiRequest| {
        view! {
            <tr>
                <td>{r.at.short()}</td>
                <td><code>{format!("{} {}", r.method, r.path)}</code></td>
                <td class="num">{r.status}</td>
                <td>{r.error_code.unwrap_or_default()}</td>
                <td><code>{r.key_prefix.unwrap_or_default()}</code></td>
                <td><code>{r.request_id}</code></td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["When", "Request", "Status", "Code", "Key", "Request id"]
            rows=requests
            row
            empty="No requests match."
        />
    }
}
