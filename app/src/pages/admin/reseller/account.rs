//! `/admin/resellers/:id/account`: the account's figures, its balance
//! chart, the latest entries, the statements, "Record payment", and the
//! credit limit and low-balance threshold.

use super::use_reseller;
use crate::{
    billing::server_fns::{RecordPayment, UpdateAccountSettings, admin_account},
    components::{AccountFigures, ActionOutcome, BalanceChart, EntryTable, Field, Loaded, StatementMonths},
};
use leptos::prelude::*;

#[component]
pub fn AccountTab() -> impl IntoView {
    let id = use_reseller().id;
    view! { {move || view! { <Account reseller_id=id.get()/> }} }
}

#[component]
fn Account(reseller_id: String) -> impl IntoView {
    let pay = ServerAction::<RecordPayment>::new();
    let settings = ServerAction::<UpdateAccountSettings>::new();
    let account = Resource::new(
        {
            let id = reseller_id.clone();
            move || (id.clone(), pay.version().get(), settings.version().get())
        },
        |(id, _, _)| admin_account(id),
    );
    view! {
        <Loaded resource=account let:a>
            {
                let id = reseller_id.clone();
                let code = a.balance.currency.clone();
                let limit = a.balance.credit_limit.map(|l| l.to_string()).unwrap_or_default();
                let threshold = a.balance.low_balance_threshold.map(|t| t.to_string()).unwrap_or_default();
                view! {
                    <AccountFigures balance=a.balance/>
                    <BalanceChart history=a.history currency=code.clone()/>
                    <h2>"Latest entries"</h2>
                    <EntryTable entries=a.entries.data currency=code/>
                    <h2>"Statements"</h2>
                    <StatementMonths
                        months=a.months
                        base=format!("/admin/resellers/{id}/statements")
                        csv=format!("/admin/resellers/{id}/statement.csv")
                    />
                    <div class="columns">
                        <PaymentForm reseller_id=id.clone() token=a.form_token pay/>
                        <LimitsForm reseller_id=id limit threshold settings/>
                    </div>
                }
            }
        </Loaded>
    }
}

/// "Record payment": money received, with a reference. The hidden token
/// makes a form sent twice record one payment.
#[component]
fn PaymentForm(reseller_id: String, token: String, pay: ServerAction<RecordPayment>) -> impl IntoView {
    view! {
        <section aria-labelledby="record-payment">
            <h2 id="record-payment">"Record payment"</h2>
            <ActionForm action=pay attr:class="stack">
                <input type="hidden" name="reseller_id" value=reseller_id/>
                <input type="hidden" name="form_token" value=token/>
                <Field label="Amount" name="amount" required=true hint="A decimal such as 250.00."/>
                <Field label="Reference" name="reference" required=true hint="Bank transfer id, invoice number."/>
                <Field label="Received on" name="received_at" kind="date" hint="Leave blank for now."/>
                <button type="submit" disabled=move || pay.pending().get()>"Record payment"</button>
            </ActionForm>
            <ActionOutcome value=pay.value() ok_text="Payment recorded."/>
        </section>
    }
}

/// Credit limit (blank: none; 0: prepaid) and low-balance threshold.
#[component]
fn LimitsForm(
    reseller_id: String,
    limit: String,
    threshold: String,
    settings: ServerAction<UpdateAccountSettings>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="account-settings">
            <h2 id="account-settings">"Credit limit and warning"</h2>
            <ActionForm action=settings attr:class="stack">
                <input type="hidden" name="reseller_id" value=reseller_id/>
                <Field
                    label="Credit limit"
                    name="credit_limit"
                    value=limit
                    hint="Blank: no limit (billed in arrears). 0.00: prepaid. More: a credit line."
                />
                <Field
                    label="Low-balance threshold"
                    name="low_balance_threshold"
                    value=threshold
                    hint="A balance.low webhook when available falls below it. Blank: none."
                />
                <button type="submit" disabled=move || settings.pending().get()>"Save account settings"</button>
            </ActionForm>
            <ActionOutcome value=settings.value() ok_text="Account settings saved."/>
        </section>
    }
}
