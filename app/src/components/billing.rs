//! The reseller account as both panels show it: the figures, the entries,
//! the balance chart, the months with statements and a statement.

use super::{Chart, ChartKind, DataTable, NextPage, Series};
use crate::{
    billing::{Balance, BalancePoint, Entry, Month, Statement, credit_limit_label},
    money::{shown, shown_or_dash},
};
use leptos::prelude::*;

/// Balance, credit limit and available.
#[component]
pub fn AccountFigures(balance: Balance) -> impl IntoView {
    let code = balance.currency.clone();
    let limit = match balance.credit_limit {
        None => format!("{} (billed in arrears)", credit_limit_label(None, &code)),
        limit => credit_limit_label(limit, &code),
    };
    let available = shown_or_dash(balance.available, &code);
    let threshold = shown_or_dash(balance.low_balance_threshold, &code);
    view! {
        <section class="cards" aria-label="Account">
            <div class="card">
                <div>"Balance"</div>
                <div class="figure" data-testid="balance">{shown(balance.balance, &code)}</div>
            </div>
            <div class="card">
                <div>"Credit limit"</div>
                <div class="figure" data-testid="credit-limit">{limit}</div>
            </div>
            <div class="card">
                <div>"Available"</div>
                <div class="figure" data-testid="available">{available}</div>
            </div>
            <div class="card">
                <div>"Low-balance warning below"</div>
                <div class="figure" data-testid="threshold">{threshold}</div>
            </div>
        </section>
    }
}

/// Ledger entries, newest first.
#[component]
pub fn EntryTable(entries: Vec<Entry>, currency: String) -> impl IntoView {
    let row = move |e: Entry| {
        let class = if e.amount.is_negative() { "num charge" } else { "num" };
        view! {
            <tr>
                <td>{e.at.short()}</td>
                <td>{e.kind.label()}</td>
                <td>{e.description()}</td>
                <td class=class>{shown(e.amount, &currency)}</td>
                <td>{e.recorded_by.clone().unwrap_or_else(|| "—".into())}</td>
                <th scope="row"><code>{e.id.to_string()}</code></th>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["When", "Kind", "Description", "Amount", "Recorded by", "Transaction"]
            rows=entries
            row
            empty="No entries yet."
            caption="Account entries"
        />
    }
}

/// The balance at the end of each day.
#[component]
pub fn BalanceChart(history: Vec<BalancePoint>, currency: String) -> impl IntoView {
    let (first, last) = (
        history.first().map(|p| p.balance).unwrap_or_default(),
        history.last().map(|p| p.balance).unwrap_or_default(),
    );
    let days = history.len();
    let summary = format!("The balance went from {first} {currency} to {last} {currency} over the last {days} days.");
    view! {
        <Chart
            title=format!("Balance over the last {days} days")
            summary
            kind=ChartKind::Line
            labels=history.iter().map(|p| p.day.clone()).collect()
            series=vec![Series::amounts("Balance", history.iter().map(|p| p.balance.value()), &currency)]
            testid="balance-chart"
        />
    }
}

/// The months with a statement: view (printable), or download as CSV.
/// `base` is the statements' pages (`/portal/billing/statements`), `csv`
/// the download (`/portal/billing/statement.csv`, given `?month=`).
#[component]
pub fn StatementMonths(months: Vec<Month>, base: String, csv: String) -> impl IntoView {
    let row = move |m: Month| {
        let page = format!("{base}/{m}");
        let csv = format!("{csv}?month={m}");
        view! {
            <tr>
                <th scope="row">{m.label()}</th>
                <td><a href=page>"View and print"</a></td>
                <td><a href=csv rel="external" download="">"Download CSV"</a></td>
            </tr>
        }
    };
    view! {
        <DataTable
            columns=vec!["Month", "Statement", "CSV"]
            rows=months
            row
            empty="No statements yet."
            caption="Monthly statements"
        />
    }
}

/// A statement, laid out to print (the print stylesheet hides the panel).
/// A statement page: its lines (a page at a time: `base` is the page's
/// own address, to which the next page's cursor is added), the balances
/// and the whole month to print or download.
#[component]
pub fn StatementView(
    statement: Statement,
    #[prop(into)] holder: String,
    csv_href: String,
    base: String,
) -> impl IntoView {
    let code = statement.currency.clone();
    let next = statement.next_cursor.clone().map(|c| format!("{base}?after={c}"));
    let rows = statement.entries.clone();
    let row = {
        let code = code.clone();
        move |l: crate::billing::StatementLine| {
            view! {
                <tr>
                    <td>{l.entry.at.short()}</td>
                    <td>{l.description.clone()}</td>
                    <td class="num">{shown(l.entry.amount, &code)}</td>
                    <td class="num">{shown(l.balance_after, &code)}</td>
                    <td><code>{l.entry.id.to_string()}</code></td>
                </tr>
            }
        }
    };
    view! {
        <article class="statement">
            <h1>{format!("Statement, {}", statement.month.label())}</h1>
            <p>{holder}</p>
            <p data-testid="statement-state">
                {if statement.is_final {
                    "Final: this month has ended and its grace days have passed; it will not change."
                } else {
                    "Open: payments may still be dated into this month."
                }}
            </p>
            <p class="no-print">
                // An event handler, not an inline `onclick`: the page's
                // Content-Security-Policy runs no inline script.
                <button type="button" class="secondary" on:click=|_| print_page()>"Print"</button>
                " "
                <a href=csv_href rel="external" download="">"Download CSV"</a>
            </p>
            <dl class="facts">
                <dt>"Opening balance"</dt>
                <dd data-testid="opening-balance">{shown(statement.opening_balance, &code)}</dd>
                <dt>"Closing balance"</dt>
                <dd data-testid="closing-balance">{shown(statement.closing_balance, &code)}</dd>
            </dl>
            <DataTable
                columns=vec!["When", "Description", "Amount", "Balance after", "Transaction"]
                rows
                row
                empty="No entries this month."
                caption="Entries"
            />
            <NextPage href=next text="More entries of this month"/>
        </article>
    }
}

/// The browser's print dialog (the page's print stylesheet leaves out
/// navigation and buttons).
fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Err(e) = window().print() {
        leptos::logging::warn!("print failed: {e:?}");
    }
}
