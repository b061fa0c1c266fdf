//! The reseller account's rules that span several calls (DESIGN.md
//! "Reseller account"): transactions by time, the walk that restores
//! services suspended for non-payment, the operator's list by balance, a
//! payment key reused with another date, and the money events as a
//! Standard Webhooks receiver sees them.

use crate::helpers::{Admin, PartnerClient, Receiver, order_body, spawn_app};
use app::timestamp::Timestamp;
use serde_json::{Value, json};
use time::Duration;

async fn ok(admin: &Admin, path: &str, body: Value) -> Value {
    let (status, answer) = admin.post(path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
    answer
}

async fn pay(admin: &Admin, reseller: &str, amount: &str) {
    let body = json!({ "amount": amount, "reference": format!("wire {amount}") });
    ok(admin, &format!("/resellers/{reseller}/payments"), body).await;
}

async fn patch(admin: &Admin, reseller: &str, body: Value) {
    let (status, answer) = admin.patch(&format!("/resellers/{reseller}"), body).await;
    assert_eq!(status, 200, "{answer}");
}

/// A product the reseller buys monthly at `price`, without a setup fee.
async fn product_at(admin: &Admin, partner: &PartnerClient, slug: &str, price: &str) -> String {
    let product = admin.product(slug, Some("99.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            json!({ "wholesale_monthly": price, "wholesale_setup_fee": "0.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    product
}

/// The amounts of a page of entries, in its order.
fn amounts(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount"].as_str().unwrap())
        .collect()
}

/// `GET /transactions` filtered by `since`/`until` lists the entries in
/// that time, newest first; a malformed bound is a 422.
#[tokio::test]
async fn transactions_filter_by_time_newest_first() {
    let app = spawn_app().await;
    let clock = app.store.clock().clone();
    let start = Timestamp::now().minus(Duration::days(10));
    clock.set(start);
    let admin = app.admin().await;
    let partner = admin.partner(&app, "times@example.com", "read").await;
    let r = &partner.reseller_id;
    for (day, amount) in [(0, "1.00"), (1, "2.00"), (2, "3.00"), (3, "4.00")] {
        clock.set(start.plus(Duration::days(day)));
        pay(&admin, r, amount).await;
    }
    clock.reset();
    let at = |hours: i64| start.plus(Duration::hours(hours)).rfc3339().replace('+', "%2B");
    let page = partner
        .get(&format!("/transactions?since={}&until={}", at(12), at(60)))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(amounts(&page.body), ["3.00", "2.00"], "within the bounds, newest first");
    let since = partner.get(&format!("/transactions?since={}", at(36))).await;
    assert_eq!(amounts(&since.body), ["4.00", "3.00"]);
    for bad in ["since=yesterday", "until=2026-13-01T00:00:00Z"] {
        let r = partner.get(&format!("/transactions?{bad}")).await;
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{bad}");
    }
}

async fn status_of(partner: &PartnerClient, service: &str) -> (String, Option<String>) {
    let s = partner.get(&format!("/services/{service}")).await.body;
    (
        s["status"].as_str().unwrap().to_owned(),
        s["suspension_reason"].as_str().map(str::to_owned),
    )
}

/// Payments restore services suspended for non-payment oldest due first,
/// and the first the funds do not cover stops the walk: a cheaper one due
/// later is not restored ahead of it.
#[tokio::test]
async fn payments_restore_oldest_due_first_and_stop_at_the_first_not_covered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "walk@example.com", "orders").await;
    let r = &partner.reseller_id;
    let now = Timestamp::now();
    let mut services = Vec::new();
    for (slug, price, hours_ago) in [("walk-a", "20.00", 3), ("walk-b", "50.00", 2), ("walk-c", "10.00", 1)] {
        let product = product_at(&admin, &partner, slug, price).await;
        let due = now.minus(Duration::hours(hours_ago));
        services.push(admin.due_service(&app, &partner, &product, "monthly", due).await);
    }
    // Paid up, then prepaid: no renewal can be covered.
    pay(&admin, r, "80.00").await;
    patch(&admin, r, json!({ "credit_limit": "0.00" })).await;
    app.renew_all(app.store.now()).await;
    let unpaid = ("suspended".to_owned(), Some("unpaid".to_owned()));
    for service in &services {
        assert_eq!(status_of(&partner, service).await, unpaid);
    }

    // 35.00: the oldest (20.00) is restored; the next (50.00) is not
    // covered and stops the walk, though 15.00 would cover the last (10.00).
    pay(&admin, r, "35.00").await;
    assert_eq!(status_of(&partner, &services[0]).await, ("active".to_owned(), None));
    assert_eq!(status_of(&partner, &services[1]).await, unpaid);
    assert_eq!(status_of(&partner, &services[2]).await, unpaid, "not skipped ahead");
    let balance = partner.get("/balance").await.body;
    assert_eq!(balance["balance"], "15.00");

    // 45.00 more: 60.00 covers both, in order.
    pay(&admin, r, "45.00").await;
    for service in &services {
        assert_eq!(status_of(&partner, service).await, ("active".to_owned(), None));
    }
    assert_eq!(partner.get("/balance").await.body["balance"], "0.00");
}

/// `GET /resellers?sort=balance` lists who owes most first.
#[tokio::test]
async fn the_reseller_list_sorts_by_balance_lowest_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for (email, adjustment) in [
        ("plus@example.com", "10.00"),
        ("owes@example.com", "-30.00"),
        ("little@example.com", "-5.00"),
    ] {
        let id = admin.reseller(email, "active").await;
        let body = json!({ "amount": adjustment, "reason": "opening balance" });
        ok(&admin, &format!("/resellers/{id}/adjustments"), body).await;
        ids.push(id);
    }
    let (status, page) = admin.get("/resellers?sort=balance").await;
    assert_eq!(status, 200, "{page}");
    let listed: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[1].as_str(), ids[2].as_str(), ids[0].as_str()], "{page}");
    let (status, refused) = admin.get("/resellers?sort=wealth").await;
    assert_eq!((status, refused["code"].as_str()), (422, Some("validation_failed")));
}

