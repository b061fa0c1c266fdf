//! Each use case's transaction writes everything or nothing: the use cases
//! called directly (the HTTP tests reach them through the routes), on both
//! databases.
//! Set-up goes through the admin API; outcomes are read from the database.

use crate::helpers::{Admin, TestApp, count, execute_at, order_body, spawn_app};
use app::{
    audit::Actor,
    error::ErrorCode,
    ids::{ResellerId, ServiceId},
    orders::{OrderRequest, service as orders},
    resellers::{LifecycleAction, ResellerStatus, service as resellers},
    services::{ServiceAction, ServiceStatus, service as services},
    timestamp::Timestamp,
};

/// An active reseller with one product priced monthly at 8.00 (setup 5.00).
async fn priced_reseller(admin: &Admin) -> (ResellerId, String) {
    let product = admin.product("vps-use-case", Some("10.00"), None).await;
    let reseller = admin.reseller("shop@example.com", "active").await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            serde_json::json!({ "wholesale_monthly": "8.00", "wholesale_setup_fee": "5.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (reseller.parse().unwrap(), product)
}

fn request(external_id: &str, product: &str, term: &str, quantity: u32) -> OrderRequest {
    serde_json::from_value(order_body(external_id, product, term, quantity)).unwrap()
}

async fn rows(app: &TestApp, table: &str, reseller: &ResellerId) -> i64 {
    count(
        &app.store,
        &format!("SELECT COUNT(*) FROM {table} WHERE reseller_id = '{reseller}'"),
    )
    .await
}

#[tokio::test]
async fn placing_an_order_writes_order_services_customer_and_events_together() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (reseller, product) = priced_reseller(&admin).await;

    let order = place(&app, &reseller, request("c-1", &product, "monthly", 2))
        .await
        .unwrap();

    assert_eq!(order.wholesale_total.to_string(), "26.00", "2 × 8.00 + 2 × 5.00 setup");
    assert_eq!(order.service_ids.len(), 2);
    assert_eq!(rows(&app, "orders", &reseller).await, 1);
    assert_eq!(rows(&app, "services", &reseller).await, 2);
    assert_eq!(rows(&app, "customers", &reseller).await, 1);
    // order.created and one service.created per service.
    assert_eq!(order_events(&app, &reseller).await, 3);
    let read = orders::order(&app.store, &reseller, &order.id).await.unwrap();
    assert_eq!(read, order, "what the use case returned is what was stored");

    // The same customer again: one customer row, a second order.
    place(&app, &reseller, request("c-1", &product, "monthly", 1))
        .await
        .unwrap();
    assert_eq!(rows(&app, "customers", &reseller).await, 1);
    assert_eq!(rows(&app, "orders", &reseller).await, 2);
}

#[tokio::test]
async fn a_refused_order_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (reseller, product) = priced_reseller(&admin).await;

    let unpriced = place(&app, &reseller, request("c-1", &product, "hourly", 1))
        .await
        .unwrap_err();
    assert_eq!(unpriced.code, ErrorCode::TermNotPriced);

    let operator = app.operator("ops@example.com").await;
    resellers::change_status(
        &app.store,
        &Actor::user(&operator),
        &reseller,
        LifecycleAction::Suspend,
        Some("unpaid"),
    )
    .await
    .unwrap();
    let suspended = place(&app, &reseller, request("c-1", &product, "monthly", 1))
        .await
        .unwrap_err();
    assert_eq!(suspended.code, ErrorCode::ResellerSuspended);

    for table in ["orders", "services", "customers"] {
        assert_eq!(rows(&app, table, &reseller).await, 0, "{table}");
    }
    assert_eq!(order_events(&app, &reseller).await, 0);
}

