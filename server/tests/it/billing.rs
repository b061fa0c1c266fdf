//! The reseller account (DESIGN.md "Reseller account"): through the admin
//! API, the partner API and the server functions, on both databases.

use crate::helpers::{Admin, PartnerClient, TestApp, count, error_code, order_body, spawn_app};
use app::timestamp::Timestamp;
use serde_json::{Value, json};

/// An app, its admin, an orders-scoped partner, and a product priced at
/// 20.00 a month with a 5.00 setup fee (an order of one: 25.00).
async fn setup() -> (TestApp, Admin, PartnerClient, String) {
    setup_on(spawn_app().await).await
}

/// [`setup`] on an app whose clock a test may already have moved.
async fn setup_on(app: TestApp) -> (TestApp, Admin, PartnerClient, String) {
    let admin = app.admin().await;
    let partner = admin.partner(&app, "billing@example.com", "orders").await;
    let product = admin.product("vps-b", Some("30.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            json!({ "wholesale_monthly": "20.00", "wholesale_setup_fee": "5.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (app, admin, partner, product)
}

async fn set_account(admin: &Admin, reseller: &str, body: Value) {
    let (status, body) = admin.patch(&format!("/resellers/{reseller}"), body).await;
    assert_eq!(status, 200, "{body}");
}

async fn pay(admin: &Admin, reseller: &str, amount: &str) -> Value {
    let (status, body) = admin
        .post(
            &format!("/resellers/{reseller}/payments"),
            json!({ "amount": amount, "reference": format!("wire {amount}") }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn balance(admin: &Admin, reseller: &str) -> Value {
    let (status, body) = admin.get(&format!("/resellers/{reseller}/balance")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every entry of the reseller, through the partner API's pages.
async fn all_entries(partner: &PartnerClient) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/transactions?limit=7&cursor={c}"),
            None => "/transactions?limit=7".to_owned(),
        };
        let page = partner.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        entries.extend(page.body["data"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return entries,
        }
    }
}

fn sum(entries: &[Value]) -> rust_decimal::Decimal {
    entries
        .iter()
        .map(|e| e["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum()
}

async fn events(app: &TestApp, reseller: &str, event_type: &str) -> i64 {
    count(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM webhook_events WHERE reseller_id = '{reseller}' AND event_type = '{event_type}'"
        ),
    )
    .await
}

#[tokio::test]
async fn without_a_limit_orders_are_billed_in_arrears() {
    let (_app, admin, partner, product) = setup().await;
    let order = partner.order(&order_body("c-1", &product, "monthly", 2)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let b = partner.get("/balance").await;
    assert_eq!(b.status, 200);
    assert_eq!(
        b.body,
        json!({
            "balance": "-50.00", "credit_limit": null, "available": null,
            "low_balance_threshold": null, "currency": "EUR"
        })
    );
    let entries = all_entries(&partner).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "order");
    assert_eq!(entries[0]["amount"], "-50.00");
    assert_eq!(entries[0]["order_id"], order.body["id"]);
    assert!(entries[0]["id"].as_str().unwrap().starts_with("txn_"));
    assert_eq!(balance(&admin, &partner.reseller_id).await, b.body, "both APIs agree");
}

#[tokio::test]
async fn a_prepaid_account_refuses_orders_beyond_its_funds_and_writes_nothing() {
    let (app, admin, partner, product) = setup().await;
    set_account(&admin, &partner.reseller_id, json!({ "credit_limit": "0.00" })).await;
    let refused = partner.order(&order_body("p-1", &product, "monthly", 1)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (402, "insufficient_funds"),
        "{}",
        refused.body
    );
    assert!(refused.body["detail"].as_str().unwrap().contains("available"));
    let r = &partner.reseller_id;
    assert_eq!(
        count(
            &app.store,
            &format!("SELECT COUNT(*) FROM orders WHERE reseller_id = '{r}'")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app.store,
            &format!("SELECT COUNT(*) FROM services WHERE reseller_id = '{r}'")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app.store,
            &format!("SELECT COUNT(*) FROM ledger_entries WHERE reseller_id = '{r}'")
        )
        .await,
        0
    );

    pay(&admin, r, "30.00").await;
    let placed = partner.order(&order_body("p-2", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let b = balance(&admin, r).await;
    assert_eq!(
        (b["balance"].as_str(), b["available"].as_str()),
        (Some("5.00"), Some("5.00"))
    );
    // A credit line lets the balance go below zero, to the limit.
    set_account(&admin, r, json!({ "credit_limit": "20.00" })).await;
    assert_eq!(
        partner.order(&order_body("p-3", &product, "monthly", 1)).await.status,
        201
    );
    assert_eq!(balance(&admin, r).await["available"], "0.00");
    assert_eq!(
        partner.order(&order_body("p-4", &product, "monthly", 1)).await.status,
        402
    );
    // Back to no limit: billed in arrears again.
    set_account(&admin, r, json!({ "credit_limit": null })).await;
    assert_eq!(
        partner.order(&order_body("p-5", &product, "monthly", 1)).await.status,
        201
    );
    assert_eq!(balance(&admin, r).await["balance"], "-45.00");
}

#[tokio::test]
async fn forty_concurrent_orders_against_funds_for_ten_place_exactly_ten() {
    let (app, admin, partner, product) = setup().await;
    let r = partner.reseller_id.clone();
    set_account(&admin, &r, json!({ "credit_limit": "0.00" })).await;
    pay(&admin, &r, "250.00").await; // ten orders of 25.00
    let partner = std::sync::Arc::new(partner);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (partner, product) = (partner.clone(), product.clone());
            tokio::spawn(async move {
                partner
                    .order(&order_body(&format!("c-{i}"), &product, "monthly", 1))
                    .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let r = task.await.unwrap();
        assert!(
            r.status == 201 || r.code() == "insufficient_funds",
            "{} {}",
            r.status,
            r.body
        );
        statuses.push(r.status);
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 10);
    assert_eq!(statuses.iter().filter(|&&s| s == 402).count(), 30);
    assert_eq!(balance(&admin, &r).await["balance"], "0.00");
    assert_eq!(
        count(
            &app.store,
            &format!("SELECT COUNT(*) FROM orders WHERE reseller_id = '{r}'")
        )
        .await,
        10
    );
}

#[tokio::test]
async fn a_retried_payment_is_recorded_once() {
    let (app, admin, partner, _) = setup().await;
    let r = &partner.reseller_id;
    let body = json!({ "amount": "100.00", "reference": "INV-7" });
    let path = format!("/resellers/{r}/payments");
    let send = |body: Value| {
        let (admin, path) = (&admin, path.clone());
        async move {
            let mut request = reqwest::Client::new()
                .post(format!("{}{path}", admin.base))
                .bearer_auth(&admin.token)
                .header("idempotency-key", "pay-7");
            request = request.json(&body);
            let response = request.send().await.unwrap();
            let replayed = response.headers().get("idempotent-replayed").is_some();
            (
                response.status().as_u16(),
                replayed,
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (first, replayed, entry) = send(body.clone()).await;
    assert_eq!((first, replayed), (201, false), "{entry}");
    let (again, replayed, same) = send(body.clone()).await;
    assert_eq!((again, replayed), (200, true));
    assert_eq!(same["id"], entry["id"]);
    let (reused, _, problem) = send(json!({ "amount": "90.00", "reference": "INV-7" })).await;
    assert_eq!(
        (reused, problem["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(balance(&admin, r).await["balance"], "100.00");
    assert_eq!(events(&app, r, "payment.received").await, 1);
    // The payment is in the operator's audit log.
    let (_, audit) = admin.get("/audit-log?action=account.payment").await;
    assert!(audit.to_string().contains(entry["id"].as_str().unwrap()), "{audit}");
}

#[tokio::test]
async fn bad_amounts_and_reasons_are_refused_and_change_nothing() {
    let (app, admin, partner, _) = setup().await;
    let r = &partner.reseller_id;
    for (path, body, field) in [
        ("payments", json!({ "amount": "-5", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "0", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "0.00", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "1.23456", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "1e3", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "NaN", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": "ten", "reference": "x" }), "amount"),
        ("payments", json!({ "amount": 10, "reference": "x" }), "body"),
        ("payments", json!({ "amount": "10" }), "reference"),
        (
            "payments",
            json!({ "amount": "10", "reference": "x", "received_at": "2999-01-01T00:00:00Z" }),
            "received_at",
        ),
        ("credits", json!({ "amount": "-5", "reason": "goodwill" }), "amount"),
        ("credits", json!({ "amount": "5" }), "reason"),
        ("adjustments", json!({ "amount": "0", "reason": "fix" }), "amount"),
        ("adjustments", json!({ "amount": "-1e2", "reason": "fix" }), "amount"),
        ("adjustments", json!({ "amount": "-5" }), "reason"),
        ("adjustments", json!({ "amount": "-5", "reason": "   " }), "reason"),
    ] {
        let (status, problem) = admin.post(&format!("/resellers/{r}/{path}"), body.clone()).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (422, Some("validation_failed")),
            "{path} {body}: {problem}"
        );
        assert_eq!(problem["field"].as_str(), Some(field), "{path} {body}: {problem}");
    }
    for (body, why) in [
        (json!({ "credit_limit": "-1" }), "negative"),
        (json!({ "credit_limit": "1e3" }), "exponent"),
    ] {
        let (status, _) = admin.patch(&format!("/resellers/{r}"), body).await;
        assert_eq!(status, 422, "{why}");
    }
    assert_eq!(count(&app.store, "SELECT COUNT(*) FROM ledger_entries").await, 0);
    assert_eq!(count(&app.store, "SELECT COUNT(*) FROM reseller_accounts").await, 0);
    // An adjustment either way, and a credit, with reasons.
    for (path, amount) in [("adjustments", "-12.50"), ("adjustments", "2.5"), ("credits", "10")] {
        let (status, entry) = admin
            .post(
                &format!("/resellers/{r}/{path}"),
                json!({ "amount": amount, "reason": "fix" }),
            )
            .await;
        assert_eq!(status, 201, "{entry}");
        assert_eq!(entry["reason"], "fix");
    }
    assert_eq!(balance(&admin, r).await["balance"], "0.00");
}

#[tokio::test]
async fn another_resellers_account_is_not_found() {
    let (_app, admin, partner, _) = setup().await;
    let other = admin.reseller("other@example.com", "active").await;
    pay(&admin, &other, "40.00").await;
    // The partner's own account has none of the other's entries.
    assert!(all_entries(&partner).await.is_empty());
    assert_eq!(partner.get("/balance").await.body["balance"], "0.00");
    let missing = "rsl_01jd8x2m3n4p5q6r7s8t9v0w1x";
    for path in ["balance", "transactions", "statements/2026-11"] {
        let (status, problem) = admin.get(&format!("/resellers/{missing}/{path}")).await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{path}");
    }
    let (status, _) = admin
        .post(
            &format!("/resellers/{missing}/payments"),
            json!({ "amount": "1", "reference": "x" }),
        )
        .await;
    assert_eq!(status, 404);
    // A cursor from another reseller's list is no cursor of this one.
    let (_, theirs) = admin.get(&format!("/resellers/{other}/transactions")).await;
    let their_id = theirs["data"][0]["id"].as_str().unwrap();
    let r = partner.get(&format!("/transactions?cursor={their_id}")).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
    let r = partner.get("/transactions?kind=refund").await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
    let r = partner.get("/statements/2026-13").await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn statements_open_where_the_month_before_closed() {
    // History is placed through the business clock: the account opens two
    // months ago, payments arrive on the first and the fourth of last month.
    let app = spawn_app().await;
    let clock = app.store.clock().clone();
    let noon = crate::helpers::clear_of_midnight(&clock);
    let this = app::billing::Month::of(noon);
    let last = this.previous();
    clock.set(last.previous().start().plus(time::Duration::days(1)));
    let (_app, admin, partner, product) = setup_on(app).await;
    let r = &partner.reseller_id;
    for (amount, at) in [
        ("7.00", last.start()),
        ("100.00", last.start().plus(time::Duration::days(3))),
        ("50.00", noon),
    ] {
        clock.set(at);
        let (status, body) = admin
            .post(
                &format!("/resellers/{r}/payments"),
                json!({ "amount": amount, "reference": "wire" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    crate::helpers::clear_of_midnight(&clock);
    assert_eq!(
        partner.order(&order_body("c-1", &product, "monthly", 1)).await.status,
        201
    );

    let before = partner.get(&format!("/statements/{}", last.previous())).await.body;
    let first = partner.get(&format!("/statements/{last}")).await.body;
    let second = partner.get(&format!("/statements/{this}")).await.body;
    assert_eq!(before["closing_balance"], "0.00");
    assert_eq!(first["opening_balance"], "0.00");
    assert_eq!(first["closing_balance"], "107.00");
    let lines: Vec<&str> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["balance_after"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["7.00", "107.00"], "oldest first, running balance");
    assert_eq!(second["opening_balance"], first["closing_balance"]);
    let opening: rust_decimal::Decimal = second["opening_balance"].as_str().unwrap().parse().unwrap();
    let closing: rust_decimal::Decimal = second["closing_balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(opening + sum(second["entries"].as_array().unwrap()), closing);
    assert_eq!(second["closing_balance"], "132.00");

    // CSV, from the admin API, with the same figures.
    let csv = reqwest::Client::new()
        .get(format!("{}/resellers/{r}/statements/{this}", admin.base))
        .bearer_auth(&admin.token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("date,id,kind,description,amount,balance_after\r\n"),
        "{text}"
    );
    assert!(text.contains(",opening,Opening balance,,107.00\r\n"), "{text}");
    assert!(
        text.contains(",order,Order ord_") && text.contains(",-25.00,"),
        "{text}"
    );
    assert!(text.trim_end().ends_with(",closing,Closing balance,,132.00"), "{text}");
}

/// An active monthly service of `partner`, due for renewal now.
async fn due_now(app: &TestApp, admin: &Admin, partner: &PartnerClient, product: &str) -> String {
    let due = Timestamp::now().minus(time::Duration::minutes(1));
    admin.due_service(app, partner, product, "monthly", due).await
}

#[tokio::test]
async fn a_renewal_the_account_cannot_cover_suspends_and_a_payment_lifts_it() {
    let (app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    set_account(&admin, r, json!({ "credit_limit": "0.00" })).await;
    pay(&admin, r, "25.00").await;
    let service = due_now(&app, &admin, &partner, &product).await;
    assert_eq!(balance(&admin, r).await["balance"], "0.00");

    // The scheduled renewal: 20.00 not covered, suspended for non-payment.
    app.renew_all(Timestamp::now()).await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(
        (s["status"].as_str(), s["suspension_reason"].as_str()),
        (Some("suspended"), Some("unpaid"))
    );
    assert_eq!(events(&app, r, "service.suspended").await, 1);
    assert_eq!(balance(&admin, r).await["balance"], "0.00", "not charged");
    // "Renew now" refuses while the funds are short, changing nothing.
    let (status, problem) = admin.post(&format!("/services/{service}/renew"), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (402, Some("insufficient_funds")));

    // A payment that covers it renews and unsuspends it.
    pay(&admin, r, "30.00").await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(
        (s["status"].as_str(), s["suspension_reason"].as_str()),
        (Some("active"), None)
    );
    assert_eq!(balance(&admin, r).await["balance"], "10.00");
    assert_eq!(events(&app, r, "service.unsuspended").await, 1);
    assert_eq!(events(&app, r, "service.renewed").await, 1);
    let renewal = all_entries(&partner)
        .await
        .into_iter()
        .find(|e| e["kind"] == "renewal")
        .unwrap();
    assert_eq!(
        (renewal["amount"].as_str(), renewal["service_id"].as_str()),
        (Some("-20.00"), Some(service.as_str()))
    );

    // An operator's suspension is not lifted by a payment.
    let (status, _) = admin.post(&format!("/services/{service}/suspend"), json!({})).await;
    assert_eq!(status, 200);
    pay(&admin, r, "100.00").await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(
        (s["status"].as_str(), s["suspension_reason"].as_str()),
        (Some("suspended"), Some("operator"))
    );
    let (status, problem) = admin.post(&format!("/services/{service}/renew"), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("invalid_transition")));
}

#[tokio::test]
async fn renew_now_charges_an_active_service_or_suspends_it() {
    let (app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    let service = due_now(&app, &admin, &partner, &product).await;
    let before = partner.get(&format!("/services/{service}")).await.body["next_renewal_at"].clone();
    // No limit: charged, a term later.
    let (status, renewed) = admin.post(&format!("/services/{service}/renew"), json!({})).await;
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["next_renewal_at"], before);
    assert_eq!(balance(&admin, r).await["balance"], "-45.00");
    // Prepaid without funds: the same action suspends it for non-payment.
    set_account(&admin, r, json!({ "credit_limit": "45.00" })).await;
    let (status, suspended) = admin.post(&format!("/services/{service}/renew"), json!({})).await;
    assert_eq!(status, 200, "{suspended}");
    assert_eq!(suspended["suspension_reason"], "unpaid");
    // Raising the limit lifts it, like a payment.
    set_account(&admin, r, json!({ "credit_limit": "65.00" })).await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(s["status"], "active");
    assert_eq!(balance(&admin, r).await["balance"], "-65.00");
    let (status, _) = admin
        .post("/services/svc_01jd8x2m3n4p5q6r7s8t9v0w1x/renew", json!({}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn balance_low_is_sent_once_per_crossing() {
    let (app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    set_account(
        &admin,
        r,
        json!({ "credit_limit": "0.00", "low_balance_threshold": "30.00" }),
    )
    .await;
    assert_eq!(events(&app, r, "balance.low").await, 1, "0.00 is already below 30.00");
    pay(&admin, r, "100.00").await; // 100: above, re-armed
    let order = async |n: &str| partner.order(&order_body(n, &product, "monthly", 1)).await;
    assert_eq!(order("a").await.status, 201); // 75
    assert_eq!(order("b").await.status, 201); // 50
    assert_eq!(events(&app, r, "balance.low").await, 1);
    assert_eq!(order("c").await.status, 201); // 25: crossed
    assert_eq!(events(&app, r, "balance.low").await, 2);
    pay(&admin, r, "1.00").await; // 26: still below, nothing new
    assert_eq!(events(&app, r, "balance.low").await, 2);
    pay(&admin, r, "30.00").await; // 56: re-armed
    assert_eq!(order("d").await.status, 201); // 31
    assert_eq!(order("e").await.status, 201); // 6: crossed again
    assert_eq!(events(&app, r, "balance.low").await, 3);
    let payload: Value = {
        let b = partner.get("/balance").await.body;
        assert_eq!(b["available"], "6.00");
        b
    };
    assert_eq!(payload["low_balance_threshold"], "30.00");
}

/// After a random sequence of payments, credits, adjustments and orders,
/// the balance is the sum of the entries, and both are what the sequence
/// adds up to.
#[tokio::test]
async fn the_balance_is_always_the_sum_of_the_entries() {
    use rand::{Rng, SeedableRng};
    let (_app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    let seed: u64 = std::env::var("FLUX_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut expected = rust_decimal::Decimal::ZERO;
    for step in 0..40 {
        let cents: i64 = rng.random_range(1..50_000);
        let amount = rust_decimal::Decimal::new(cents, 2);
        match rng.random_range(0..5) {
            0 => {
                pay(&admin, r, &amount.to_string()).await;
                expected += amount;
            }
            1 => {
                let (status, _) = admin
                    .post(
                        &format!("/resellers/{r}/credits"),
                        json!({ "amount": amount.to_string(), "reason": "p" }),
                    )
                    .await;
                assert_eq!(status, 201);
                expected += amount;
            }
            2 => {
                let signed = if rng.random_bool(0.5) { -amount } else { amount };
                let (status, _) = admin
                    .post(
                        &format!("/resellers/{r}/adjustments"),
                        json!({ "amount": signed.to_string(), "reason": "p" }),
                    )
                    .await;
                assert_eq!(status, 201);
                expected += signed;
            }
            _ => {
                let units = rng.random_range(1..4u32);
                let placed = partner
                    .order(&order_body(&format!("c-{step}"), &product, "monthly", units))
                    .await;
                assert_eq!(placed.status, 201, "seed {seed}: {}", placed.body);
                expected -= rust_decimal::Decimal::from(25 * units);
            }
        }
    }
    let entries = all_entries(&partner).await;
    let b = balance(&admin, r).await;
    let reported: rust_decimal::Decimal = b["balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(reported, sum(&entries), "seed {seed}");
    assert_eq!(reported, expected, "seed {seed}");
    let ids: std::collections::HashSet<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), entries.len(), "pages neither repeat nor skip (seed {seed})");
}

#[tokio::test]
async fn the_panels_read_and_record_through_server_functions() {
    use app::billing::server_fns::{AdminAccount, MyBilling, RecordPayment, UpdateAccountSettings};
    use app::orders::server_fns::PlaceOrder;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (portal, r) = app.active_client("portal-billing@example.com").await;
    let product = admin.product("vps-f", Some("30.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{r}/products/{product}"),
            json!({ "wholesale_monthly": "20.00", "wholesale_setup_fee": "5.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.operator("ops@example.com").await;
    let ops = app.signed_in("admin", "ops@example.com").await;

    let set = app
        .call::<UpdateAccountSettings>(
            &ops,
            &[
                ("reseller_id", &r),
                ("credit_limit", "0.00"),
                ("low_balance_threshold", ""),
            ],
        )
        .await;
    assert!(set.status().is_success(), "{}", set.text().await.unwrap());
    let offer = format!("{product}|monthly");
    let form = [
        ("customer_external_id", "c-portal"),
        ("customer_name", ""),
        ("offer", offer.as_str()),
        ("quantity", "1"),
    ];
    let refused = app.call::<PlaceOrder>(&portal, &form).await;
    assert_eq!(error_code(refused).await, (402, "insufficient_funds".to_owned()));

    let paid = app
        .call::<RecordPayment>(
            &ops,
            &[
                ("reseller_id", &r),
                ("amount", "40.00"),
                ("reference", "INV-9"),
                ("received_at", ""),
                ("form_token", "t1"),
            ],
        )
        .await;
    assert!(paid.status().is_success(), "{}", paid.text().await.unwrap());
    // The same form sent again records nothing more.
    let again = app
        .call::<RecordPayment>(
            &ops,
            &[
                ("reseller_id", &r),
                ("amount", "40.00"),
                ("reference", "INV-9"),
                ("received_at", ""),
                ("form_token", "t1"),
            ],
        )
        .await;
    assert!(again.status().is_success());
    let placed = app.call::<PlaceOrder>(&portal, &form).await;
    assert!(placed.status().is_success(), "{}", placed.text().await.unwrap());

    let view: Value = app.call::<MyBilling>(&portal, &[]).await.json().await.unwrap();
    assert_eq!(view["balance"]["balance"], "15.00");
    assert_eq!(view["entries"]["data"].as_array().unwrap().len(), 2);
    assert_eq!(view["history"].as_array().unwrap().len(), 90);
    let kind: Value = app
        .call::<MyBilling>(&portal, &[("kind", "payment")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kind["entries"]["data"].as_array().unwrap().len(), 1);

    // Refusals: a client cannot read the operator's view; bad input is named.
    let forbidden = app.call::<AdminAccount>(&portal, &[("reseller_id", &r)]).await;
    assert_eq!(error_code(forbidden).await.0, 403);
    let bad = app
        .call::<RecordPayment>(&ops, &[("reseller_id", &r), ("amount", "-3"), ("reference", "x")])
        .await;
    assert_eq!(error_code(bad).await, (422, "validation_failed".to_owned()));
    let missing = app
        .call::<AdminAccount>(&ops, &[("reseller_id", "rsl_01jd8x2m3n4p5q6r7s8t9v0w1x")])
        .await;
    assert_eq!(error_code(missing).await.0, 404);
    assert_eq!(balance(&admin, &r).await["balance"], "15.00");
}

/// A service suspended for non-payment and paid for six weeks later starts
/// a new term on the day it is restored and is charged once: the next
/// renewal pass leaves it alone (it used to restart from the old due date,
/// already past, and be charged or suspended again).
#[tokio::test]
async fn a_restored_service_starts_a_new_term_on_the_day_it_is_restored() {
    let app = spawn_app().await;
    let clock = app.store.clock().clone();
    clock.set(Timestamp::now().minus(time::Duration::days(100)));
    let (app, admin, partner, product) = setup_on(app).await;
    let r = &partner.reseller_id;
    set_account(&admin, r, json!({ "credit_limit": "0.00" })).await;
    pay(&admin, r, "25.00").await;
    let order = partner.order(&order_body("c-r", &product, "monthly", 1)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
    let (status, active) = admin.post(&format!("/services/{service}/activate"), json!({})).await;
    assert_eq!(status, 200, "{active}");
    let due = Timestamp::parse_rfc3339(active["next_renewal_at"].as_str().unwrap()).unwrap();

    // A month on, the renewal cannot be covered: suspended for non-payment.
    clock.set(due.plus(time::Duration::minutes(1)));
    app.renew_all(app.store.now()).await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(s["suspension_reason"], "unpaid", "{s}");

    // Six weeks later the reseller pays: one term, starting today.
    clock.advance(time::Duration::days(42));
    let restored_on = app.store.now();
    pay(&admin, r, "30.00").await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(s["status"], "active", "{s}");
    let next = Timestamp::parse_rfc3339(s["next_renewal_at"].as_str().unwrap()).unwrap();
    assert!(
        next > restored_on.plus(time::Duration::days(27)),
        "a new term from the day of the payment, not from {due}: {next}"
    );

    // The next pass finds nothing due.
    app.renew_all(app.store.now()).await;
    let s = partner.get(&format!("/services/{service}")).await.body;
    assert_eq!(s["status"], "active", "{s}");
    assert_eq!(balance(&admin, r).await["balance"], "10.00", "charged once");
    let entries = all_entries(&partner).await;
    assert_eq!(entries.iter().filter(|e| e["kind"] == "renewal").count(), 1);
}

/// Months outside 2000-01..9999-11 are the caller's mistake on both APIs
/// (9999-12 was a 500 on PostgreSQL: its month after is out of range).
#[tokio::test]
async fn statements_of_months_out_of_range_are_refused() {
    let (_app, admin, partner, _) = setup().await;
    for month in ["9999-12", "1999-12", "0000-01", "10000-01", "2026-13", "2026-1"] {
        let r = partner.get(&format!("/statements/{month}")).await;
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{month}: {}", r.body);
        let (status, body) = admin
            .get(&format!("/resellers/{}/statements/{month}", partner.reseller_id))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("validation_failed")),
            "{month}: {body}"
        );
    }
    assert_eq!(partner.get("/statements/9999-11").await.status, 200);
}

/// A low-balance threshold is an amount like any other: bounded (a huge
/// one was a 500 on PostgreSQL and a panic on SQLite), nothing changed.
#[tokio::test]
async fn a_threshold_beyond_any_amount_is_refused_and_changes_nothing() {
    let (app, admin, partner, _) = setup().await;
    let r = &partner.reseller_id;
    for huge in ["99999999999999999999", "1000000000", "922337203685477.5807"] {
        let (status, body) = admin
            .patch(&format!("/resellers/{r}"), json!({ "low_balance_threshold": huge }))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("validation_failed")),
            "{huge}: {body}"
        );
    }
    assert_eq!(balance(&admin, r).await["low_balance_threshold"], Value::Null);
    // The panel's form says the same.
    app.operator("ops-threshold@example.com").await;
    let ops = app.signed_in("admin", "ops-threshold@example.com").await;
    let refused = app
        .call::<app::billing::server_fns::UpdateAccountSettings>(
            &ops,
            &[
                ("reseller_id", r),
                ("credit_limit", ""),
                ("low_balance_threshold", "99999999999999999999"),
            ],
        )
        .await;
    assert_eq!(error_code(refused).await, (422, "validation_failed".to_owned()));
    assert_eq!(balance(&admin, r).await["low_balance_threshold"], Value::Null);
    let (status, body) = admin
        .patch(
            &format!("/resellers/{r}"),
            json!({ "low_balance_threshold": "999999999.99" }),
        )
        .await;
    assert_eq!(status, 200, "the largest amount is fine: {body}");
}

/// Resellers read "operator" as who recorded a payment or credit, in the
/// partner API, statements, the Billing page and `payment.received`; the
/// operator's side keeps the email.
#[tokio::test]
async fn resellers_read_operator_where_the_operator_side_reads_an_email() {
    use app::billing::server_fns::{AdminAccount, MyBilling, RecordPayment};
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (portal, r) = app.active_client("who-recorded@example.com").await;
    let email = "ops-who@example.com";
    app.operator(email).await;
    let ops = app.signed_in("admin", email).await;
    let form = [
        ("reseller_id", r.as_str()),
        ("amount", "40.00"),
        ("reference", "INV-1"),
        ("received_at", ""),
        ("form_token", "who-1"),
    ];
    let paid = app.call::<RecordPayment>(&ops, &form).await;
    assert!(paid.status().is_success(), "{}", paid.text().await.unwrap());

    let partner = admin.partner_for(&app, &r, "read").await;
    let entries = all_entries(&partner).await;
    assert_eq!(entries[0]["recorded_by"], "operator", "{entries:?}");
    let month = app::billing::Month::of(app.store.now());
    let statement = partner.get(&format!("/statements/{month}")).await;
    assert_eq!(statement.status, 200);
    let billing = app.call::<MyBilling>(&portal, &[]).await.text().await.unwrap();
    let payload = crate::helpers::text(
        &app.store,
        &format!("SELECT CAST(payload AS TEXT) FROM webhook_events WHERE reseller_id = '{r}' AND event_type = 'payment.received'"),
    )
    .await;
    for (seen_by, text) in [
        ("partner API", entries[0].to_string()),
        ("statement", statement.body.to_string()),
        ("Billing page", billing.clone()),
        ("payment.received", payload.clone()),
    ] {
        assert!(!text.contains(email), "{seen_by} shows the operator's email: {text}");
        assert!(text.contains("\"operator\""), "{seen_by}: {text}");
    }

    // The operator's side names who.
    let (status, own) = admin.get(&format!("/resellers/{r}/transactions")).await;
    assert_eq!(status, 200);
    assert_eq!(own["data"][0]["recorded_by"], email);
    let account = app.call::<AdminAccount>(&ops, &[("reseller_id", &r)]).await;
    assert!(account.text().await.unwrap().contains(email));
}

/// A statement comes a page at a time, each page with the month's
/// opening and closing balance; closed months are snapshotted and the
/// balance reads the same from the snapshot on.
#[tokio::test]
async fn statements_are_paged_and_closed_months_snapshotted() {
    let app = spawn_app().await;
    let clock = app.store.clock().clone();
    let noon = crate::helpers::clear_of_midnight(&clock);
    let month = app::billing::Month::of(noon).previous().previous().previous();
    clock.set(month.start().plus(time::Duration::days(1)));
    let (app, admin, partner, _) = setup_on(app).await;
    let r = &partner.reseller_id;
    for cents in 1..=7 {
        clock.advance(time::Duration::hours(1));
        pay(&admin, r, &format!("{cents}.00")).await;
    }
    crate::helpers::clear_of_midnight(&clock);

    let mut lines = Vec::new();
    let mut path = format!("/statements/{month}?limit=3");
    loop {
        let page = partner.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(
            (
                page.body["opening_balance"].as_str(),
                page.body["closing_balance"].as_str()
            ),
            (Some("0.00"), Some("28.00"))
        );
        let entries = page.body["entries"].as_array().unwrap();
        assert!(entries.len() <= 3);
        lines.extend(entries.iter().map(|e| e["balance_after"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/statements/{month}?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(lines, ["1.00", "3.00", "6.00", "10.00", "15.00", "21.00", "28.00"]);
    assert_eq!(partner.get(&format!("/statements/{month}?limit=0")).await.status, 422);

    // Closing writes each final month once; the balance reads the same.
    let written = app::billing::service::close_periods(&app.store, &app.state.settings)
        .await
        .unwrap();
    assert!(written >= 2, "{written}");
    let snapshots = format!("SELECT COUNT(*) FROM ledger_snapshots WHERE reseller_id = '{r}'");
    assert_eq!(count(&app.store, &snapshots).await, written as i64);
    let again = app::billing::service::close_periods(&app.store, &app.state.settings)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(balance(&admin, r).await["balance"], "28.00");
    pay(&admin, r, "2.00").await;
    assert_eq!(balance(&admin, r).await["balance"], "30.00");
    let closed = partner.get(&format!("/statements/{month}")).await.body;
    assert_eq!(closed["closing_balance"], "28.00");
    assert_eq!(closed["final"], true, "{closed}");
}

/// "Received on" today is accepted at any hour of the day (before 12:00
/// UTC it was refused as the future); a date-only payment is dated at the
/// start of its day.
#[tokio::test]
async fn a_payment_received_today_is_accepted_early_in_the_day() {
    let app = spawn_app().await;
    let clock = app.store.clock().clone();
    let midnight = Timestamp::parse_rfc3339(&format!("{}T00:00:00Z", Timestamp::now().date())).unwrap();
    clock.set(midnight.plus(time::Duration::minutes(10)));
    let (_app, admin, partner, _) = setup_on(app).await;
    let r = &partner.reseller_id;
    clock.set(midnight.plus(time::Duration::minutes(40)));
    let today = midnight.date().to_string();
    let (status, body) = admin
        .post(
            &format!("/resellers/{r}/payments"),
            json!({ "amount": "5.00", "reference": "early", "received_at": today }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        Timestamp::parse_rfc3339(body["at"].as_str().unwrap()).unwrap(),
        midnight
    );
    // Tomorrow is still the future.
    let tomorrow = midnight.plus(time::Duration::days(1)).date().to_string();
    let (status, _) = admin
        .post(
            &format!("/resellers/{r}/payments"),
            json!({ "amount": "5.00", "reference": "late", "received_at": tomorrow }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(balance(&admin, r).await["balance"], "5.00");
}

/// The payment form's token is an Idempotency-Key: one that is not (too
/// long: a 500 on PostgreSQL) is named, and nothing is recorded.
#[tokio::test]
async fn a_malformed_form_token_is_refused() {
    use app::billing::server_fns::RecordPayment;
    let app = spawn_app().await;
    let (_, r) = app.active_client("token@example.com").await;
    app.operator("ops-token@example.com").await;
    let ops = app.signed_in("admin", "ops-token@example.com").await;
    let long = "t".repeat(300);
    for token in [long.as_str(), "white space", "tab\there"] {
        let form = [
            ("reseller_id", r.as_str()),
            ("amount", "40.00"),
            ("reference", "INV-1"),
            ("received_at", ""),
            ("form_token", token),
        ];
        let refused = app.call::<RecordPayment>(&ops, &form).await;
        assert_eq!(
            error_code(refused).await,
            (422, "validation_failed".to_owned()),
            "{token:?}"
        );
    }
    let entries = format!("SELECT COUNT(*) FROM ledger_entries WHERE reseller_id = '{r}'");
    assert_eq!(count(&app.store, &entries).await, 0);
}

/// A statement is final once its month ended and the grace days passed: a
/// payment dated in such a month, before the account existed or in year
/// 0001 is refused, and the final statement reads as it did.
#[tokio::test]
async fn a_payment_cannot_be_dated_into_a_final_statement() {
    let app = spawn_app().await;
    let noon = crate::helpers::clear_of_midnight(app.store.clock());
    app.store.clock().set(noon.minus(time::Duration::days(70)));
    let (app, admin, partner, _) = setup_on(app).await;
    pay(&admin, &partner.reseller_id, "1.00").await;
    crate::helpers::clear_of_midnight(app.store.clock());
    let r = &partner.reseller_id;
    let grace = app.state.settings.statement_grace_days;
    let closed = app::billing::Month::first_open(noon, grace).previous();
    let before = partner.get(&format!("/statements/{closed}")).await.body;
    assert_eq!(before["final"], true, "{before}");
    let in_closed = closed.start().plus(time::Duration::days(9)).rfc3339();
    for received_at in [in_closed.as_str(), "0001-01-01", "0001-01-01T00:00:00Z", "2001-05-01"] {
        let (status, body) = admin
            .post(
                &format!("/resellers/{r}/payments"),
                json!({ "amount": "50.00", "reference": "late", "received_at": received_at }),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (422, Some("validation_failed"), Some("received_at")),
            "{received_at}: {body}"
        );
    }
    assert_eq!(partner.get(&format!("/statements/{closed}")).await.body, before);
    assert_eq!(balance(&admin, r).await["balance"], "1.00");
    // An open month takes it.
    let open = app.store.now().minus(time::Duration::hours(1)).rfc3339();
    let (status, body) = admin
        .post(
            &format!("/resellers/{r}/payments"),
            json!({ "amount": "50.00", "reference": "on time", "received_at": open }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Concurrent orders on an account with a threshold and no limit: the
/// crossing is decided on the sum after each insert. Each round, two orders
/// of 25.00 take 240.00 to 190.00 across a threshold of 200.00; neither
/// crosses it alone, so deciding on a balance read before the other's
/// commit sent nothing. One `balance.low` per round, every round.
#[tokio::test]
async fn concurrent_orders_across_a_threshold_send_one_balance_low() {
    let (app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    pay(&admin, r, "240.00").await;
    set_account(&admin, r, json!({ "low_balance_threshold": "200.00" })).await;
    assert_eq!(events(&app, r, "balance.low").await, 0);
    let rounds = 8;
    for round in 1..=rounds {
        let orders = (0..2).map(|i| {
            let partner = partner.clone();
            let product = product.clone();
            async move {
                partner
                    .order(&order_body(&format!("c-{round}-{i}"), &product, "monthly", 1))
                    .await
            }
        });
        for placed in futures::future::join_all(orders).await {
            assert_eq!(placed.status, 201, "{}", placed.body);
        }
        assert_eq!(balance(&admin, r).await["balance"], "190.00");
        assert_eq!(events(&app, r, "balance.low").await, round, "round {round}");
        pay(&admin, r, "50.00").await; // 240.00: above again, re-armed
    }
}

/// Credits and adjustments retried with the same Idempotency-Key are
/// recorded once; a key reused for another body is refused.
#[tokio::test]
async fn credits_and_adjustments_honour_the_idempotency_key() {
    let (_app, admin, partner, _) = setup().await;
    let r = &partner.reseller_id;
    for (kind, amount) in [("credits", "10.00"), ("adjustments", "-4.00")] {
        let path = format!("/resellers/{r}/{kind}");
        let body = json!({ "amount": amount, "reason": "goodwill" });
        let key = format!("retry-{kind}");
        let (s1, first) = admin.post_with_key(&path, body.clone(), &key).await;
        let (s2, second) = admin.post_with_key(&path, body, &key).await;
        assert_eq!((s1, s2), (201, 200), "{first} {second}");
        assert_eq!(first["id"], second["id"], "the retry answers the first entry");
        let other = json!({ "amount": "99.00", "reason": "other" });
        let (status, problem) = admin.post_with_key(&path, other, &key).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (422, Some("idempotency_key_reused"))
        );
        let (status, _) = admin
            .post_with_key(&path, json!({ "amount": "1.00", "reason": "x" }), "bad key")
            .await;
        assert_eq!(status, 422);
    }
    assert_eq!(balance(&admin, r).await["balance"], "6.00");
    assert_eq!(all_entries(&partner).await.len(), 2);
}

/// "Renew now" is idempotent and takes the renewal date its caller saw: a
/// click racing the scheduler charges one term, not two.
#[tokio::test]
async fn renew_now_is_idempotent_and_refuses_a_renewal_that_moved() {
    let (app, admin, partner, product) = setup().await;
    let r = &partner.reseller_id;
    let service = due_now(&app, &admin, &partner, &product).await;
    let seen = partner.get(&format!("/services/{service}")).await.body["next_renewal_at"].clone();
    let path = format!("/services/{service}/renew");
    let body = json!({ "next_renewal_at": seen });
    let (s1, first) = admin.post_with_key(&path, body.clone(), "renew-1").await;
    let (s2, second) = admin.post_with_key(&path, body.clone(), "renew-1").await;
    assert_eq!((s1, s2), (200, 200), "{first} {second}");
    assert_eq!(first, second);
    assert_eq!(balance(&admin, r).await["balance"], "-45.00", "one term");
    // The same click under a new key, after the renewal moved the date on.
    let (status, problem) = admin.post_with_key(&path, body, "renew-2").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition")),
        "{problem}"
    );
    // The scheduler racing a click: it renews first, the click changes nothing.
    let moved = partner.get(&format!("/services/{service}")).await.body["next_renewal_at"].clone();
    app.renew_all(app.store.now().plus(time::Duration::days(40))).await;
    let (status, _) = admin.post(&path, json!({ "next_renewal_at": moved })).await;
    assert_eq!(status, 409);
    assert_eq!(
        balance(&admin, r).await["balance"],
        "-65.00",
        "the scheduler's term only"
    );
}
