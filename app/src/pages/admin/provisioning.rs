//! `/admin/provisioning`: what the provisioning modules are doing. Failed
//! actions first (with their last error, "Retry now" and "Mark done" with
//! a note), then the open ones, then the services of `manual` products
//! waiting to be set up, oldest first. Operators only: the endpoint's
//! answers are never shown to a reseller.

use crate::{
    components::{ActionOutcome, DataTable, Loaded},
    provisioning::{
        Action, WaitingService,
        server_fns::{MarkProvisioningActionDone, RetryProvisioningAction, provisioning_overview},
    },
    services::server_fns::ServiceAction as RecordOutcome,
};
use leptos::prelude::*;

#[component]
pub fn ProvisioningPage() -> impl IntoView {
    let retry = ServerAction::<RetryProvisioningAction>::new();
    let done = ServerAction::<MarkProvisioningActionDone>::new();
    let activate = ServerAction::<RecordOutcome>::new();
    let overview = Resource::new(
        move || (retry.version().get(), done.version().get(), activate.version().get()),
        |_| provisioning_overview(),
    );
    view! {
        <h1>"Provisioning"</h1>
        <ActionOutcome value=retry.value() ok_text="Queued: the action is attempted now."/>
        <ActionOutcome value=done.value() ok_text="Marked done."/>
        <ActionOutcome value=activate.value() ok_text="Service activated."/>
        <Loaded resource=overview let:o>
            <h2>"Failed"</h2>
            <ActionTable actions=o.failed retry done empty="No failed actions."/>
            <h2>"In progress"</h2>
            <ActionTable actions=o.open retry done empty="Nothing in progress."/>
            <h2>"Waiting for you (manual products)"</h2>
            <WaitingTable services=o.waiting activate/>
        </Loaded>
    }
}

#[component]
fn ActionTable(
    actions: Vec<Action>,
    retry: ServerAction<RetryProvisioningAction>,
    done: ServerAction<MarkProvisioningActionDone>,
    empty: &'static str,
) -> impl IntoView {
    let columns = vec!["Action", "Service", "State", "Attempts", "Last error", "Queued", ""];
    let row = move |a: Action| {
        let id = a.id.to_string();
        let may_retry = matches!(
            a.state,
            crate::provisioning::ActionState::Failed | crate::provisioning::ActionState::Queued
        );
        let label = format!("Note for {} {}", a.action.as_str(), a.service_id);
        view! {
            <tr>
                <th scope="row">{a.action.as_str()} <br/> <small><code>{id.clone()}</code></small></th>
                <td>
                    <a href=format!("/admin/resellers/{}/services", a.reseller_id)>
                        <code>{a.service_id.to_string()}</code>
                    </a>
                </td>
                <td>{a.state.as_str()}</td>
                <td class="num">{a.attempts}</td>
                <td>{a.last_error.clone().unwrap_or_default()}</td>
                <td>{a.created_at.short()}</td>
                <td>
                    {may_retry.then(|| {
                        let id = id.clone();
                        view! {
                            <ActionForm action=retry attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="secondary">"Retry now"</button>
                            </ActionForm>
                        }
                    })}
                    <ActionForm action=done attr:class="inline">
                        <input type="hidden" name="id" value=id.clone()/>
                        <input type="text" name="note" required=true aria-label=label placeholder="What was done by hand"/>
                        <button type="submit" class="secondary">"Mark done"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    };
    view! { <DataTable columns rows=actions row empty/> }
}

#[component]
fn WaitingTable(services: Vec<WaitingService>, activate: ServerAction<RecordOutcome>) -> impl IntoView {
    let columns = vec!["Service", "Reseller", "Product", "Ordered", ""];
    let row = move |w: WaitingService| {
        let id = w.service.id.to_string();
        view! {
            <tr>
                <th scope="row"><code>{id.clone()}</code></th>
                <td><a href=format!("/admin/resellers/{}", w.reseller_id)>{w.company_name.clone()}</a></td>
                <td>{w.product_name.clone()}</td>
                <td>{w.service.started_at.short()}</td>
                <td>
                    <ActionForm action=activate attr:class="inline">
                        <input type="hidden" name="service_id" value=id/>
                        <input type="hidden" name="action" value="activate"/>
                        <button type="submit" class="secondary">"Activate"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    };
    view! { <DataTable columns rows=services row empty="No services waiting."/> }
}
