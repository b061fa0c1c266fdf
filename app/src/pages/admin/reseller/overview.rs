//! `/admin/resellers/:id`: the reseller's facts and status, its lifecycle
//! actions and its settings.

use super::use_reseller;
use crate::{
    components::{ActionOutcome, Field, Loaded, StatusBadge, when},
    resellers::{
        LifecycleAction, Reseller,
        server_fns::{ResellerAction, ResellerDetail, UpdateResellerSettings},
    },
};
use leptos::prelude::*;

#[component]
pub fn OverviewTab() -> impl IntoView {
    let ctx = use_reseller();
    let detail = ctx.load_detail();
    let (action, settings) = (ctx.lifecycle, ctx.settings);
    view! {
        <Loaded resource=detail quiet=true let:d>
            <Detail detail=d action settings/>
        </Loaded>
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
        history: _,
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
        <Facts reseller=r.clone() approved_by/>
        <h2>"Lifecycle"</h2>
        {lifecycle}
        <ActionOutcome value=action.value() ok_text="Status changed."/>
        <Settings reseller=r settings/>
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
