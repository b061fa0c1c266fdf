//! Price changes over time (DESIGN.md "Price changes over time"): scheduled
//! versions of a price-book row, which orders, renewals and the partner
//! API's `as_of` and `upcoming` follow; the notice a rise needs; one
//! version per time; history that never changes; bulk percentages; and
//! `price_book.changed` each time.
//!
//! Time is the store's clock, frozen and moved by the test.

use crate::helpers::{Admin, PartnerClient, TestApp, count, order_body, spawn_app, text};
use app::timestamp::Timestamp;
use serde_json::{Value, json};
use time::Duration;

struct World {
    app: TestApp,
    admin: Admin,
    partner: PartnerClient,
    product: String,
}

/// The clock frozen on a whole second; an active reseller whose book sells
/// one product monthly at 10.00 and annually at 100.00.
async fn world() -> World {
    let app = spawn_app().await;
    let start = Timestamp::from_unix_micros(Timestamp::now().unix_seconds() * 1_000_000).unwrap();
    app.store.clock().freeze(start);
    let admin = app.admin().await;
    let partner = admin.partner(&app, "versions@example.com", "orders").await;
    let product = admin.product("ver-vps", Some("20.00"), None).await;
    let w = World {
        app,
        admin,
        partner,
        product,
    };
    let (status, body) = w
        .put(json!({ "wholesale_monthly": "10.00", "wholesale_annual": "100.00" }))
        .await;
    assert_eq!(status, 200, "{body}");
    w
}

fn rfc(at: Timestamp) -> String {
    at.rfc3339()
}

impl World {
    fn now(&self) -> Timestamp {
        self.app.store.now()
    }

    fn days(&self, days: i64) -> Timestamp {
        self.now().plus(Duration::days(days))
    }

    fn at(&self, at: Timestamp) {
        self.app.store.clock().freeze(at);
    }

    fn row_path(&self) -> String {
        format!("/resellers/{}/products/{}", self.partner.reseller_id, self.product)
    }

    async fn put(&self, body: Value) -> (u16, Value) {
        self.admin.put(&self.row_path(), body).await
    }

    /// Schedules monthly at `monthly` from `at` under `policy`.
    async fn schedule(&self, monthly: &str, at: Timestamp, policy: &str) -> (u16, Value) {
        self.put(json!({
            "wholesale_monthly": monthly, "wholesale_annual": "100.00",
            "effective_from": rfc(at), "existing_services": policy
        }))
        .await
    }

    async fn order_total(&self, external_id: &str) -> String {
        let order = self
            .partner
            .order(&order_body(external_id, &self.product, "monthly", 1))
            .await;
        assert_eq!(order.status, 201, "{}", order.body);
        order.body["wholesale_total"].as_str().unwrap().to_owned()
    }

    /// An active monthly service ordered now.
    async fn service(&self) -> String {
        let order = self
            .partner
            .order(&order_body("svc", &self.product, "monthly", 1))
            .await;
        assert_eq!(order.status, 201, "{}", order.body);
        let id = order.body["service_ids"][0].as_str().unwrap().to_owned();
        let (status, body) = self.admin.post(&format!("/services/{id}/activate"), json!({})).await;
        assert_eq!(status, 200, "{body}");
        id
    }

    async fn read(&self, service: &str) -> Value {
        let s = self.partner.get(&format!("/services/{service}")).await;
        assert_eq!(s.status, 200, "{}", s.body);
        s.body
    }

    /// Moves the clock to a minute after `service`'s next renewal and runs
    /// every renewal due.
    async fn renew_next(&self, service: &str) {
        let s = self.read(service).await;
        let due = Timestamp::parse_rfc3339(s["next_renewal_at"].as_str().unwrap()).unwrap();
        self.at(due.plus(Duration::minutes(1)));
        self.app.renew_all(self.now()).await;
    }

    async fn renewals(&self) -> Vec<String> {
        let page = self.partner.get("/transactions?kind=renewal&limit=200").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let mut amounts: Vec<String> = page.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["amount"].as_str().unwrap().to_owned())
            .collect();
        amounts.reverse();
        amounts
    }

    async fn events(&self, event_type: &str) -> Vec<Value> {
        let sql = format!(
            "SELECT COUNT(*) FROM webhook_events WHERE reseller_id = '{}' AND event_type = '{event_type}'",
            self.partner.reseller_id
        );
        let n = count(&self.app.store, &sql).await;
        let mut events = Vec::new();
        for i in 0..n {
            let sql = format!(
                "SELECT CAST(payload AS TEXT) FROM webhook_events WHERE reseller_id = '{}' AND event_type = '{event_type}'
                 ORDER BY id LIMIT 1 OFFSET {i}",
                self.partner.reseller_id
            );
            events.push(serde_json::from_str(&text(&self.app.store, &sql).await).unwrap());
        }
        events
    }

    async fn catalog(&self, query: &str) -> Value {
        let page = self.partner.get(&format!("/products{query}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.body
    }
}

/// The monthly price of `product` in a `GET /products` page, if listed.
fn listed_monthly(page: &Value, product: &str) -> Option<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == product)
        .map(|p| p["prices"]["monthly"].as_str().unwrap().to_owned())
}

