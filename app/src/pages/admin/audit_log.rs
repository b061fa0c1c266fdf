//! `/admin/audit-log`: every operator action, newest first.

use crate::{
    audit::server_fns::admin_audit_log,
    components::{Alert, EmptyState, Loading},
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let entries = Resource::new(
        move || (param("action"), param("subject"), param("before")),
        |(action, subject, before)| admin_audit_log(action, subject, before.and_then(|b| b.parse().ok())),
    );
    view! {
        <h1>"Audit log"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter the audit log">
            <div class="field">
                <label for="audit-action">"Action"</label>
                <input id="audit-action" name="action" value=move || param("action") placeholder="reseller.approve"/>
            </div>
            <div class="field">
                <label for="audit-subject">"Subject id"</label>
                <input id="audit-subject" name="subject" value=move || param("subject") placeholder="rsl_..."/>
            </div>
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(page) if page.data.is_empty() => view! { <EmptyState text="No entries."/> }.into_any(),
                    Ok(page) => {
                        let list = page.data;
                        let older = page.next_cursor
                            .map(|id| view! { <p><a href=format!("/admin/audit-log?before={id}")>"Older entries"</a></p> });
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Subject"</th>
                                            <th scope="col">"From"</th>
                                            <th scope="col">"To"</th>
                                            <th scope="col">"Reason"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|e| {
                                                view! {
                                                    <tr>
                                                        <td>{e.at.short()}</td>
                                                        <td>{e.actor_name}</td>
                                                        <td>{e.action}</td>
                                                        <td><code>{e.subject_id}</code></td>
                                                        <td>{e.from_status.unwrap_or_default()}</td>
                                                        <td>{e.to_status.unwrap_or_default()}</td>
                                                        <td>{e.reason.unwrap_or_default()}</td>
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