/// A payment retried under its key must carry the same `received_at`:
/// another date is another payment, refused as a reused key.
#[tokio::test]
async fn a_payment_key_reused_with_another_date_is_refused() {
    let app = spawn_app().await;
    let today = crate::helpers::clear_of_midnight(app.store.clock());
    let admin = app.admin().await;
    let reseller = admin.reseller("dates@example.com", "active").await;
    let send = async |body: Value| {
        let response = reqwest::Client::new()
            .post(format!("{}/resellers/{reseller}/payments", admin.base))
            .bearer_auth(&admin.token)
            .header("idempotency-key", "pay-dated")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, first) = send(json!({ "amount": "40.00", "reference": "INV-9" })).await;
    assert_eq!(status, 201, "{first}");
    let date = today.date();
    let (status, reused) = send(json!({ "amount": "40.00", "reference": "INV-9", "received_at": date })).await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (422, Some("idempotency_key_reused")),
        "{reused}"
    );
    let (_, balance) = admin.get(&format!("/resellers/{reseller}/balance")).await;
    assert_eq!(balance["balance"], "40.00", "recorded once");
}

/// `payment.received` and `balance.low` reach the reseller's receiver
/// signed so that a Standard Webhooks library verifies them, with the
/// figures of the moment and the operator named as "operator".
#[tokio::test]
async fn money_events_are_delivered_and_verify_with_standard_webhooks() {
    let app = crate::webhooks::app(&[1]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, secret, product) =
        crate::webhooks::partner(&app.url(""), &admin, &receiver, "money@example.com").await;
    let r = &partner.reseller_id;
    pay(&admin, r, "12.00").await;
    patch(&admin, r, json!({ "low_balance_threshold": "5.00" })).await;
    let order = partner.order(&order_body("m-1", &product, "monthly", 1)).await;
    assert_eq!(order.status, 201, "{}", order.body);

    let got = receiver.collect(4, 30).await;
    let mut by_type = std::collections::HashMap::new();
    for received in &got {
        crate::webhooks::verify(&secret, received);
        let body = received.json();
        by_type.insert(body["type"].as_str().unwrap().to_owned(), body);
    }
    let mut types: Vec<&str> = by_type.keys().map(String::as_str).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["balance.low", "order.created", "payment.received", "service.created"]
    );
    let payment = &by_type["payment.received"]["data"];
    assert_eq!(payment["transaction"]["amount"], "12.00");
    assert_eq!(payment["transaction"]["recorded_by"], "operator");
    assert_eq!(payment["balance"], "12.00");
    let total: rust_decimal::Decimal = order.body["wholesale_total"].as_str().unwrap().parse().unwrap();
    let left = (rust_decimal::Decimal::new(1200, 2) - total).to_string();
    let low = &by_type["balance.low"]["data"];
    assert_eq!(
        (low["balance"].as_str(), low["low_balance_threshold"].as_str()),
        (Some(left.as_str()), Some("5.00"))
    );
    assert!(low["credit_limit"].is_null() && low["available"].is_null(), "{low}");
    assert!(receiver.nothing_more().await);
}