/// A version effective tomorrow: today's orders pay the old price,
/// tomorrow's the new one; an order retried under its key after the
/// version took effect answers what it answered first.
#[tokio::test]
async fn a_version_effective_tomorrow_prices_orders_from_tomorrow() {
    let w = world().await;
    let tomorrow = w.days(1);
    let (status, body) = w.schedule("12.00", tomorrow, "keep").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["wholesale_monthly"], "10.00", "still in effect: {body}");
    assert_eq!(body["upcoming"][0]["prices"]["monthly"], "12.00", "{body}");

    let first = order_body("first", &w.product, "monthly", 1);
    let today = w.partner.order_with_key(&first, "ver-order-1").await;
    assert_eq!(
        (today.status, today.body["wholesale_total"].as_str()),
        (201, Some("10.00"))
    );
    assert_eq!(w.order_total("today").await, "10.00");

    w.at(tomorrow);
    assert_eq!(w.order_total("tomorrow").await, "12.00");
    let replay = w.partner.order_with_key(&first, "ver-order-1").await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.body, today.body, "the first answer, not today's price");
}

/// `keep`: a service sold before the change renews at its old price after
/// the date, while new orders pay the new one.
#[tokio::test]
async fn keep_leaves_services_already_sold_at_their_price() {
    let w = world().await;
    let service = w.service().await;
    let (status, body) = w.schedule("15.00", w.days(1), "keep").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(w.read(&service).await["next_renewal_price"], "10.00");
    w.renew_next(&service).await;
    w.renew_next(&service).await;
    assert_eq!(w.renewals().await, ["-10.00", "-10.00"]);
    assert_eq!(w.read(&service).await["recurring_price"], "10.00");
    assert_eq!(w.order_total("new").await, "15.00");
    assert!(w.events("service.price_changed").await.is_empty());
}

/// `at_renewal`: a renewal before the date keeps the old price; the first
/// renewal on or after it charges the new one and locks it, with
/// `service.price_changed`; `next_renewal_price` says so beforehand.
#[tokio::test]
async fn at_renewal_moves_the_first_renewal_on_or_after_the_date() {
    let w = world().await;
    let service = w.service().await;
    let from = w.days(45);
    let (status, body) = w.schedule("12.00", from, "at_renewal").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        w.read(&service).await["next_renewal_price"],
        "10.00",
        "the first renewal is before the date"
    );

    w.renew_next(&service).await; // about a month on: before the date
    assert_eq!(w.renewals().await, ["-10.00"]);
    let s = w.read(&service).await;
    assert_eq!(
        (s["recurring_price"].as_str(), s["next_renewal_price"].as_str()),
        (Some("10.00"), Some("12.00")),
        "{s}"
    );

    w.renew_next(&service).await; // two months on: after the date
    w.renew_next(&service).await;
    assert_eq!(w.renewals().await, ["-10.00", "-12.00", "-12.00"]);
    let s = w.read(&service).await;
    assert_eq!(s["recurring_price"], "12.00", "locked: {s}");
    let changed = w.events("service.price_changed").await;
    assert_eq!(changed.len(), 1, "once, when it moved: {changed:?}");
    assert_eq!(
        (
            changed[0]["data"]["old_price"].as_str(),
            changed[0]["data"]["recurring_price"].as_str()
        ),
        (Some("10.00"), Some("12.00"))
    );
}