#[tokio::test]
async fn a_service_status_change_is_recorded_with_its_audit_and_event_or_not_at_all() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (reseller, product) = priced_reseller(&admin).await;
    let operator = app.operator("ops@example.com").await;
    let actor = Actor::user(&operator);
    let order = place(&app, &reseller, request("c-1", &product, "monthly", 1))
        .await
        .unwrap();
    let id: ServiceId = order.service_ids[0].clone();
    let events_before = order_events(&app, &reseller).await;

    let active = services::change_status(&app.store, &actor, &id, ServiceAction::Activate)
        .await
        .unwrap();
    assert_eq!(active.status, ServiceStatus::Active);
    assert_eq!(order_events(&app, &reseller).await, events_before + 1);
    let audited = format!("SELECT COUNT(*) FROM operator_audit_log WHERE subject_id = '{id}'");
    assert_eq!(count(&app.store, &audited).await, 1);

    let again = services::change_status(&app.store, &actor, &id, ServiceAction::Activate)
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::InvalidTransition);
    assert_eq!(order_events(&app, &reseller).await, events_before + 1, "no event");
    assert_eq!(count(&app.store, &audited).await, 1, "no audit entry");
    let stored = app::services::service::service(&app.store, &reseller, &id)
        .await
        .unwrap();
    assert_eq!(stored.status, ServiceStatus::Active);
}

#[tokio::test]
async fn lifecycle_changes_follow_the_transitions_and_keep_their_reasons() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let operator = app.operator("ops@example.com").await;
    let actor = Actor::user(&operator);
    let id: ResellerId = admin.reseller("life@example.com", "pending").await.parse().unwrap();

    let approved = resellers::change_status(&app.store, &actor, &id, LifecycleAction::Approve, None)
        .await
        .unwrap();
    assert_eq!(approved.status, ResellerStatus::Active);
    assert_eq!(
        resellers::approved_by(&app.store, &id).await.unwrap().as_deref(),
        Some("ops@example.com")
    );
    let suspended = resellers::change_status(
        &app.store,
        &actor,
        &id,
        LifecycleAction::Suspend,
        Some("unpaid invoice"),
    )
    .await
    .unwrap();
    assert_eq!(suspended.suspension_reason.as_deref(), Some("unpaid invoice"));
    resellers::change_status(&app.store, &actor, &id, LifecycleAction::Terminate, Some("closed"))
        .await
        .unwrap();

    let refused = resellers::change_status(&app.store, &actor, &id, LifecycleAction::Reactivate, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidTransition);
    assert_eq!(
        resellers::get(&app.store, &id).await.unwrap().status,
        ResellerStatus::Terminated
    );
    let history = resellers::history(&app.store, &id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "reseller.terminate",
            "reseller.suspend",
            "reseller.approve",
            "reseller.invite"
        ]
    );
}

#[tokio::test]
async fn due_services_renew_once_per_term_with_an_event() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (reseller, product) = priced_reseller(&admin).await;
    let operator = app.operator("ops@example.com").await;
    let order = place(&app, &reseller, request("c-1", &product, "monthly", 1))
        .await
        .unwrap();
    let id = order.service_ids[0].clone();
    services::change_status(&app.store, &Actor::user(&operator), &id, ServiceAction::Activate)
        .await
        .unwrap();
    let due = Timestamp::now().minus(time::Duration::days(1));
    let moved = execute_at(
        &app.store,
        &format!("UPDATE services SET next_renewal_at = $1 WHERE id = '{id}'"),
        due,
    )
    .await;
    assert_eq!(moved, 1);

    app.renew_all(Timestamp::now()).await;
    let renewed = app::services::service::service(&app.store, &reseller, &id)
        .await
        .unwrap();
    assert!(
        renewed.next_renewal_at > Timestamp::now(),
        "the next term starts where the last ended"
    );
    let events = format!(
        "SELECT COUNT(*) FROM webhook_events WHERE reseller_id = '{reseller}' AND event_type = 'service.renewed'"
    );
    assert_eq!(count(&app.store, &events).await, 1);

    assert_eq!(
        services::renew_due(&app.store, Timestamp::now()).await.unwrap(),
        0,
        "nothing is due twice"
    );
    assert_eq!(count(&app.store, &events).await, 1);
}

/// The reseller's order and service events (its own status changes aside).
async fn order_events(app: &TestApp, reseller: &ResellerId) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM webhook_events WHERE reseller_id = '{reseller}' AND event_type NOT IN ('reseller.status_changed', 'price_book.changed')"
    );
    count(&app.store, &sql).await
}

async fn place(
    app: &TestApp,
    reseller: &ResellerId,
    request: OrderRequest,
) -> app::error::AppResult<app::orders::Order> {
    orders::place(&app.store, &app.state.settings, reseller, request).await
}
