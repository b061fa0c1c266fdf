//! One service's page, in both panels: its facts, the details its module
//! returned, and "Cancel service" and "Change plan" (the refund and the
//! change's lines shown before confirming). A client acts on its own
//! services; the operator on any reseller's, on its behalf.

use super::{ActionOutcome, ActionResult, Alert, DataTable, Notice, amount, name_in, provisioning_label, status_label};
use crate::{
    changes::{
        ChangePlan, LineKind,
        server_fns::{
            CancelService, ChangeService, PreviewServiceChange, WithdrawServiceCancellation, WithdrawServiceChange,
            change_choices,
        },
    },
    services::{ServiceStatus, server_fns::ServiceView},
};
use leptos::prelude::*;

/// How an action tells the page it is done: the page reloads the service
/// (`version`) and shows `flash` above it, where the reload cannot take
/// the message away.
#[derive(Clone, Copy)]
pub struct Reload {
    pub version: RwSignal<u32>,
    pub flash: RwSignal<Option<String>>,
}

impl Reload {
    pub fn new() -> Self {
        Reload {
            version: RwSignal::new(0),
            flash: RwSignal::new(None),
        }
    }

    fn done(&self, text: String) {
        self.flash.set(Some(text));
        self.version.update(|n| *n += 1);
    }
}

impl Default for Reload {
    fn default() -> Self {
        Self::new()
    }
}

/// The last action's outcome.
#[component]
pub fn Flash(reload: Reload) -> impl IntoView {
    move || reload.flash.get().map(|text| view! { <Notice text/> })
}

/// The page body once the service is loaded. `back` is the list it
/// belongs to.
#[component]
pub fn ServiceDetail(v: ServiceView, #[prop(into)] back: (String, String), refresh: Reload) -> impl IntoView {
    let s = v.service.clone();
    let details = s.details.clone();
    let updated = s
        .provisioning
        .as_ref()
        .map(|p| p.updated_at.short())
        .unwrap_or_default();
    let (back_href, back_text) = back;
    view! {
        <h1>{v.product_name.clone()} " " <code>{s.id.to_string()}</code></h1>
        <p><a href=back_href>{back_text}</a></p>
        <dl class="facts">
            <dt>"Status"</dt>
            <dd data-testid="service-status">{status_label(&s)}</dd>
            <dt>"Provisioning"</dt>
            <dd data-testid="service-provisioning">{provisioning_label(&s)} " " <small>{updated}</small></dd>
            <dt>"Customer"</dt>
            <dd>{v.customer_label.clone()}</dd>
            <dt>"Term"</dt>
            <dd data-testid="service-term">{s.term.label()}</dd>
            <dt>"Price"</dt>
            <dd data-testid="service-price">{amount(Some(s.recurring_price), &v.currency)}</dd>
            <dt>"Started"</dt>
            <dd>{s.started_at.short()}</dd>
            <dt>"Next renewal"</dt>
            <dd>
                {s.next_renewal_at.short()}
                {(v.next_renewal_price != s.recurring_price).then(|| view! {
                    <br/>
                    <small data-testid="next-renewal-price">
                        {format!("charged at {} (the new price)", amount(Some(v.next_renewal_price), &v.currency))}
                    </small>
                })}
            </dd>
            <dt>"Order"</dt>
            <dd><code>{s.order_id.to_string()}</code></dd>
        </dl>
        <Scheduled v=v.clone() refresh/>
        <h2>"Details"</h2>
        {if details.is_empty() {
            view! { <p>"No details yet: they appear once the service is set up."</p> }.into_any()
        } else {
            view! {
                <dl class="facts" data-testid="service-details">
                    {details
                        .into_iter()
                        .map(|(k, v)| view! { <dt>{k}</dt><dd><code>{v}</code></dd> })
                        .collect_view()}
                </dl>
            }
            .into_any()
        }}
        <Actions v refresh/>
    }
}