/// A rise for services already sold needs the notice (30 days by
/// default); a decrease applies at once; new-order prices may rise at once.
#[tokio::test]
async fn a_rise_for_existing_services_needs_notice() {
    let w = world().await;
    let (status, body) = w.schedule("11.00", w.days(10), "at_renewal").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap_or_default().contains("30 days"),
        "{body}"
    );
    let now_rise = w
        .put(json!({ "wholesale_monthly": "11.00", "wholesale_annual": "100.00", "existing_services": "at_renewal" }))
        .await;
    assert_eq!(now_rise.0, 422, "{}", now_rise.1);
    assert_eq!(w.order_total("unchanged").await, "10.00", "refusals change nothing");

    let (status, body) = w.schedule("11.00", w.days(30), "at_renewal").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w
        .put(json!({ "wholesale_monthly": "8.00", "wholesale_annual": "100.00", "existing_services": "at_renewal" }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(w.order_total("cut").await, "8.00", "a decrease applies at once");
    let (status, body) = w.schedule("13.00", w.days(1), "keep").await;
    assert_eq!(status, 200, "new orders only: no notice {body}");
}

/// One version per row and time; a scheduled version can be changed and
/// withdrawn (what was in effect stays); one that took effect cannot.
#[tokio::test]
async fn versions_are_one_per_time_and_history_never_changes() {
    let w = world().await;
    let at = w.days(5);
    let (status, body) = w.schedule("12.00", at, "keep").await;
    assert_eq!(status, 200, "{body}");
    let id = body["upcoming"][0]["id"].as_str().unwrap().to_owned();
    let (status, twice) = w.schedule("13.00", at, "keep").await;
    assert_eq!(
        (status, twice["code"].as_str()),
        (409, Some("version_exists")),
        "{twice}"
    );

    let version = format!("{}/versions/{id}", w.row_path());
    let (status, changed) = w
        .admin
        .put(
            &version,
            json!({ "wholesale_monthly": "11.50", "effective_from": rfc(w.days(6)) }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["upcoming"][0]["prices"]["monthly"], "11.50");
    let (status, withdrawn) = w.admin.delete(&version).await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["upcoming"], json!([]));
    assert_eq!(withdrawn["wholesale_monthly"], "10.00");
    let (status, _) = w.admin.delete(&version).await;
    assert_eq!(status, 404, "withdrawn is gone");

    let (_, body) = w.schedule("12.00", w.days(2), "keep").await;
    let id = body["upcoming"][0]["id"].as_str().unwrap().to_owned();
    w.at(w.days(3));
    let version = format!("{}/versions/{id}", w.row_path());
    let (status, past) = w
        .admin
        .put(
            &version,
            json!({ "wholesale_monthly": "9.00", "effective_from": rfc(w.days(9)) }),
        )
        .await;
    assert_eq!(
        (status, past["code"].as_str()),
        (409, Some("version_in_effect")),
        "{past}"
    );
    let (status, past) = w.admin.delete(&version).await;
    assert_eq!(
        (status, past["code"].as_str()),
        (409, Some("version_in_effect")),
        "{past}"
    );
    assert_eq!(w.order_total("after").await, "12.00");
    let (status, _) = w
        .admin
        .put(
            &format!(
                "/resellers/{}/products/{}/versions/{id}",
                w.partner.reseller_id, "prd_01jd8x2m3n4p5q6r7s8t9v0w1x"
            ),
            json!({ "wholesale_monthly": "9.00", "effective_from": rfc(w.days(9)) }),
        )
        .await;
    assert_eq!(status, 404, "another row's version is not found");
    let (status, refused) = w
        .put(json!({ "wholesale_monthly": "9.00", "effective_from": rfc(w.days(1)), "is_enabled": false }))
        .await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("is_enabled")),
        "{refused}"
    );
}

