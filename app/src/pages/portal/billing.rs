//! `/portal/billing`: the reseller's account (balance, credit limit,
//! available), its entries, the balance chart and the monthly statements;
//! `/portal/billing/statements/:month`: one statement, printable.

use crate::{
    billing::{
        EntryKind,
        server_fns::{my_billing, my_statement},
    },
    components::{
        AccountFigures, BalanceChart, EntryTable, FilterForm, FilterSelect, Loaded, NextPage, StatementMonths,
        StatementView, choices, use_query_params,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn BillingPage() -> impl IntoView {
    let param = use_query_params();
    let account = Resource::new(
        move || (param("kind"), param("before")),
        |(kind, before)| my_billing(kind, before),
    );
    view! {
        <h1>"Billing"</h1>
        <Loaded resource=account let:a>
            {
                let code = a.balance.currency.clone();
                let kind = param("kind").map(|k| format!("&kind={k}")).unwrap_or_default();
                view! {
                    <AccountFigures balance=a.balance/>
                    <BalanceChart history=a.history currency=code.clone()/>
                    <h2>"Entries"</h2>
                    <FilterForm label="Filter entries">
                        <FilterSelect id="filter-kind" label="Kind" name="kind" options=choices(EntryKind::ALL, EntryKind::as_str, EntryKind::label)/>
                    </FilterForm>
                    <EntryTable entries=a.entries.data currency=code/>
                    <NextPage
                        href=a.entries.next_cursor.map(|c| format!("/portal/billing?before={c}{kind}"))
                        text="Older entries"
                    />
                    <h2>"Statements"</h2>
                    <StatementMonths
                        months=a.months
                        base="/portal/billing/statements".to_owned()
                        csv="/portal/billing/statement.csv".to_owned()
                    />
                }
            }
        </Loaded>
    }
}

#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params.read().get("month").unwrap_or_default(),
            query.read().get("after"),
        )
    };
    let statement = Resource::new(key, |(month, after)| my_statement(month, after));
    view! {
        <p class="no-print"><a href="/portal/billing">"Billing"</a></p>
        <Loaded resource=statement error_heading="Statement" let:s>
            {
                let csv = format!("/portal/billing/statement.csv?month={}", s.month);
                let base = format!("/portal/billing/statements/{}", s.month);
                view! { <StatementView statement=s holder="Your reseller account" csv_href=csv base/> }
            }
        </Loaded>
    }
}
