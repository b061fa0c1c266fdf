//! `/admin/resellers/:id`: a reseller's profile, lifecycle actions,
//! settings, price book and history.

use super::price_book::PriceBook;
use crate::{
    components::{ActionOutcome, Alert, EmptyState, Field, Loading, StatusBadge, when},
    resellers::{
        LifecycleAction, Reseller,
        server_fns::{ResellerAction, ResellerDetail, UpdateResellerSettings, admin_reseller},
    },
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
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <h1>"Reseller"</h1> <Alert error/> }.into_any(),
                    Ok(d) => view! { <Detail detail=d action settings/> }.into_any(),
                }
            })}
        </Transition>
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
        reseller,
        actions,
        history,
    } = detail;
    let r = reseller.clone();
    view! {
        <h1>{r.company_name.clone()}</h1>
        <p><a href="/admin/resellers">"All resellers"</a></p>
        <Facts reseller=r.clone()/>

        <h2>"Lifecycle"</h2>
        {if actions.is_empty() {
            view! { <p>"No further transitions: terminated profiles are kept for the record."</p> }.into_any()
        } else {
            view! {
                <div class="actions">
                    {actions
                        .into_iter()
                        .map(|a| view! { <LifecycleForm reseller_id=r.id.to_string() lifecycle=a action/> })
                        .collect_view()}
                </div>
            }
                .into_any()
        }}
        <ActionOutcome value=action.value() ok_text="Status changed."/>

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

        <h2>"Status history"</h2>
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {history
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr>
                                    <td>{e.at.short()}</td>
                                    <td>{e.actor_name}</td>
                                    <td>{e.action}</td>
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
    }
}

#[component]
fn Facts(reseller: Reseller) -> impl IntoView {
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
            <dd>{when(r.approved_at)} {r.approved_by.map(|by| format!(" by {by}"))}</dd>
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
    use crate::services::server_fns::{ServiceAction as ServiceActionFn, admin_reseller_services};
    let act = ServerAction::<ServiceActionFn>::new();
    let services = Resource::new(
        move || act.version().get(),
        move |_| admin_reseller_services(reseller_id.clone()),
    );
    view! {
        <h2>"Services"</h2>
        <ActionOutcome value=act.value() ok_text="Service updated."/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match services.await {
                    Err(error) => view! { <Alert error/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState text="No services yet."/> }.into_any(),
                    Ok(list) => view! { <ServiceTable list act/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceTable(
    list: Vec<crate::services::Service>,
    act: ServerAction<crate::services::server_fns::ServiceAction>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Term"</th>
                        <th scope="col">"Next renewal"</th>
                        <th scope="col">"Provisioning outcome"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr>
                                    <th scope="row"><code>{s.id.to_string()}</code></th>
                                    <td>{s.status.label()}</td>
                                    <td>{s.term.label()}</td>
                                    <td>{s.next_renewal_at.short()}</td>
                                    <td><ServiceActions service=s act/></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One button per outcome the service's status allows.
#[component]
fn ServiceActions(
    service: crate::services::Service,
    act: ServerAction<crate::services::server_fns::ServiceAction>,
) -> impl IntoView {
    let id = service.id.to_string();
    crate::services::possible_service_actions(service.status)
        .into_iter()
        .map(|a| {
            let id = id.clone();
            view! {
                <ActionForm action=act attr:class="inline">
                    <input type="hidden" name="service_id" value=id/>
                    <input type="hidden" name="action" value=a.as_str()/>
                    <button type="submit" class="secondary">{a.label()}</button>
                </ActionForm>
            }
        })
        .collect_view()
}
