//! What a service keeps over time (DESIGN.md "Wholesale price book",
//! "Lifecycle of a reseller"): the price locked at order through every
//! renewal, services running through a reseller's suspension, the API
//! switched off and on again, no deliveries to a reseller not yet
//! approved, the book's caps and switches through the partner API, and
//! orders that mix terms.

use crate::helpers::{Admin, PartnerClient, Receiver, TestApp, count, order_body, spawn_app};
use app::timestamp::Timestamp;
use serde_json::{Value, json};

async fn setup() -> (TestApp, Admin, PartnerClient, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "terms@example.com", "orders").await;
    let product = admin.product("vps-terms", Some("40.00"), Some("0.0600")).await;
    book(&admin, &partner, &product, row("20.00", true)).await;
    (app, admin, partner, product)
}

/// The test's price row (a PUT replaces the whole row).
fn row(monthly: &str, enabled: bool) -> Value {
    json!({
        "wholesale_monthly": monthly, "wholesale_hourly": "0.0300", "wholesale_setup_fee": "0.00",
        "max_quantity": 3, "is_enabled": enabled
    })
}

async fn book(admin: &Admin, partner: &PartnerClient, product: &str, row: Value) {
    let (status, body) = admin
        .put(&format!("/resellers/{}/products/{product}", partner.reseller_id), row)
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn post(admin: &Admin, path: &str, body: Value) -> Value {
    let (status, answer) = admin.post(path, body).await;
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

/// An active service of one unit on `term`, due for renewal now.
async fn due(app: &TestApp, admin: &Admin, partner: &PartnerClient, product: &str, term: &str) -> String {
    let due = Timestamp::now().minus(time::Duration::minutes(1));
    admin.due_service(app, partner, product, term, due).await
}

async fn renewals(partner: &PartnerClient) -> Vec<String> {
    let page = partner.get("/transactions?kind=renewal").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount"].as_str().unwrap().to_owned())
        .collect()
}

/// The book's price at order time is the service's price for good: after
/// the book goes up, the scheduled renewal and "Renew now" charge the old
/// price; a new order pays the new one.
#[tokio::test]
async fn the_price_locked_at_order_is_charged_at_every_renewal() {
    let (app, admin, partner, product) = setup().await;
    let service = due(&app, &admin, &partner, &product, "monthly").await;
    book(&admin, &partner, &product, row("30.00", true)).await;
    app.renew_all(app.store.now()).await;
    post(&admin, &format!("/services/{service}/renew"), json!({})).await;
    assert_eq!(renewals(&partner).await, ["-20.00", "-20.00"]);
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(s["recurring_price"], "20.00", "{s}");
    let later = partner.order(&order_body("later", &product, "monthly", 1)).await;
    assert_eq!(later.body["wholesale_total"], "30.00", "{}", later.body);
}

/// An hourly service renews by the hour at its hourly price.
#[tokio::test]
async fn an_hourly_service_renews_by_the_hour() {
    let (app, admin, partner, product) = setup().await;
    let service = due(&app, &admin, &partner, &product, "hourly").await;
    let before = Timestamp::now();
    app.renew_all(app.store.now()).await;
    assert_eq!(renewals(&partner).await, ["-0.03"]);
    let s = partner.get(&format!("/services/{service}")).await.body;
    let next = Timestamp::parse_rfc3339(s["next_renewal_at"].as_str().unwrap()).unwrap();
    assert!(
        next > before && next <= before.plus(time::Duration::hours(1)),
        "an hour on from the due time: {next}"
    );
}

/// One order of two lines on two terms: each line at its term's price,
/// each service on its own term.
#[tokio::test]
async fn an_order_can_mix_terms() {
    let (_app, _admin, partner, product) = setup().await;
    let order = partner
        .order(&json!({
            "customer": { "external_id": "mixed" },
            "lines": [
                { "product_id": product, "term": "monthly", "quantity": 1 },
                { "product_id": product, "term": "hourly", "quantity": 2 }
            ]
        }))
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    assert_eq!(order.body["wholesale_total"], "20.06");
    let mut terms = Vec::new();
    for id in order.body["service_ids"].as_array().unwrap() {
        let s = partner.get(&format!("/services/{}", id.as_str().unwrap())).await.body;
        terms.push((
            s["term"].as_str().unwrap().to_owned(),
            s["recurring_price"].as_str().unwrap().to_owned(),
        ));
    }
    terms.sort();
    assert_eq!(
        terms,
        [
            ("hourly".to_owned(), "0.03".to_owned()),
            ("hourly".to_owned(), "0.03".to_owned()),
            ("monthly".to_owned(), "20.00".to_owned())
        ]
    );
}

/// `max_quantity` counts the units held: a terminated service frees its
/// unit; a disabled row or an inactive product cannot be ordered.
#[tokio::test]
async fn the_books_caps_and_switches_hold_through_the_api() {
    let (app, admin, partner, product) = setup().await;
    let three = partner.order(&order_body("cap", &product, "monthly", 3)).await;
    assert_eq!(three.status, 201, "{}", three.body);
    let over = partner.order(&order_body("cap", &product, "monthly", 1)).await;
    assert_eq!((over.status, over.code()), (422, "quantity_limit_exceeded"));
    let first = three.body["service_ids"][0].as_str().unwrap();
    post(&admin, &format!("/services/{first}/terminate"), json!({})).await;
    let freed = partner.order(&order_body("cap", &product, "monthly", 1)).await;
    assert_eq!(freed.status, 201, "the terminated unit is free again: {}", freed.body);

    book(&admin, &partner, &product, row("20.00", false)).await;
    let disabled = partner.order(&order_body("off", &product, "monthly", 1)).await;
    assert_eq!((disabled.status, disabled.code()), (422, "product_not_available"));
    book(&admin, &partner, &product, row("20.00", true)).await;
    let (status, body) = admin
        .put(
            &format!("/products/{product}"),
            json!({
                "name": "Product vps-terms", "slug": "vps-terms", "kind": "vps", "is_active": false,
                "retail_monthly": "40.00", "retail_hourly": "0.0600", "retail_setup_fee": "5.00"
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let inactive = partner.order(&order_body("off", &product, "monthly", 1)).await;
    assert_eq!((inactive.status, inactive.code()), (422, "product_not_available"));
    assert_eq!(
        count(&app.store, "SELECT COUNT(*) FROM orders").await,
        2,
        "refusals wrote nothing"
    );
}

/// How many of the reseller's services are in each status.
async fn statuses(app: &TestApp, reseller: &str) -> Vec<i64> {
    let mut counts = Vec::new();
    for status in ["pending", "active", "suspended", "terminated"] {
        let sql = format!("SELECT COUNT(*) FROM services WHERE reseller_id = '{reseller}' AND status = '{status}'");
        counts.push(count(&app.store, &sql).await);
    }
    counts
}

/// Suspending a reseller blocks its API but never touches its services;
/// reactivating gives the partner its API back with the same services.
/// `api_enabled` switched off and on again does the same for the API.
#[tokio::test]
async fn services_run_through_a_suspension_and_the_api_comes_back() {
    let (app, admin, partner, product) = setup().await;
    let service = due(&app, &admin, &partner, &product, "monthly").await;
    assert_eq!(
        partner.order(&order_body("p", &product, "monthly", 1)).await.status,
        201
    );
    let r = &partner.reseller_id;
    let before = statuses(&app, r).await;
    assert_eq!(before, [1, 1, 0, 0]);
    post(&admin, &format!("/resellers/{r}/suspend"), json!({ "reason": "audit" })).await;
    let refused = partner.get("/services").await;
    assert_eq!((refused.status, refused.code()), (403, "reseller_suspended"));
    assert_eq!(statuses(&app, r).await, before, "services untouched");
    post(&admin, &format!("/resellers/{r}/reactivate"), json!({})).await;
    let listed = partner.get("/services").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        partner.get(&format!("/services/{service}")).await.body["status"],
        "active"
    );

    let (status, _) = admin
        .patch(&format!("/resellers/{r}"), json!({ "api_enabled": false }))
        .await;
    assert_eq!(status, 200);
    let off = partner.get("/services").await;
    assert_eq!((off.status, off.code()), (403, "api_disabled"));
    let (status, _) = admin
        .patch(&format!("/resellers/{r}"), json!({ "api_enabled": true }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(partner.get("/services").await.status, 200, "back on");
    assert_eq!(
        partner.order(&order_body("q", &product, "monthly", 1)).await.status,
        201
    );
}

/// A reseller not yet approved receives nothing: its events wait, held.
#[tokio::test]
async fn a_pending_reseller_receives_no_deliveries() {
    let app = crate::webhooks::app(&[1]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let reseller = admin.reseller("pending-hooks@example.com", "pending").await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/webhook"),
            json!({ "url": receiver.url }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin
        .post(
            &format!("/resellers/{reseller}/payments"),
            json!({ "amount": "10.00", "reference": "advance" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let held = crate::webhooks::deliveries(&admin, &format!("reseller_id={reseller}")).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["status"], "held", "{held:?}");
    assert!(receiver.nothing_more().await, "nothing sent while pending");
}