/// `as_of` and `upcoming` answer what the versions say; a reseller sees
/// only its own book's versions; a disabled row is hidden at every time.
#[tokio::test]
async fn as_of_and_upcoming_follow_the_versions_of_ones_own_book() {
    let w = world().await;
    let before = w.now();
    let from = w.days(31);
    let (status, body) = w.schedule("12.00", from, "at_renewal").await;
    assert_eq!(status, 200, "{body}");

    let now = w.catalog("").await;
    let item = &now["data"][0];
    assert_eq!(
        (
            item["prices"]["monthly"].as_str(),
            item["upcoming"][0]["prices"]["monthly"].as_str()
        ),
        (Some("10.00"), Some("12.00"))
    );
    assert_eq!(item["upcoming"][0]["existing_services"], "at_renewal");
    assert_eq!(
        Timestamp::parse_rfc3339(item["upcoming"][0]["effective_from"].as_str().unwrap()),
        Some(from)
    );
    let later = w.catalog(&format!("?as_of={}", rfc(from).replace('+', "%2B"))).await;
    assert_eq!(listed_monthly(&later, &w.product).as_deref(), Some("12.00"));
    assert_eq!(later["data"][0]["upcoming"], json!([]));
    let earlier = w
        .catalog(&format!("?as_of={}", rfc(before.minus(Duration::days(400)))))
        .await;
    assert_eq!(listed_monthly(&earlier, &w.product), None, "before the row existed");
    let bad = w.partner.get("/products?as_of=tomorrow").await;
    assert_eq!(
        (bad.status, bad.body["code"].as_str()),
        (422, Some("validation_failed"))
    );

    // Another reseller with the same product sees its own book only.
    let other = w.admin.partner(&w.app, "versions-other@example.com", "orders").await;
    let (status, body) = w
        .admin
        .put(
            &format!("/resellers/{}/products/{}", other.reseller_id, w.product),
            json!({ "wholesale_monthly": "9.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let theirs = other.get(&format!("/products?as_of={}", rfc(from))).await.body;
    assert_eq!(listed_monthly(&theirs, &w.product).as_deref(), Some("9.00"));
    assert_eq!(theirs["data"][0]["upcoming"], json!([]));

    let (status, body) = w
        .put(json!({ "wholesale_monthly": "10.00", "wholesale_annual": "100.00", "is_enabled": false }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed_monthly(&w.catalog("").await, &w.product), None);
    assert_eq!(
        listed_monthly(&w.catalog(&format!("?as_of={}", rfc(from))).await, &w.product),
        None
    );
}

/// +7.5 % on one product across three resellers: the preview writes
/// nothing; the change schedules three versions rounded to cents, each
/// audited.
#[tokio::test]
async fn a_bulk_percentage_schedules_one_audited_version_per_reseller() {
    let w = world().await;
    let mut resellers = vec![w.partner.reseller_id.clone()];
    for (email, monthly) in [("bulk-b@example.com", "20.00"), ("bulk-c@example.com", "0.50")] {
        let partner = w.admin.partner(&w.app, email, "orders").await;
        let (status, body) = w
            .admin
            .put(
                &format!("/resellers/{}/products/{}", partner.reseller_id, w.product),
                json!({ "wholesale_monthly": monthly }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        resellers.push(partner.reseller_id);
    }
    let versions = format!("SELECT COUNT(*) FROM price_versions WHERE product_id = '{}'", w.product);
    assert_eq!(count(&w.app.store, &versions).await, 3);
    let body = json!({
        "product_id": w.product, "percent": "7.5", "effective_from": rfc(w.days(31)),
        "existing_services": "at_renewal"
    });
    let (status, preview) = w.admin.post("/price-book/bulk/preview", body.clone()).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(count(&w.app.store, &versions).await, 3, "a preview writes nothing");
    let mut after: Vec<(String, String)> = preview["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["reseller_id"].as_str().unwrap().to_owned(),
                l["after"]["monthly"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    after.sort();
    let mut expected: Vec<(String, String)> = resellers
        .iter()
        .cloned()
        .zip(["10.75", "21.50", "0.54"].map(String::from))
        .collect();
    expected.sort();
    assert_eq!(after, expected, "10.75, 21.50, 0.5375 rounded half away from zero");

    let (status, done) = w.admin.post("/price-book/bulk", body.clone()).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(count(&w.app.store, &versions).await, 6);
    let audited = format!(
        "SELECT COUNT(*) FROM operator_audit_log WHERE action = 'price_book.schedule' AND subject_id LIKE '%/{}'",
        w.product
    );
    assert_eq!(count(&w.app.store, &audited).await, 3);
    let (status, again) = w.admin.post("/price-book/bulk", body).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("version_exists")),
        "{again}"
    );
    assert_eq!(count(&w.app.store, &versions).await, 6, "all or none");
    let (status, bad) = w
        .admin
        .post(
            "/price-book/bulk/preview",
            json!({ "percent": "7.5", "effective_from": rfc(w.days(31)) }),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (422, Some("validation_failed")),
        "{bad}"
    );
}

/// `price_book.changed` goes out when a version is scheduled, changed,
/// withdrawn and when it takes effect (once, however often the pass runs).
#[tokio::test]
async fn price_book_changed_is_sent_at_each_step() {
    let w = world().await;
    let baseline = w.events("price_book.changed").await.len();
    let (_, body) = w.schedule("12.00", w.days(2), "keep").await;
    let id = body["upcoming"][0]["id"].as_str().unwrap().to_owned();
    let version = format!("{}/versions/{id}", w.row_path());
    let (status, _) = w
        .admin
        .put(
            &version,
            json!({ "wholesale_monthly": "12.50", "effective_from": rfc(w.days(3)) }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = w.schedule("14.00", w.days(4), "keep").await;
    let second = body["upcoming"][1]["id"].as_str().unwrap().to_owned();
    let (status, _) = w.admin.delete(&format!("{}/versions/{second}", w.row_path())).await;
    assert_eq!(status, 200);

    w.at(w.days(3));
    for _ in 0..2 {
        app::price_book::service::announce_due(&w.app.store, w.now())
            .await
            .unwrap();
    }
    let events = w.events("price_book.changed").await;
    let changes: Vec<&str> = events[baseline..]
        .iter()
        .map(|e| e["data"]["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        ["scheduled", "changed", "scheduled", "withdrawn", "took_effect"]
    );
    let took = &events.last().unwrap()["data"];
    assert_eq!(
        (took["id"].as_str(), took["prices"]["monthly"].as_str()),
        (Some(id.as_str()), Some("12.50"))
    );
    assert_eq!(took["product_id"], w.product.as_str());
}
