//! Order use cases, and the reseller-scoped reads of orders (another
//! reseller's ids are simply not found).

use super::{ORDER_PLACED, Order, OrderCustomer, OrderFilter, OrderRequest, new_services, order_events, price_order};
use crate::{
    billing::service as billing,
    error::{AppError, AppResult},
    idempotency::{self, Answer, Claim},
    ids::{OrderId, ResellerId},
    lists::Page,
    provisioning::service as provisioning,
    state::Settings,
    store::{NotFoundExt, Store, StoreTx},
    webhooks::service as webhooks,
};

/// Places an order for `reseller` at its book's prices (the demo's path;
/// partners come through [`place_idempotent`]).
pub async fn place(
    store: &Store,
    settings: &Settings,
    reseller: &ResellerId,
    request: OrderRequest,
) -> AppResult<Order> {
    let request = request.validate(settings.max_units_per_order)?;
    let mut tx = store.begin().await?;
    let placed = place_in(&mut tx, settings, reseller, &request).await;
    tx.finish(placed).await
}

/// `POST /orders`: places the order at most once per Idempotency-Key and
/// returns the HTTP answer: 201 with the order (the same bytes on every
/// replay, since they are the saved ones), or a refusal kept for replay.
pub async fn place_idempotent(
    store: &Store,
    settings: &Settings,
    reseller: &ResellerId,
    request: OrderRequest,
    claim: &Claim,
) -> AppResult<Answer> {
    idempotency::service::run(store, reseller, claim, async |tx| {
        let request = request.validate(settings.max_units_per_order)?;
        let order = place_in(tx, settings, reseller, &request).await?;
        let body = serde_json::to_string(&order).map_err(AppError::internal)?;
        Ok((201, body))
    })
    .await
}

/// The order's transaction, top to bottom. Every refusal comes before the
/// first write.
async fn place_in(
    tx: &mut StoreTx,
    settings: &Settings,
    reseller: &ResellerId,
    request: &OrderRequest,
) -> AppResult<Order> {
    let now = tx.now();
    // Checked again here: the partner API's view of the profile is cached.
    tx.reseller_status(reseller)
        .await
        .or_not_found("reseller")?
        .may_order()?;
    let offers = tx.lock_offers(reseller, &request.product_ids(), now).await?;
    let priced = price_order(request, &offers)?;
    let customer_id = tx.upsert_customer(reseller, &request.customer, now).await?;
    let order_id = OrderId::generate();
    let mut services = new_services(&order_id, &customer_id, &priced.lines, now);
    let creates = provisioning::plan_creates(tx, reseller, &mut services).await?;
    let order = Order {
        id: order_id,
        status: ORDER_PLACED.to_owned(),
        customer: OrderCustomer {
            id: customer_id,
            external_id: request.customer.external_id.clone(),
        },
        lines: priced.lines,
        service_ids: services.iter().map(|s| s.id.clone()).collect(),
        wholesale_total: priced.total,
        currency: settings.currency.code().to_owned(),
        created_at: now,
    };
    tx.insert_order(reseller, &order).await?;
    billing::charge_order(tx, reseller, &order).await?;
    tx.insert_services(reseller, &services).await?;
    provisioning::queue_new(tx, &creates).await?;
    webhooks::record(tx, reseller, &order_events(&order, &services)?, now).await?;
    Ok(order)
}

pub async fn order(store: &Store, reseller: &ResellerId, id: &OrderId) -> AppResult<Order> {
    store.order(reseller, id).await.or_not_found("order")
}

pub async fn orders(store: &Store, reseller: &ResellerId, filter: &OrderFilter) -> AppResult<Page<Order>> {
    Ok(store.orders(reseller, filter).await?)
}
