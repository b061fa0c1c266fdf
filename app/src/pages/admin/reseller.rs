//! `/admin/resellers/:id`: a reseller's profile, lifecycle actions,
//! settings, price book, services and history.

use super::{audit_log::AuditTable, billing::Account, price_book::PriceBook};
use crate::{
    components::{ActionOutcome, Field, Loaded, ServiceTable, StatusBadge, when},
    resellers::{
        LifecycleAction, Reseller,
        server_fns::{ResellerAction, ResellerDetail, UpdateResellerSettings, admin_reseller},
    },
    services::server_fns::{RenewService, ServiceAction as RecordOutcome, admin_reseller_services},
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ResellerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let action = ServerAction::<ResellerAction>::new();
    let settings = ServerAction::<UpdateResellerSettings>::new();
    let detail = Resource::new(
        move || (id(), action.version().get(), settings.version().get()),
        |(id, _, _)| admin_reseller(id),
    );
    view! {
        <Loaded resource=detail error_heading="Reseller" let:d>
            <Detail detail=d action settings/>
        </Loaded>
        {move || view! { <Account reseller_id=id()/> }}
        {move || view! { <PriceBook reseller_id=id()/> }}
        {move || view! { <ResellerServices reseller_id=id()/> }}
    }
}

#[component]
fn Detail(
    detail: ResellerDetail,
    action: ServerAction<ResellerAction>,
    settings: ServerAction<UpdateResellerSettings>,
) -> impl IntoView {
    let ResellerDetail {
        reseller: r,
        approved_by,
        actions,
        history,
    } = detail;
    let lifecycle = if actions.is_empty() {
        view! { <p>"No further transitions: terminated profiles are kept for the record."</p> }.into_any()
    } else {
        let id = r.id.to_string();
        view! {
            <div class="actions">
                {actions
                    .into_iter()
                    .map(|a| view! { <LifecycleForm reseller_id=id.clone() lifecycle=a action/> })
                    .collect_view()}
            </div>
        }
        .into_any()
    };
    view! {
        <h1>{r.company_name.clone()}</h1>
        <p><a href="/admin/resellers">"All resellers"</a></p>
        <Facts reseller=r.clone() approved_by/>
        <h2>"Lifecycle"</h2>
        {lifecycle}
        <ActionOutcome value=action.value() ok_text="Status changed."/>
        <Settings reseller=r settings/>
        <h2>"Status history"</h2>
        <AuditTable entries=history subjects=false empty="No history yet."/>
    }
}

#[component]
fn Settings(reseller: Reseller, settings: ServerAction<UpdateResellerSettings>) -> impl IntoView {
    let r = reseller;
    view! {
        <h2>"Settings"</h2>
        <ActionForm action=settings attr:class="stack">
            <input type="hidden" name="reseller_id" value=r.id.to_string()/>
            <div class="field">
                <label>
                    <input type="checkbox" name="api_enabled" value="on" checked=r.api_enabled/>
                    " API access enabled"
                </label>
            </div>
            <Field label="Rate limit (requests per window)" name="rate_limit" value=r.rate_limit.to_string()/>
            <Field
                label="Default discount rate (%)"
                name="default_discount_rate"
                value=r.default_discount_rate.to_string()
                hint="Off the retail price; used by Derive from retail unless a row overrides it."
            />
            <button type="submit" disabled=move || settings.pending().get()>"Save settings"</button>
        </ActionForm>
        <ActionOutcome value=settings.value() ok_text="Settings saved."/>
    }
}

#[component]
fn Facts(reseller: Reseller, approved_by: Option<String>) -> impl IntoView {
    let r = reseller;
    view! {
        <dl class="facts">
            <dt>"Status"</dt>
            <dd><StatusBadge status=r.status/></dd>
            <dt>"Contact"</dt>
            <dd>{r.contact_name} " <" {r.email} ">"</dd>
            <dt>"Website"</dt>
            <dd>{r.website.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Application"</dt>
            <dd>{r.message.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Applied"</dt>
            <dd>{r.applied_at.short()}</dd>
            <dt>"Approved"</dt>
            <dd>{when(r.approved_at)} {approved_by.map(|by| format!(" by {by}"))}</dd>
            <dt>"Suspended"</dt>
            <dd>{when(r.suspended_at)} {r.suspension_reason.map(|why| format!(": {why}"))}</dd>
            <dt>"Terminated"</dt>
            <dd>{when(r.terminated_at)} {r.termination_reason.map(|why| format!(": {why}"))}</dd>
            <dt>"Reseller id"</dt>
            <dd><code>{r.id.to_string()}</code></dd>
        </dl>
    }
}

/// One lifecycle button; suspension and termination ask for a reason.
#[component]
fn LifecycleForm(
    reseller_id: String,
    lifecycle: LifecycleAction,
    action: ServerAction<ResellerAction>,
) -> impl IntoView {
    let reason_label = match lifecycle {
        LifecycleAction::Suspend => Some("Reason for suspension"),
        LifecycleAction::Terminate => Some("Reason for termination"),
        _ => None,
    };
    let class = if lifecycle == LifecycleAction::Terminate {
        "danger"
    } else {
        ""
    };
    view! {
        <ActionForm action=action attr:class="stack">
            <input type="hidden" name="reseller_id" value=reseller_id/>
            <input type="hidden" name="action" value=lifecycle.as_str()/>
            {reason_label
                .map(|label| {
                    let id = format!("reason-{}", lifecycle.as_str());
                    view! {
                        <div class="field">
                            <label for=id.clone()>{label}</label>
                            <textarea id=id name="reason" required=true></textarea>
                        </div>
                    }
                })}
            <button type="submit" class=class disabled=move || action.pending().get()>{lifecycle.label()}</button>
        </ActionForm>
    }
}

/// The reseller's services with the provisioning outcomes an operator
/// records (each sends its webhook).
#[component]
pub fn ResellerServices(reseller_id: String) -> impl IntoView {
    let act = ServerAction::<RecordOutcome>::new();
    let renew = ServerAction::<RenewService>::new();
    let services = Resource::new(
        move || (act.version().get(), renew.version().get()),
        move |_| admin_reseller_services(reseller_id.clone()),
    );
    view! {
        <h2>"Services"</h2>
        <ActionOutcome value=act.value() ok_text="Service updated."/>
        <ActionOutcome value=renew.value() ok_text="Service renewed."/>
        <Loaded resource=services let:p>
            <ServiceTable services=p.page.data names=p.product_names currency=p.currency act renew/>
        </Loaded>
    }
}
