//! `/admin/resellers/:id/price-book`: the grid of products × terms, setup
//! fee, discount override, enabled, max quantity (one form per row, and
//! "Derive from retail" filling the row before the operator saves it),
//! and the price history.

use super::use_reseller;
use crate::{
    components::{Alert, DataTable, Loaded, Notice, amount},
    error::AppError,
    price_book::{
        GridLine, PriceChange,
        server_fns::{PreviewDerive, PriceBookView, SavePriceRow, admin_price_book, admin_price_history},
    },
    terms::BillingTerm,
};
use leptos::prelude::*;

#[component]
pub fn PriceBookTab() -> impl IntoView {
    let id = use_reseller().id;
    view! { {move || view! { <PriceBook reseller_id=id.get()/> }} }
}

#[component]
fn PriceBook(reseller_id: String) -> impl IntoView {
    // Bumped by every successful save: the history refetches, the grid
    // keeps what the operator typed.
    let saved = RwSignal::new(0usize);
    let grid = {
        let id = reseller_id.clone();
        Resource::new(|| (), move |_| admin_price_book(id.clone()))
    };
    let history = {
        let id = reseller_id.clone();
        Resource::new(move || saved.get(), move |_| admin_price_history(id.clone()))
    };
    let rid = StoredValue::new(reseller_id);
    view! {
        <p>
            "Wholesale prices per term. A blank term is not sold. Only enabled rows of active "
            "products appear in the reseller's catalogue."
        </p>
        <Loaded resource=grid let:view>
            <Grid reseller_id=rid.get_value() view=view.clone() saved/>
            <super::price_changes::PriceChanges reseller_id=rid.get_value() view changed=saved/>
        </Loaded>
        <h2>"Price history"</h2>
        <Loaded resource=history let:changes>
            <History changes/>
        </Loaded>
    }
}

/// Products × terms. Wider than a laptop screen: it scrolls sideways inside
/// its frame, the product column stays put, and a shadow at the right edge
/// says there is more.
#[component]
fn Grid(reseller_id: String, view: PriceBookView, saved: RwSignal<usize>) -> impl IntoView {
    let mut columns = vec!["Product"];
    columns.extend(BillingTerm::ALL.iter().map(|t| t.label()));
    columns.extend(["Setup fee", "Discount override", "Enabled", "Max quantity", "Actions"]);
    let currency = view.currency;
    let row = move |line: GridLine| {
        view! { <GridRow reseller_id=reseller_id.clone() line currency=currency.clone() saved/> }
    };
    view! {
        <p class="scroll-hint">"The grid scrolls sideways: Enabled, Max quantity and Save are on the right."</p>
        <DataTable columns rows=view.lines row empty="No products yet." class="grid"/>
    }
}

