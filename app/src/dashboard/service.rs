//! The Dashboard's figures for one reseller, on the business clock.

use super::{CHART_DAYS, DashboardView, per_day, per_hour};
use crate::{
    error::AppResult,
    lists::PageRequest,
    orders::{OrderFilter, service as orders},
    resellers::Reseller,
    state::Settings,
    store::Store,
    timestamp::Timestamp,
};

/// Orders listed under "Latest orders".
const RECENT_ORDERS: u32 = 5;

/// This calendar month (UTC), the last 24 hours and the last
/// [`CHART_DAYS`] days of `reseller`, with its latest orders.
pub async fn view(store: &Store, settings: &Settings, reseller: &Reseller) -> AppResult<DashboardView> {
    let now = store.now();
    let at = now.datetime();
    let month_start = Timestamp::from_datetime(
        at.replace_day(1)
            .map(|d| d.replace_time(time::Time::MIDNIGHT))
            .unwrap_or(at),
    );
    let first_day =
        Timestamp::from_datetime((at - time::Duration::days(CHART_DAYS - 1)).replace_time(time::Time::MIDNIGHT));
    let stats = store
        .dashboard(
            &reseller.id,
            month_start,
            now.minus(time::Duration::hours(24)),
            first_day,
        )
        .await?;
    let recent = OrderFilter {
        page: PageRequest::first(RECENT_ORDERS),
        ..OrderFilter::default()
    };
    Ok(DashboardView {
        company_name: reseller.company_name.clone(),
        status: reseller.status,
        services_by_status: stats.services_by_status,
        orders_this_month: stats.orders_this_month,
        spend_this_month: stats.spend_this_month,
        api_requests_24h: stats.api_requests_24h,
        api_errors_24h: stats.api_errors_24h,
        recent_orders: orders::orders(store, &reseller.id, &recent).await?.data,
        currency: settings.currency.code().to_owned(),
        orders_per_day: per_day(now, &stats.orders_by_day),
        api_per_hour: per_hour(now, &stats.api_by_hour),
        price_notices: crate::price_book::service::price_notices(store, settings, reseller).await?,
    })
}
