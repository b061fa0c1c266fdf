//! The portal's Dashboard: services by status, this month's orders and
//! wholesale spend, API traffic over 24 hours, the latest orders, and the
//! day and hour series its charts draw (every day and hour of the window,
//! empty ones as zeros).

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{money::Amount, orders::Order, resellers::ResellerStatus, services::ServiceStatus, timestamp::Timestamp};
use serde::{Deserialize, Serialize};

/// The portal's dashboard: services by status, this month's orders and
/// wholesale spend, API traffic over 24 hours, the latest orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub company_name: String,
    pub status: ResellerStatus,
    pub services_by_status: Vec<(ServiceStatus, i64)>,
    pub orders_this_month: i64,
    pub spend_this_month: Amount,
    pub api_requests_24h: i64,
    pub api_errors_24h: i64,
    pub recent_orders: Vec<Order>,
    pub currency: String,
    /// The last 30 days, oldest first.
    pub orders_per_day: Vec<DayFigures>,
    /// The last 24 hours, oldest first.
    pub api_per_hour: Vec<HourFigures>,
    /// Price changes coming to the reseller's own services within the
    /// notice period.
    pub price_notices: Vec<crate::price_book::versions::PriceNotice>,
}

/// Days the dashboard's order chart covers.
pub const CHART_DAYS: i64 = 30;

/// One day of orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// `2026-11-26`.
    pub day: String,
    pub orders: i64,
    pub spend: Amount,
}

/// One hour of partner API requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourFigures {
    /// `14:00` (UTC), the hour's start.
    pub hour: String,
    pub requests: i64,
    pub errors: i64,
}

/// Every one of the `CHART_DAYS` days up to `now`'s, from the days that
/// had orders (`(day number since 1970, orders, spend)`): empty days are 0.
pub fn per_day(now: Timestamp, rows: &[(i64, i64, Amount)]) -> Vec<DayFigures> {
    let today = now.unix_seconds().div_euclid(86_400);
    (today - CHART_DAYS + 1..=today)
        .map(|d| {
            let found = rows.iter().find(|r| r.0 == d);
            DayFigures {
                day: Timestamp::from_unix_micros(d * 86_400_000_000)
                    .map(|t| t.date())
                    .unwrap_or_default(),
                orders: found.map_or(0, |r| r.1),
                spend: found.map_or(Amount::ZERO, |r| r.2),
            }
        })
        .collect()
}

/// The 24 hours up to `now`'s, from the hours that had requests.
pub fn per_hour(now: Timestamp, rows: &[(i64, i64, i64)]) -> Vec<HourFigures> {
    let this_hour = now.unix_seconds().div_euclid(3_600);
    (this_hour - 23..=this_hour)
        .map(|h| {
            let found = rows.iter().find(|r| r.0 == h);
            HourFigures {
                hour: format!("{:02}:00", h.rem_euclid(24)),
                requests: found.map_or(0, |r| r.1),
                errors: found.map_or(0, |r| r.2),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_and_hour_of_the_window() {
        let now = Timestamp::parse_rfc3339("2026-11-26T14:30:00Z").unwrap();
        let today = now.unix_seconds().div_euclid(86_400);
        let days = per_day(now, &[(today, 2, Amount::parse("10.50").unwrap())]);
        assert_eq!(days.len() as i64, CHART_DAYS);
        assert_eq!(days.last().map(|d| (d.day.as_str(), d.orders)), Some(("2026-11-26", 2)));
        assert_eq!(days[0].orders, 0);
        let this_hour = now.unix_seconds().div_euclid(3_600);
        let hours = per_hour(now, &[(this_hour - 1, 7, 1)]);
        assert_eq!(hours.len(), 24);
        assert_eq!(
            (hours[22].hour.as_str(), hours[22].requests, hours[22].errors),
            ("13:00", 7, 1)
        );
        assert_eq!(hours[23].hour, "14:00");
    }
}
