//! `/admin/api-logs`: partner requests across resellers, filtered, with a
//! CSV export of the same filter.

use crate::{
    api_log::server_fns::admin_api_logs,
    components::{Alert, EmptyState, Loading},
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

const FILTERS: [(&str, &str, &str); 5] = [
    ("reseller_id", "Reseller id", "rsl_..."),
    ("status", "Status", "429"),
    ("code", "Error code", "invalid_signature"),
    ("from", "From", "2026-11-01"),
    ("to", "To", "2026-12-01"),
];

#[component]
pub fn ApiLogsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
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
    let filter_query = move || {
        FILTERS
            .iter()
            .filter_map(|(name, _, _)| param(name).map(|v| format!("{name}={}", urlencode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    };
    view! {
        <h1>"API logs"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter API logs">
            {FILTERS
                .iter()
                .map(|(name, label, placeholder)| {
                    let id = format!("log-{name}");
                    view! {
                        <div class="field">
                            <label for=id.clone()>{*label}</label>
                            <input id=id name=*name value=move || param(name) placeholder=*placeholder size="14"/>
                        </div>
                    }
                })
                .collect_view()}
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <p>
            <a href=move || format!("/admin/api-logs.csv?{}", filter_query()) rel="external" download="api-logs.csv">
                "Export CSV"
            </a>
        </p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(page) if page.data.is_empty() => view! { <EmptyState text="No requests match."/> }.into_any(),
                    Ok(page) => {
                        let list = page.data;
                        let older = page.next_cursor
                            .map(|id| {
                                let q = filter_query();
                                view! { <p><a href=format!("/admin/api-logs?{q}&before={id}")>"Older requests"</a></p> }
                            });
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Reseller"</th>
                                            <th scope="col">"Key"</th>
                                            <th scope="col">"Request"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Code"</th>
                                            <th scope="col">"Duration"</th>
                                            <th scope="col">"Client"</th>
                                            <th scope="col">"Request id"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>{r.at.short()}</td>
                                                        <td>
                                                            {r.reseller_id.map(|id| {
                                                                view! { <a href=format!("/admin/resellers/{id}")>{id.to_string()}</a> }
                                                            })}
                                                        </td>
                                                        <td><code>{r.key_prefix.unwrap_or_default()}</code></td>
                                                        <td><code>{format!("{} {}", r.method, r.path)}</code></td>
                                                        <td class="num">{r.status}</td>
                                                        <td>{r.error_code.unwrap_or_default()}</td>
                                                        <td class="num">{format!("{:.1} ms", r.duration_us as f64 / 1000.0)}</td>
                                                        <td>{r.client_addr}</td>
                                                        <td><code>{r.request_id}</code></td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {older}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Percent-encodes a query value (the few characters filters can hold).
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
