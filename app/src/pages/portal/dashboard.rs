//! `/portal`: the reseller's dashboard.

use super::orders::OrderTable;
use crate::{
    components::{Chart, ChartKind, Loaded, Series, StatusBadge},
    dashboard::{DashboardView, server_fns::my_dashboard},
};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_dashboard());
    view! {
        <h1>"Dashboard"</h1>
        <Loaded resource=data let:d>
            <Dashboard d/>
        </Loaded>
        <p><a href="/portal/program">"Program overview"</a></p>
    }
}

#[component]
fn Dashboard(d: DashboardView) -> impl IntoView {
    let rate = if d.api_requests_24h == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", d.api_errors_24h as f64 * 100.0 / d.api_requests_24h as f64)
    };
    let code = d.currency.clone();
    let notices = d.price_notices.clone();
    view! {
        <p>{d.company_name.clone()} " " <StatusBadge status=d.status/></p>
        {(!notices.is_empty()).then(|| view! { <PriceNotices notices currency=code.clone()/> })}
        <section class="cards" aria-label="Figures">
            <Card label="Orders this month" testid="orders-this-month" figure=d.orders_this_month.to_string()/>
            <Card label="Wholesale spend this month" testid="spend-this-month" figure=crate::money::shown(d.spend_this_month, &code)/>
            <Card label="API requests (24 h)" testid="api-requests" figure=d.api_requests_24h.to_string()/>
            <Card label="API error rate (24 h)" testid="api-error-rate" figure=rate/>
        </section>
        <DashboardCharts d=d.clone()/>
        <h2>"Services by status"</h2>
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        {d.services_by_status.iter().map(|(s, _)| view! { <th scope="col">{s.label()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <tr>{d.services_by_status.iter().map(|(_, n)| view! { <td class="num">{*n}</td> }).collect_view()}</tr>
                </tbody>
            </table>
        </div>
        <h2>"Recent orders"</h2>
        <OrderTable orders=d.recent_orders currency=code lines=false/>
    }
}

/// The warning that the price of the reseller's own services changes soon.
#[component]
fn PriceNotices(notices: Vec<crate::price_book::versions::PriceNotice>, currency: String) -> impl IntoView {
    view! {
        <div class="alert warning" role="status" data-testid="price-notice">
            <strong>"Price changes for your services"</strong>
            <ul>
                {notices
                    .into_iter()
                    .map(|n| {
                        view! {
                            <li>
                                {format!(
                                    "{}: new prices from {} for {} of yours, at renewal ({} {} a month).",
                                    n.product_name,
                                    n.effective_from.date(),
                                    plural(n.services_affected, "service"),
                                    signed(&n.monthly_change),
                                    currency,
                                )}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <a href="/portal/products">"See the upcoming prices"</a>
        </div>
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

/// Orders and spend per day (30 days), API requests and errors per hour
/// (24 hours).
#[component]
fn DashboardCharts(d: DashboardView) -> impl IntoView {
    let code = d.currency.clone();
    let days: Vec<String> = d.orders_per_day.iter().map(|f| f.day.clone()).collect();
    let orders: i64 = d.orders_per_day.iter().map(|f| f.orders).sum();
    let spend: crate::money::Amount = d.orders_per_day.iter().map(|f| f.spend).sum();
    let hours: Vec<String> = d.api_per_hour.iter().map(|f| f.hour.clone()).collect();
    let requests: i64 = d.api_per_hour.iter().map(|f| f.requests).sum();
    let errors: i64 = d.api_per_hour.iter().map(|f| f.errors).sum();
    view! {
        <section class="charts" aria-label="Charts">
            <Chart
                title="Orders and wholesale spend per day (30 days)"
                summary=format!("{} and {spend} {code} wholesale spend in the last 30 days.", plural(orders, "order"))
                kind=ChartKind::Bars
                labels=days
                series=vec![
                    Series::counts("Orders", d.orders_per_day.iter().map(|f| f.orders)),
                    Series::amounts("Spend", d.orders_per_day.iter().map(|f| f.spend.value()), &code),
                ]
                testid="orders-chart"
                own_scales=true
            />
            <Chart
                title="API requests and errors per hour (24 hours, UTC)"
                summary=format!("{}, {errors} of them errors, in the last 24 hours.", plural(requests, "API request"))
                kind=ChartKind::Bars
                labels=hours
                series=vec![
                    Series::counts("Requests", d.api_per_hour.iter().map(|f| f.requests)),
                    Series::counts("Errors", d.api_per_hour.iter().map(|f| f.errors)),
                ]
                testid="api-chart"
            />
        </section>
    }
}

/// `1 order`, `3 orders`.
fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One figure of the dashboard.
#[component]
fn Card(label: &'static str, testid: &'static str, figure: String) -> impl IntoView {
    view! {
        <div class="card">
            <div>{label}</div>
            <div class="figure" data-testid=testid>{figure}</div>
        </div>
    }
}
