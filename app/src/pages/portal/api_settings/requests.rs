//! The reseller's most recent partner API requests.

use crate::{api_log::ApiRequest, components::DataTable};
use leptos::prelude::*;

#[component]
pub fn RecentRequests(requests: Vec<ApiRequest>) -> impl IntoView {
    let row = |r: ApiRequest| {
        view! {
            <tr>
                <td>{r.at.short()}</td>
                <td><code>{format!("{} {}", r.method, r.path)}</code></td>
                <td class="num">{r.status}</td>
                <td>{r.error_code.unwrap_or_default()}</td>
                <td><code>{r.key_prefix.unwrap_or_default()}</code></td>
            </tr>
        }
    };
    view! {
        <h2>"Recent API requests"</h2>
        <DataTable
            columns=vec!["When", "Request", "Status", "Code", "Key"]
            rows=requests
            row
            empty="No API requests yet."
        />
    }
}
