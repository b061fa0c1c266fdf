//! `/admin/resellers`: profiles by status, with search, and the invite form.

use crate::{
    billing::Balance,
    components::{
        ActionResult, DataTable, Field, FilterForm, FilterInput, FilterSelect, Loaded, NextPage, Notice, StatusBadge,
        choices, use_query_params,
    },
    resellers::{
        Reseller, ResellerStatus,
        server_fns::{InviteReseller, admin_list_resellers},
    },
};
use leptos::prelude::*;

#[component]
pub fn ResellersPage() -> impl IntoView {
    let param = use_query_params();
    let invite = ServerAction::<InviteReseller>::new();
    let page = Resource::new(
        move || {
            (
                param("status"),
                param("q"),
                param("after"),
                param("sort"),
                invite.version().get(),
            )
        },
        |(status, q, after, sort, _)| admin_list_resellers(status, q, after, sort),
    );
    let next = move |cursor: String| {
        let status = param("status").map(|s| format!("&status={s}")).unwrap_or_default();
        format!("/admin/resellers?after={cursor}{status}")
    };
    let statuses = choices(ResellerStatus::ALL, ResellerStatus::as_str, ResellerStatus::label);
    let sorts = vec![("balance".to_owned(), "Lowest balance first (who owes most)".to_owned())];
    view! {
        <h1>"Resellers"</h1>
        <FilterForm label="Filter resellers">
            <FilterSelect id="filter-status" label="Status" name="status" options=statuses/>
            <FilterInput id="filter-q" label="Search" name="q" kind="search" placeholder="Company or email"/>
            <FilterSelect id="filter-sort" label="Order" name="sort" options=sorts/>
        </FilterForm>
        <Loaded resource=page let:list>
            <ResellerTable resellers=list.page.data balances=list.balances/>
            <NextPage href=list.page.next_cursor.map(next) text="Next page"/>
        </Loaded>
        <Invite invite/>
    }
}

#[component]
fn ResellerTable(resellers: Vec<Reseller>, balances: Vec<Balance>) -> impl IntoView {
    let rows: Vec<(Reseller, Balance)> = resellers.into_iter().zip(balances).collect();
    let row = |(r, b): (Reseller, Balance)| {
        let code = b.currency.clone();
        let limit = crate::billing::credit_limit_label(b.credit_limit, &code);
        let available = crate::money::shown_or_dash(b.available, &code);
        view! {
            <tr>
                <th scope="row"><a href=format!("/admin/resellers/{}", r.id)>{r.company_name}</a></th>
                <td>{r.contact_name} <br/> <small>{r.email}</small></td>
                <td><StatusBadge status=r.status/></td>
                <td class="num" data-testid="row-balance">{crate::money::shown(b.balance, &code)}</td>
                <td class="num">{limit}</td>
                <td class="num">{available}</td>
                <td>{r.applied_at.short()}</td>
                <td>{if r.api_enabled { "On" } else { "Off" }}</td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["Company", "Contact", "Status", "Balance", "Credit limit", "Available", "Applied", "API"]
            rows
            row
            empty="No resellers match."
        />
    }
}

#[component]
fn Invite(invite: ServerAction<InviteReseller>) -> impl IntoView {
    view! {
        <h2>"Invite a reseller"</h2>
        <p>
            "Creates a client account with a pending reseller profile and a one-time link to set a password. "
            "Someone who already has a client account applies from the portal's Program overview instead."
        </p>
        <ActionForm action=invite attr:class="stack">
            <Field label="Email" name="email" kind="email" required=true/>
            <Field label="Contact name" name="contact_name"/>
            <Field label="Company name" name="company_name" required=true/>
            <Field label="Default discount rate (%)" name="default_discount_rate" hint="0 to 100; blank for 0"/>
            <Field label="Rate limit (requests per window)" name="rate_limit" hint="Blank for 1000"/>
            <button type="submit" disabled=move || invite.pending().get()>"Invite"</button>
        </ActionForm>
        <ActionResult value=invite.value() let:outcome>
            <Notice text=match outcome.invitation_url {
                Some(url) => format!(
                    "{} invited. Send them this one-time link to set a password: {url}",
                    outcome.reseller.company_name,
                ),
                None => format!("{} invited (existing account).", outcome.reseller.company_name),
            }/>
        </ActionResult>
    }
}
