//! `/admin/resellers`: profiles by status, with search, and the invite form.

use crate::{
    components::{ActionOutcome, Alert, EmptyState, Field, Loading, StatusBadge},
    resellers::{
        ResellerStatus,
        server_fns::{InviteReseller, admin_list_resellers},
    },
};
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

#[component]
pub fn ResellersPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let invite = ServerAction::<InviteReseller>::new();
    let page = Resource::new(
        move || (param("status"), param("q"), param("after"), invite.version().get()),
        |(status, q, after, _)| admin_list_resellers(status, q, after),
    );
    let selected = move || param("status").unwrap_or_default();

    view! {
        <h1>"Resellers"</h1>
        <Form method="GET" action="" attr:class="actions" attr:aria-label="Filter resellers">
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status">
                    <option value="" selected=move || selected().is_empty()>"All"</option>
                    {ResellerStatus::ALL
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option value=s.as_str() selected=move || selected() == s.as_str()>
                                    {s.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" type="search" name="q" value=move || param("q") placeholder="Company or email"/>
            </div>
            <button type="submit" class="secondary">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(page) if page.items.is_empty() => {
                        view! { <EmptyState text="No resellers match."/> }.into_any()
                    }
                    Ok(page) => {
                        let next = page.next_cursor.map(|cursor| {
                            let mut href = format!("/admin/resellers?after={cursor}");
                            if let Some(s) = param("status") {
                                href.push_str(&format!("&status={s}"));
                            }
                            view! { <p><a href=href>"Next page"</a></p> }
                        });
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Company"</th>
                                            <th scope="col">"Contact"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Applied"</th>
                                            <th scope="col">"API"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page
                                            .items
                                            .into_iter()
                                            .map(|r| {
                                                let href = format!("/admin/resellers/{}", r.id);
                                                view! {
                                                    <tr>
                                                        <th scope="row"><a href=href>{r.company_name}</a></th>
                                                        <td>{r.contact_name} <br/> <small>{r.email}</small></td>
                                                        <td><StatusBadge status=r.status/></td>
                                                        <td>{r.applied_at.short()}</td>
                                                        <td>{if r.api_enabled { "On" } else { "Off" }}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {next}
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>

        <h2>"Invite a reseller"</h2>
        <p>
            "Creates a client account (if the email has none) with a pending reseller profile. "
            "New accounts get a one-time link to set a password."
        </p>
        <ActionForm action=invite attr:class="stack">
            <Field label="Email" name="email" kind="email" required=true/>
            <Field label="Contact name" name="contact_name"/>
            <Field label="Company name" name="company_name" required=true/>
            <Field label="Default discount rate (%)" name="default_discount_rate" hint="0 to 100; blank for 0"/>
            <Field label="Rate limit (requests per window)" name="rate_limit" hint="Blank for 1000"/>
            <button type="submit" disabled=move || invite.pending().get()>"Invite"</button>
        </ActionForm>
        {move || match invite.value().get() {
            Some(Ok(outcome)) => {
                let text = match outcome.invitation_url {
                    Some(url) => format!(
                        "{} invited. Send them this one-time link to set a password: {url}",
                        outcome.reseller.company_name
                    ),
                    None => format!("{} invited (existing account).", outcome.reseller.company_name),
                };
                Some(view! { <p role="status" class="notice">{text}</p> }.into_any())
            }
            Some(Err(_)) => Some(view! { <ActionOutcome value=invite.value()/> }.into_any()),
            None => None,
        }}
    }
}