/// A cancellation or change waiting, each with its "Withdraw".
#[component]
fn Scheduled(v: ServiceView, refresh: Reload) -> impl IntoView {
    let s = v.service;
    let id = s.id.to_string();
    let withdraw_cancel = ServerAction::<WithdrawServiceCancellation>::new();
    let withdraw_change = ServerAction::<WithdrawServiceChange>::new();
    Effect::new(move |_| {
        if matches!(withdraw_cancel.value().get(), Some(Ok(_))) {
            refresh.done("Cancellation withdrawn: the service renews as usual.".to_owned());
        }
    });
    Effect::new(move |_| {
        if matches!(withdraw_change.value().get(), Some(Ok(_))) {
            refresh.done("Change withdrawn.".to_owned());
        }
    });
    let cancel = (s.status != ServiceStatus::Terminated)
        .then_some(s.cancel_at)
        .flatten()
        .map(|at| {
            let id = id.clone();
            view! {
                <div class="notice" data-testid="scheduled-cancellation">
                    <p>"Cancellation scheduled: the service ends on " {at.short()} " and is not renewed."</p>
                    <ActionForm action=withdraw_cancel attr:class="inline">
                        <input type="hidden" name="service_id" value=id/>
                        <button type="submit" class="secondary">"Withdraw cancellation"</button>
                    </ActionForm>
                </div>
            }
        });
    let change = s.scheduled_change.clone().map(|c| {
        let id = id.clone();
        view! {
            <div class="notice" data-testid="scheduled-change">
                <p>
                    "Change scheduled for " {c.effective_at.short()} ": " {v.scheduled_product_name.clone().unwrap_or_else(|| c.product_id.to_string())}
                    ", " {c.term.label()} " at " {amount(Some(c.recurring_price), &v.currency)}
                    " from that renewal on."
                </p>
                <ActionForm action=withdraw_change attr:class="inline">
                    <input type="hidden" name="service_id" value=id/>
                    <button type="submit" class="secondary">"Withdraw change"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        {cancel}
        {change}
        <ActionOutcome value=withdraw_cancel.value() />
        <ActionOutcome value=withdraw_change.value() />
    }
}

/// "Change plan" and "Cancel service", as far as the service allows.
#[component]
fn Actions(v: ServiceView, refresh: Reload) -> impl IntoView {
    let s = v.service.clone();
    if s.status == ServiceStatus::Terminated {
        return view! { <p>"This service is terminated."</p> }.into_any();
    }
    let id = s.id.to_string();
    let options = Resource::new(move || id.clone(), change_choices);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let v = v.clone();
                options
                    .get()
                    .map(move |o| match o {
                        Ok(o) => {
                            view! {
                                <ChangePlanForm v=v.clone() options=o.clone() refresh/>
                                <CancelForm v options=o refresh/>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <Alert error/> }.into_any(),
                    })
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
fn CancelForm(v: ServiceView, options: crate::changes::server_fns::ChangeOptions, refresh: Reload) -> impl IntoView {
    let s = v.service;
    let cancel = ServerAction::<CancelService>::new();
    let currency = options.currency.clone();
    Effect::new(move |_| {
        if let Some(Ok(done)) = cancel.value().get() {
            refresh.done(if done.service.status == ServiceStatus::Terminated {
                format!(
                    "Cancelled: the service is terminated; {} credited back.",
                    amount(Some(done.refund), &currency)
                )
            } else {
                "Cancellation scheduled for the end of the term.".to_owned()
            });
        }
    });
    let scheduled = s.cancel_at.is_some();
    let refund = amount(Some(options.refund_now), &options.currency);
    view! {
        <section aria-labelledby="cancel-heading">
            <h2 id="cancel-heading">"Cancel service"</h2>
            <ActionForm action=cancel>
                <input type="hidden" name="service_id" value=s.id.to_string()/>
                <fieldset class="options">
                    <legend>"When"</legend>
                    {(!scheduled).then(|| view! {
                        <label>
                            <input type="radio" name="when" value="end_of_term" checked=true/>
                            " At the end of the term (" {s.next_renewal_at.short()} "): not renewed, nothing refunded"
                        </label>
                    })}
                    <label>
                        <input type="radio" name="when" value="immediately" checked=scheduled/>
                        " Immediately: terminated now, "
                        <strong data-testid="cancel-refund">{refund}</strong>
                        " credited back (the unused part of this term; setup fees are not refunded)"
                    </label>
                </fieldset>
                <div class="field">
                    <label for="cancel-reason">"Reason (optional)"</label>
                    <textarea id="cancel-reason" name="reason" maxlength="500" rows="2"></textarea>
                </div>
                <button type="submit" class="danger">"Confirm cancellation"</button>
            </ActionForm>
            <ActionOutcome value=cancel.value()/>
        </section>
    }
}

#[component]
fn ChangePlanForm(
    v: ServiceView,
    options: crate::changes::server_fns::ChangeOptions,
    refresh: Reload,
) -> impl IntoView {
    let s = v.service;
    if s.status != ServiceStatus::Active || s.cancel_at.is_some() || s.scheduled_change.is_some() {
        return view! {
            <section>
                <h2>"Change plan"</h2>
                <p>"A cancellation or a change is waiting, or the service is not active: withdraw what waits to choose another change."</p>
            </section>
        }
        .into_any();
    }
    let preview = ServerAction::<PreviewServiceChange>::new();
    let confirm = ServerAction::<ChangeService>::new();
    Effect::new(move |_| {
        if let Some(Ok(change)) = confirm.value().get() {
            refresh.done(match change.plan.applies {
                crate::changes::Applies::Now => "Change made.".to_owned(),
                crate::changes::Applies::AtRenewal => {
                    format!(
                        "Change scheduled for the next renewal, {}.",
                        change.plan.effective_at.short()
                    )
                }
            });
        }
    });
    let id = s.id.to_string();
    let currency = options.currency.clone();
    let names: Vec<(String, String)> = options
        .products
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let product_options = options
        .products
        .iter()
        .map(|p| {
            let (pid, name) = (&p.id, &p.name);
            let priced = p
                .prices
                .iter()
                .map(|(t, p)| format!("{} {}", t.label().to_lowercase(), amount(Some(*p), &currency)))
                .collect::<Vec<_>>()
                .join(", ");
            let selected = pid == s.product_id.as_str();
            view! { <option value=pid.clone() selected=selected>{format!("{name} ({priced})")}</option> }
        })
        .collect_view();
    let term_options = crate::terms::BillingTerm::ALL
        .iter()
        .map(|t| view! { <option value=t.as_str() selected=*t == s.term>{t.label()}</option> })
        .collect_view();
    let confirm_id = id.clone();
    view! {
        <section aria-labelledby="change-heading">
            <h2 id="change-heading">"Change plan"</h2>
            <p>
                "An upgrade applies now: the unused part of this term is credited and the new price charged for the rest of it. "
                "A downgrade or a new term applies at the next renewal."
            </p>
            <ActionForm action=preview>
                <input type="hidden" name="service_id" value=id/>
                <div class="field">
                    <label for="change-product">"Product"</label>
                    <select id="change-product" name="product_id">{product_options}</select>
                </div>
                <div class="field">
                    <label for="change-term">"Term"</label>
                    <select id="change-term" name="term">{term_options}</select>
                </div>
                <button type="submit" class="secondary">"Preview change"</button>
            </ActionForm>
            <ActionResult value=preview.value() let:plan>
                <PlanView plan=plan.clone() currency=currency.clone() names=names.clone()/>
                {let confirm_id = confirm_id.clone();
                plan.admitted.then(move || view! {
                    <ActionForm action=confirm>
                        <input type="hidden" name="service_id" value=confirm_id/>
                        <input type="hidden" name="product_id" value=plan.product_id.to_string()/>
                        <input type="hidden" name="term" value=plan.term.as_str()/>
                        <button type="submit">"Confirm change"</button>
                    </ActionForm>
                })}
            </ActionResult>
            <ActionOutcome value=confirm.value()/>
        </section>
    }
    .into_any()
}

/// A preview: when it applies, its lines, the net and the new price.
#[component]
fn PlanView(plan: ChangePlan, currency: String, names: Vec<(String, String)>) -> impl IntoView {
    let product = name_in(&names, plan.product_id.as_str());
    let when = match plan.applies {
        crate::changes::Applies::Now => "Applies now; the renewal date stays.".to_owned(),
        crate::changes::Applies::AtRenewal => format!("Applies at the next renewal, {}.", plan.effective_at.short()),
    };
    let c = currency.clone();
    let row = move |l: crate::changes::PlanLine| {
        let signed = match l.kind {
            LineKind::Credit => format!("−{}", amount(Some(l.amount), &c)),
            LineKind::Charge => amount(Some(l.amount), &c),
        };
        view! {
            <tr>
                <td>{if l.kind == LineKind::Credit { "Credit" } else { "Charge" }}</td>
                <td>{l.description}</td>
                <td class="num">{signed}</td>
            </tr>
        }
    };
    let net = crate::money::shown(plan.net, &currency);
    view! {
        <div data-testid="change-preview">
            <p>
                {product} ", " {plan.term.label()} " at " {amount(Some(plan.recurring_price), &currency)}
                " per term. " {when}
            </p>
            {(!plan.lines.is_empty()).then(|| view! {
                <DataTable columns=vec!["Line", "Description", "Amount"] rows=plan.lines.clone() row empty="Nothing charged now."/>
            })}
            <p>"You pay now: " <strong data-testid="change-net">{net}</strong></p>
            {(!plan.admitted).then(|| view! {
                <p role="alert" class="alert" data-code="insufficient_funds">
                    "Your account cannot cover this change (402 insufficient funds): its balance and credit limit leave less than the net charge. "
                    "Record a payment or ask the operator for a higher credit limit, then preview again."
                </p>
            })}
        </div>
    }
}
