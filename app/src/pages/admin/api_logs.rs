//! `/admin/api-logs`: partner requests across resellers, filtered, with a
//! CSV export of the same filter.

use super::ResellerChoice;
use crate::{
    api_log::{ApiRequest, server_fns::admin_api_logs},
    components::{DataTable, FilterForm, FilterInput, Loaded, NextPage, kept_filters, use_query_params},
};
use leptos::prelude::*;

/// The filters besides the reseller: (query name, label, example).
const FILTERS: [(&str, &str, &str); 4] = [
    ("status", "Status", "429"),
    ("code", "Error code", "invalid_signature"),
    ("from", "From", "2026-11-01"),
    ("to", "To", "2026-12-01"),
];

#[component]
pub fn ApiLogsPage() -> impl IntoView {
    let param = use_query_params();
    let rows = Resource::new(
        move || {
            (
                param("reseller_id"),
                param("status"),
                param("code"),
                param("from"),
                param("to"),
                param("before"),
            )
        },
        |(reseller, status, code, from, to, before)| admin_api_logs(reseller, status, code, from, to, before),
    );
    // The filter as a query string: the export and the next page keep it.
    let filter_query = move || {
        let names: Vec<&str> = std::iter::once("reseller_id")
            .chain(FILTERS.iter().map(|(name, _, _)| *name))
            .collect();
        kept_filters(param, &names)
    };
    let older = move |id: String| format!("/admin/api-logs?{}&before={id}", filter_query());
    view! {
        <h1>"API logs"</h1>
        <FilterForm label="Filter API logs">
            <ResellerChoice id="log-reseller_id"/>
            {FILTERS
                .iter()
                .map(|(name, label, example)| {
                    view! { <FilterInput id=log_field(name) label=*label name=*name placeholder=*example/> }
                })
                .collect_view()}
        </FilterForm>
        <p>
            <a href=move || format!("/admin/api-logs.csv?{}", filter_query()) rel="external" download="api-logs.csv">
                "Export CSV"
            </a>
        </p>
        <Loaded resource=rows let:page>
            <RequestTable requests=page.data/>
            <NextPage href=page.next_cursor.map(older) text="Older requests"/>
        </Loaded>
    }
}

/// `log-status` and the like: the ids the filter inputs have always had.
fn log_field(name: &str) -> &'static str {
    match name {
        "status" => "log-status",
        "code" => "log-code",
        "from" => "log-from",
        _ => "log-to",
    }
}

#[component]
fn RequestTable(requests: Vec<ApiRequest>) -> impl IntoView {
    let row = |r: ApiRequest| {
        view! {
            <tr>
                <td>{r.at.short()}</td>
                <td>{r.reseller_id.map(|id| view! { <a href=format!("/admin/resellers/{id}")>{id.to_string()}</a> })}</td>
                <td><code>{r.key_prefix.unwrap_or_default()}</code></td>
                <td><code>{format!("{} {}", r.method, r.path)}</code></td>
                <td class="num">{r.status}</td>
                <td>{r.error_code.unwrap_or_default()}</td>
                <td class="num">{format!("{:.1} ms", r.duration_us as f64 / 1000.0)}</td>
                <td>{r.client_addr}</td>
                <td><code>{r.request_id}</code></td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["When", "Reseller", "Key", "Request", "Status", "Code", "Duration", "Client", "Request id"]
            rows=requests
            row
            empty="No requests match."
        />
    }
}
