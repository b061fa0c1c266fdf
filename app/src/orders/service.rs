//! Order use cases, and the reseller-scoped reads of orders, services and
//! customers (another reseller's ids are simply not found).

use super::{Order, OrderRequest};
use crate::{
    customers::{Customer, CustomerFilter},
    error::{AppError, AppResult, ErrorCode},
    ids::{CustomerId, OrderId, ResellerId, ServiceId},
    resellers::{Reseller, ResellerStatus},
    services::{Service, ServiceFilter},
    store::{DashboardStats, OrderFilter, Store, StoreError},
    timestamp::Timestamp,
};

fn not_found(what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::not_found(what),
        other => other.into(),
    }
}

/// Places an order for an active reseller at its book's prices.
pub async fn place(
    store: &Store,
    currency: &str,
    reseller: &Reseller,
    request: OrderRequest,
    idempotency_key: Option<&str>,
) -> AppResult<Order> {
    match reseller.status {
        ResellerStatus::Active => {}
        ResellerStatus::Suspended => {
            return Err(AppError::new(
                ErrorCode::ResellerSuspended,
                "Your account is suspended: orders are refused.",
            ));
        }
        _ => {
            return Err(AppError::new(
                ErrorCode::ResellerNotActive,
                "Your reseller account is not active.",
            ));
        }
    }
    let request = request.validate()?;
    Ok(store
        .place_order(&reseller.id, &request, currency, Timestamp::now(), idempotency_key)
        .await?)
}

pub async fn order(store: &Store, reseller: &ResellerId, id: &OrderId) -> AppResult<Order> {
    store.order(reseller, id).await.map_err(not_found("order"))
}

pub async fn orders(store: &Store, reseller: &ResellerId, filter: &OrderFilter) -> AppResult<Vec<Order>> {
    Ok(store.orders(reseller, filter).await?)
}

pub async fn service(store: &Store, reseller: &ResellerId, id: &ServiceId) -> AppResult<Service> {
    store.service(reseller, id).await.map_err(not_found("service"))
}

pub async fn services(store: &Store, reseller: &ResellerId, filter: &ServiceFilter) -> AppResult<Vec<Service>> {
    Ok(store.services(reseller, filter).await?)
}

pub async fn customer(store: &Store, reseller: &ResellerId, id: &CustomerId) -> AppResult<Customer> {
    store.customer(reseller, id).await.map_err(not_found("customer"))
}

pub async fn customers(store: &Store, reseller: &ResellerId, filter: &CustomerFilter) -> AppResult<Vec<Customer>> {
    Ok(store.customers(reseller, filter).await?)
}

/// This calendar month (UTC) and the last 24 hours.
pub async fn dashboard(store: &Store, reseller: &ResellerId) -> AppResult<DashboardStats> {
    let now = Timestamp::now();
    let at = now.datetime();
    let month_start = Timestamp::from_datetime(
        at.replace_day(1)
            .map(|d| d.replace_time(time::Time::MIDNIGHT))
            .unwrap_or(at),
    );
    Ok(store
        .dashboard(reseller, month_start, now.minus(time::Duration::hours(24)))
        .await?)
}