#[component]
fn History(changes: Vec<(PriceChange, String)>) -> impl IntoView {
    let row = |(change, product): (PriceChange, String)| {
        view! {
            <tr>
                <td>{change.at.short()}</td>
                <td>{change.actor_name.clone()}</td>
                <td>{product}</td>
                <td>{change.summary()}</td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["When", "Who", "Product", "Change"]
            rows=changes
            row
            empty="No price changes yet."
        />
    }
}

/// One editable row. The inputs sit in the table's cells and belong to the
/// row's form (in the last cell) through their `form` attribute.
#[component]
fn GridRow(reseller_id: String, line: GridLine, currency: String, saved: RwSignal<usize>) -> impl IntoView {
    let save = ServerAction::<SavePriceRow>::new();
    let derive = ServerAction::<PreviewDerive>::new();
    let GridLine { product, row, upcoming } = line;
    let form_id = format!("price-row-{}", product.id);
    let text = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let terms: Vec<(BillingTerm, RwSignal<String>)> = BillingTerm::ALL
        .iter()
        .copied()
        .map(|t| {
            (
                t,
                text(row.as_ref().and_then(|r| r.prices.get(t)).map(|m| m.to_string())),
            )
        })
        .collect();
    let setup_fee = text(Some(
        row.as_ref()
            .map(|r| r.setup_fee)
            .unwrap_or(product.retail_setup_fee)
            .to_string(),
    ));
    let rate_override = text(
        row.as_ref()
            .and_then(|r| r.discount_rate_override)
            .map(|p| p.to_string()),
    );
    let enabled = RwSignal::new(row.as_ref().map(|r| r.is_enabled).unwrap_or(true));
    let max_quantity = text(row.as_ref().and_then(|r| r.max_quantity).map(|q| q.to_string()));

    // Fill the terms with the derived prices; nothing is saved until "Save".
    let filled = terms.clone();
    Effect::new(move |_| {
        if let Some(Ok(prices)) = derive.value().get() {
            for (term, signal) in &filled {
                signal.set(prices.get(*term).map(|m| m.to_string()).unwrap_or_default());
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.update(|n| *n += 1);
        }
    });

    let product_id = product.id.to_string();
    let on_derive = {
        let (reseller_id, product_id) = (reseller_id.clone(), product_id.clone());
        move |_| {
            derive.dispatch(PreviewDerive {
                reseller_id: reseller_id.clone(),
                product_id: product_id.clone(),
                discount_rate_override: Some(rate_override.get_untracked()),
            });
        }
    };
    let outcome = move || -> Option<AnyView> {
        let error: Option<AppError> = match (save.value().get(), derive.value().get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(e),
            _ => None,
        };
        if let Some(error) = error {
            return Some(view! { <Alert error/> }.into_any());
        }
        save.value().get().map(|_| view! { <Notice text="Saved."/> }.into_any())
    };
    let retail = product.retail;
    view! {
        <tr>
            <th scope="row">
                {product.name.clone()}
                {(!product.is_active).then(|| view! { <br/> <small>"(inactive product)"</small> })}
                {upcoming.first().map(|v| {
                    let more = upcoming.len() - 1;
                    let text = match more {
                        0 => format!("New prices from {}", v.effective_from.date()),
                        n => format!("New prices from {} (+{n} later)", v.effective_from.date()),
                    };
                    view! { <br/> <small data-testid="row-upcoming">{text}</small> }
                })}
            </th>
            {terms
                .into_iter()
                .map(|(term, value)| {
                    let id = format!("{form_id}-{}", term.as_str());
                    let hint = format!("retail {}", amount(retail.get(term), &currency));
                    view! {
                        <td>
                            <label for=id.clone() class="cell-label">{term.label()}</label>
                            <input
                                id=id
                                form=form_id.clone()
                                name=format!("wholesale_{}", term.as_str())
                                inputmode="decimal"
                                size="8"
                                prop:value=value
                                on:input=move |ev| value.set(event_target_value(&ev))
                            />
                            <small>{hint}</small>
                        </td>
                    }
                })
                .collect_view()}
            <td><GridInput form_id=form_id.clone() suffix="setup" label="Setup fee" name="wholesale_setup_fee" size="8" value=setup_fee/></td>
            <td><GridInput form_id=form_id.clone() suffix="override" label="Discount override (%)" name="discount_rate_override" size="5" value=rate_override/></td>
            <td>
                <label class="cell-label">
                    <input
                        type="checkbox"
                        form=form_id.clone()
                        name="is_enabled"
                        value="on"
                        prop:checked=enabled
                        on:change=move |ev| enabled.set(event_target_checked(&ev))
                    />
                    " Enabled"
                </label>
            </td>
            <td><GridInput form_id=form_id.clone() suffix="max" label="Max quantity" name="max_quantity" size="5" value=max_quantity numeric=true/></td>
            <td>
                <ActionForm action=save attr:id=form_id.clone() attr:class="row-actions">
                    <input type="hidden" name="reseller_id" value=reseller_id.clone()/>
                    <input type="hidden" name="product_id" value=product_id.clone()/>
                    <button type="button" class="secondary" on:click=on_derive>"Derive from retail"</button>
                    <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                </ActionForm>
                {outcome}
            </td>
        </tr>
    }
}

/// One text cell of a grid row: labelled (visually hidden on wide screens),
/// bound to `value`, submitted with the row's form.
#[component]
fn GridInput(
    form_id: String,
    suffix: &'static str,
    label: &'static str,
    name: &'static str,
    size: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let id = format!("{form_id}-{suffix}");
    view! {
        <label for=id.clone() class="cell-label">{label}</label>
        <input
            id=id
            form=form_id
            name=name
            inputmode=if numeric { "numeric" } else { "decimal" }
            size=size
            prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}
