//! The price-book tab's changes over time (DESIGN.md "Price changes over
//! time"): the scheduled versions of every row with "Withdraw", "Schedule a
//! change" with its impact shown first, and the bulk percentage form (this
//! reseller's whole book, or one product across every reseller), shown row
//! by row before it is saved.

use crate::{
    components::{Alert, DataTable, Notice, amount},
    price_book::{
        ExistingServices, GridLine, PriceVersion,
        server_fns::{
            BulkForm, BulkPriceChange, PreviewBulkPriceChange, PreviewPriceChange, PriceBookView, ScheduleForm,
            SchedulePriceChange, WithdrawPriceVersion, admin_price_book,
        },
        versions::BulkLine,
    },
    terms::{BillingTerm, TermPrices},
};
use leptos::prelude::*;

/// The section, below the grid, from the grid's own load. `changed` is
/// bumped by every change here (and by the grid's saves): the list is read
/// again then, and the history follows.
#[component]
pub fn PriceChanges(reseller_id: String, view: PriceBookView, changed: RwSignal<usize>) -> impl IntoView {
    let upcoming = RwSignal::new(upcoming_of(&view));
    let reread = {
        let id = reseller_id.clone();
        Action::new(move |_: &()| admin_price_book(id.clone()))
    };
    Effect::new(move |seen: Option<usize>| {
        let now = changed.get();
        if seen.is_some_and(|seen| seen != now) {
            reread.dispatch(());
        }
        now
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = reread.value().get() {
            upcoming.set(upcoming_of(&view));
        }
    });
    let currency = view.currency.clone();
    let rid = StoredValue::new(reseller_id);
    view! {
        <h2>"Scheduled price changes"</h2>
        {move || view! { <Upcoming reseller_id=rid.get_value() rows=upcoming.get() currency=currency.clone() changed/> }}
        <ScheduleChange reseller_id=rid.get_value() view=view.clone() changed/>
        <BulkChangeForm reseller_id=rid.get_value() view changed/>
    }
}

/// Every scheduled version of the book's rows with its product's name,
/// soonest first.
fn upcoming_of(view: &PriceBookView) -> Vec<(String, PriceVersion)> {
    let mut rows: Vec<(String, PriceVersion)> = view
        .lines
        .iter()
        .flat_map(|line| line.upcoming.iter().map(|v| (line.product.name.clone(), v.clone())))
        .collect();
    rows.sort_by_key(|(_, v)| v.effective_from);
    rows
}

/// "Monthly 12.00 · Annual 120.00".
fn prices_text(prices: &TermPrices, currency: &str) -> String {
    let text = prices
        .priced()
        .map(|(t, p)| format!("{} {}", t.label(), amount(Some(p), currency)))
        .collect::<Vec<_>>()
        .join(" · ");
    if text.is_empty() { "nothing sold".into() } else { text }
}

fn policy_label(policy: ExistingServices) -> &'static str {
    match policy {
        ExistingServices::Keep => "Services sold keep their price",
        ExistingServices::AtRenewal => "Services sold move at their next renewal",
    }
}

