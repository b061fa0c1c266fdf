//! `/portal`: the reseller's dashboard.

use crate::{
    components::{Alert, Loading, StatusBadge, amount},
    orders::server_fns::my_dashboard,
};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_dashboard());
    view! {
        <h1>"Dashboard"</h1>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(error) => {
                        return view! {
                            <Alert error/>
                            <p><a href="/portal/program">"Program overview"</a></p>
                        }
                            .into_any();
                    }
                };
                let rate = if d.api_requests_24h == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.1}%", d.api_errors_24h as f64 * 100.0 / d.api_requests_24h as f64)
                };
                let code = d.currency.clone();
                view! {
                    <p>{d.company_name.clone()} " " <StatusBadge status=d.status/></p>
                    <section class="cards" aria-label="Figures">
                        <div class="card">
                            <div>"Orders this month"</div>
                            <div class="figure" data-testid="orders-this-month">{d.orders_this_month}</div>
                        </div>
                        <div class="card">
                            <div>"Wholesale spend this month"</div>
                            <div class="figure" data-testid="spend-this-month">{format!("{} {code}", d.spend_this_month)}</div>
                        </div>
                        <div class="card">
                            <div>"API requests (24 h)"</div>
                            <div class="figure" data-testid="api-requests">{d.api_requests_24h}</div>
                        </div>
                        <div class="card">
                            <div>"API error rate (24 h)"</div>
                            <div class="figure">{rate}</div>
                        </div>
                    </section>
                    <h2>"Services by status"</h2>
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    {d.services_by_status.iter().map(|(s, _)| view! { <th scope="col">{s.label()}</th> }).collect_view()}
                                </tr>
                            </thead>
                            <tbody>
                                <tr>
                                    {d.services_by_status.iter().map(|(_, n)| view! { <td class="num">{*n}</td> }).collect_view()}
                                </tr>
                            </tbody>
                        </table>
                    </div>
                    <h2>"Recent orders"</h2>
                    {if d.recent_orders.is_empty() {
                        view! { <p class="empty">"No orders yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Order"</th>
                                            <th scope="col">"Placed"</th>
                                            <th scope="col">"Customer"</th>
                                            <th scope="col">"Services"</th>
                                            <th scope="col">"Wholesale total"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {d.recent_orders
                                            .into_iter()
                                            .map(|o| {
                                                view! {
                                                    <tr>
                                                        <th scope="row"><a href=format!("/portal/orders/{}", o.id)>{o.id.to_string()}</a></th>
                                                        <td>{o.created_at.short()}</td>
                                                        <td>{o.customer.external_id}</td>
                                                        <td class="num">{o.service_ids.len()}</td>
                                                        <td class="num">{amount(Some(o.wholesale_total), &code)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }}
                }
                    .into_any()
            })}
        </Transition>
    }
}