/// Every scheduled version of the reseller's rows, soonest first.
#[component]
fn Upcoming(
    reseller_id: String,
    rows: Vec<(String, PriceVersion)>,
    currency: String,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let withdraw = ServerAction::<WithdrawPriceVersion>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = withdraw.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let row = move |(name, v): (String, PriceVersion)| {
        let (reseller_id, product_id, version_id) = (reseller_id.clone(), v.product_id.to_string(), v.id.to_string());
        view! {
            <tr data-testid="scheduled-version">
                <td>{v.effective_from.date()}</td>
                <th scope="row">{name}</th>
                <td>{prices_text(&v.prices, &currency)}</td>
                <td class="num">{amount(Some(v.setup_fee), &currency)}</td>
                <td>{policy_label(v.existing_services)}</td>
                <td>
                    <button
                        type="button"
                        class="secondary"
                        disabled=move || withdraw.pending().get()
                        on:click=move |_| {
                            withdraw.dispatch(WithdrawPriceVersion {
                                reseller_id: reseller_id.clone(),
                                product_id: product_id.clone(),
                                version_id: version_id.clone(),
                            });
                        }
                    >
                        "Withdraw"
                    </button>
                </td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["From", "Product", "Prices", "Setup fee", "Services already sold", "Actions"]
            rows
            row
            empty="No price changes scheduled."
        />
        {move || match withdraw.value().get() {
            Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
            Some(Ok(_)) => Some(view! { <Notice text="Withdrawn: the prices in effect stay."/> }.into_any()),
            None => None,
        }}
    }
}

/// The date, the policy and the new prices of one row; "Preview impact"
/// shows the services affected and the change in monthly wholesale revenue
/// before "Schedule" saves it.
#[component]
fn ScheduleChange(reseller_id: String, view: PriceBookView, changed: RwSignal<usize>) -> impl IntoView {
    let lines = StoredValue::new(view.lines);
    let currency = view.currency;
    let first = lines.with_value(|l| l.first().map(|l| l.product.id.to_string()).unwrap_or_default());
    let product = RwSignal::new(first);
    let date = RwSignal::new(String::new());
    let policy = RwSignal::new("keep".to_owned());
    let terms: Vec<(BillingTerm, RwSignal<String>)> = BillingTerm::ALL
        .iter()
        .map(|&t| (t, RwSignal::new(String::new())))
        .collect();
    let setup_fee = RwSignal::new(String::new());
    // The chosen row's prices in effect, as a starting point.
    let fill = {
        let terms = terms.clone();
        move |id: &str| {
            let row = lines.with_value(|l| {
                l.iter()
                    .find(|line: &&GridLine| line.product.id.as_str() == id)
                    .and_then(|line| line.row.clone())
            });
            for (term, signal) in &terms {
                let price = row.as_ref().and_then(|r| r.prices.get(*term));
                signal.set(price.map(|p| p.to_string()).unwrap_or_default());
            }
            setup_fee.set(row.map(|r| r.setup_fee.to_string()).unwrap_or_default());
        }
    };
    fill(&product.get_untracked());
    let preview = ServerAction::<PreviewPriceChange>::new();
    let schedule = ServerAction::<SchedulePriceChange>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = schedule.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let form = {
        let terms = terms.clone();
        move || {
            let term = |t: BillingTerm| {
                terms
                    .iter()
                    .find(|(x, _)| *x == t)
                    .map(|(_, s)| s.get_untracked())
                    .filter(|v| !v.trim().is_empty())
            };
            ScheduleForm {
                reseller_id: reseller_id.clone(),
                product_id: product.get_untracked(),
                effective_from: date.get_untracked(),
                existing_services: policy.get_untracked(),
                wholesale_monthly: term(BillingTerm::Monthly),
                wholesale_quarterly: term(BillingTerm::Quarterly),
                wholesale_semi_annual: term(BillingTerm::SemiAnnual),
                wholesale_annual: term(BillingTerm::Annual),
                wholesale_hourly: term(BillingTerm::Hourly),
                wholesale_setup_fee: Some(setup_fee.get_untracked()).filter(|v| !v.trim().is_empty()),
            }
        }
    };
    let form = StoredValue::new(form);
    let impact = move || {
        let currency = currency.clone();
        match preview.value().get() {
            Some(Ok(i)) => Some(
                view! {
                    <p class="notice" role="status" data-testid="change-impact">
                        {format!(
                            "{} affected; monthly wholesale revenue {} {currency}.",
                            services(i.services_affected),
                            signed(&i.monthly_revenue_change),
                        )}
                    </p>
                }
                .into_any(),
            ),
            Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
            None => None,
        }
    };
    let outcome = move || match schedule.value().get() {
        Some(Ok(_)) => Some(view! { <Notice text="Scheduled."/> }.into_any()),
        Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
        None => None,
    };
    let options = lines.with_value(|l| {
        l.iter()
            .map(|line| view! { <option value=line.product.id.to_string()>{line.product.name.clone()}</option> })
            .collect_view()
    });
    view! {
        <h3>"Schedule a change"</h3>
        <div class="form-grid" data-testid="schedule-change">
            <label class="field">
                <span>"Product"</span>
                <select
                    name="product_id"
                    prop:value=product
                    on:change=move |ev| {
                        let id = event_target_value(&ev);
                        fill(&id);
                        product.set(id);
                    }
                >
                    {options}
                </select>
            </label>
            <label class="field">
                <span>"Takes effect on (UTC)"</span>
                <input type="date" name="effective_from" prop:value=date on:input=move |ev| date.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>"Services already sold"</span>
                <select name="existing_services" prop:value=policy on:change=move |ev| policy.set(event_target_value(&ev))>
                    <option value="keep">"Keep their price"</option>
                    <option value="at_renewal">"Move at their next renewal"</option>
                </select>
            </label>
            {terms
                .into_iter()
                .map(|(term, value)| {
                    view! {
                        <label class="field">
                            <span>{term.label()}</span>
                            <input
                                name=format!("new_{}", term.as_str())
                                inputmode="decimal"
                                size="8"
                                prop:value=value
                                on:input=move |ev| value.set(event_target_value(&ev))
                            />
                        </label>
                    }
                })
                .collect_view()}
            <label class="field">
                <span>"Setup fee"</span>
                <input name="new_setup_fee" inputmode="decimal" size="8" prop:value=setup_fee on:input=move |ev| setup_fee.set(event_target_value(&ev))/>
            </label>
        </div>
        <p><small>"A rise for services already sold needs the notice period; new-order prices and decreases may change at once (use the grid above for now)."</small></p>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| { preview.dispatch(PreviewPriceChange { form: form.with_value(|f| f()) }); }>
                "Preview impact"
            </button>
            <button
                type="button"
                disabled=move || schedule.pending().get()
                on:click=move |_| { schedule.dispatch(SchedulePriceChange { form: form.with_value(|f| f()), version_id: None }); }
            >
                "Schedule"
            </button>
        </div>
        {impact}
        {outcome}
    }
}

/// "1 service", "3 services".
fn services(n: i64) -> String {
    if n == 1 {
        "1 service".into()
    } else {
        format!("{n} services")
    }
}

/// "1 change", "3 changes".
fn changes(n: usize) -> String {
    if n == 1 {
        "1 change".into()
    } else {
        format!("{n} changes")
    }
}

/// "+4.00" for a rise, "-2.50" for a cut.
fn signed(change: &str) -> String {
    if change.starts_with('-') {
        change.to_owned()
    } else {
        format!("+{change}")
    }
}

/// A percentage for this reseller's whole book or one product across every
/// reseller: "Preview" lists each row before and after (rounded to cents),
/// then "Schedule all" saves them, all or none.
#[component]
fn BulkChangeForm(reseller_id: String, view: PriceBookView, changed: RwSignal<usize>) -> impl IntoView {
    let currency = StoredValue::new(view.currency);
    let scope = RwSignal::new(format!("reseller:{reseller_id}"));
    let percent = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let policy = RwSignal::new("keep".to_owned());
    let preview = ServerAction::<PreviewBulkPriceChange>::new();
    let save = ServerAction::<BulkPriceChange>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let form = move || {
        let chosen = scope.get_untracked();
        let (kind, id) = chosen.split_once(':').unwrap_or(("", ""));
        BulkForm {
            scope: kind.to_owned(),
            scope_id: id.to_owned(),
            percent: percent.get_untracked(),
            effective_from: date.get_untracked(),
            existing_services: policy.get_untracked(),
        }
    };
    let options = view
        .lines
        .iter()
        .map(|line| {
            view! {
                <option value=format!("product:{}", line.product.id)>
                    {format!("{} across every reseller", line.product.name)}
                </option>
            }
        })
        .collect_view();
    let line_row = move |line: BulkLine| {
        let code = currency.get_value();
        view! {
            <tr data-testid="bulk-line">
                <th scope="row">{format!("{} · {}", line.reseller_name, line.product_name)}</th>
                <td>{prices_text(&line.before, &code)}</td>
                <td>{prices_text(&line.after, &code)}</td>
                <td class="num">{format!("{} → {}", amount(Some(line.before_setup_fee), &code), amount(Some(line.after_setup_fee), &code))}</td>
                <td class="num">{services(line.impact.services_affected)}</td>
            </tr>
        }
    };
    let lines = move || match preview.value().get() {
        Some(Ok(lines)) => {
            let n = lines.len();
            Some(
                view! {
                    <DataTable
                        columns=vec!["Row", "Before", "After", "Setup fee", "Services that move"]
                        rows=lines
                        row=line_row
                        empty="No priced rows to change."
                    />
                    <button
                        type="button"
                        disabled=move || save.pending().get() || n == 0
                        on:click=move |_| { save.dispatch(BulkPriceChange { form: form() }); }
                    >
                        {format!("Schedule all {n}")}
                    </button>
                }
                .into_any(),
            )
        }
        Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
        None => None,
    };
    let outcome = move || match save.value().get() {
        Some(Ok(lines)) => Some(view! { <Notice text=format!("Scheduled {}.", changes(lines.len()))/> }.into_any()),
        Some(Err(error)) => Some(view! { <Alert error/> }.into_any()),
        None => None,
    };
    view! {
        <h3>"Change by a percentage"</h3>
        <div class="form-grid" data-testid="bulk-change">
            <label class="field">
                <span>"Rows"</span>
                <select name="scope" prop:value=scope on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value=format!("reseller:{reseller_id}")>"This reseller's whole book"</option>
                    {options}
                </select>
            </label>
            <label class="field">
                <span>"Percent (7.5 raises, -10 lowers)"</span>
                <input name="percent" inputmode="decimal" size="6" prop:value=percent on:input=move |ev| percent.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>"Takes effect on (UTC)"</span>
                <input type="date" name="bulk_effective_from" prop:value=date on:input=move |ev| date.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>"Services already sold"</span>
                <select name="bulk_existing_services" prop:value=policy on:change=move |ev| policy.set(event_target_value(&ev))>
                    <option value="keep">"Keep their price"</option>
                    <option value="at_renewal">"Move at their next renewal"</option>
                </select>
            </label>
        </div>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| { preview.dispatch(PreviewBulkPriceChange { form: form() }); }>
                "Preview"
            </button>
        </div>
        {lines}
        {outcome}
    }
}
