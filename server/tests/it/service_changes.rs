//! A service's cancellation and its plan and term changes through the
//! partner API (DESIGN.md "Life of a service"): at the end of the term or
//! at once with its refund, upgrades prorated exactly as previewed,
//! downgrades and new terms at the renewal, each refusal writing nothing,
//! races with the renewal job, and a random walk over months that keeps
//! the ledger equal to what each service's price history says.
//!
//! Time is the store's clock, frozen where figures are compared: the
//! proration counts seconds.

use crate::helpers::{Admin, PartnerClient, PartnerResponse, TestApp, count, order_body, spawn_app, spawn_app_with};
use app::{
    changes::{CancelRefund, Period, prorate},
    money::Money,
    timestamp::Timestamp,
};
use serde_json::{Value, json};

/// Monthly prices of the test's products.
const SMALL: &str = "10.00";
const LARGE: &str = "30.00";
const SETUP: &str = "3.00";

struct World {
    app: TestApp,
    admin: Admin,
    partner: PartnerClient,
    small: String,
    large: String,
}

/// The clock frozen on a whole second; an active reseller; two `http`
/// products (the module's actions are recorded) priced monthly, the small
/// one also annually, with a setup fee.
async fn world_on(app: TestApp) -> World {
    let start = Timestamp::from_unix_micros(Timestamp::now().unix_seconds() * 1_000_000).unwrap();
    app.store.clock().freeze(start);
    let admin = app.admin().await;
    let partner = admin.partner(&app, "changes@example.com", "orders").await;
    let small = http_product(&admin, "chg-small").await;
    let large = http_product(&admin, "chg-large").await;
    book(
        &admin,
        &partner.reseller_id,
        &small,
        json!({ "wholesale_monthly": SMALL, "wholesale_annual": "100.00", "wholesale_setup_fee": SETUP }),
    )
    .await;
    book(
        &admin,
        &partner.reseller_id,
        &large,
        json!({ "wholesale_monthly": LARGE }),
    )
    .await;
    World {
        app,
        admin,
        partner,
        small,
        large,
    }
}

async fn world() -> World {
    world_on(spawn_app().await).await
}

async fn http_product(admin: &Admin, slug: &str) -> String {
    let (status, product) = admin
        .post(
            "/products",
            json!({
                "name": slug, "slug": slug, "kind": "vps", "retail_monthly": "50.00",
                // Nothing listens: the actions are recorded and retried.
                "provisioning": { "module": "http", "url": "http://127.0.0.1:9/provision" }
            }),
        )
        .await;
    assert_eq!(status, 201, "{product}");
    product["id"].as_str().unwrap().to_owned()
}

async fn book(admin: &Admin, reseller: &str, product: &str, row: Value) {
    let (status, body) = admin
        .put(&format!("/resellers/{reseller}/products/{product}"), row)
        .await;
    assert_eq!(status, 200, "{body}");
}

impl World {
    fn now(&self) -> Timestamp {
        self.app.store.now()
    }

    fn at(&self, at: Timestamp) {
        self.app.store.clock().freeze(at);
    }

    /// An active service of `product` on `term`, ordered now.
    async fn service(&self, product: &str, term: &str) -> String {
        let order = self.partner.order(&order_body("chg", product, term, 1)).await;
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

    async fn post(&self, path: &str, body: Value) -> PartnerResponse {
        self.partner.signed("POST", path, Some(&body)).await
    }

    async fn delete(&self, path: &str) -> PartnerResponse {
        self.partner.signed("DELETE", path, None).await
    }

    /// Every renewal due now, done (see `TestApp::renew_all`).
    async fn renew_due(&self) {
        self.app.renew_all(self.now()).await;
    }

    /// The next renewal of `service`, as the API says.
    async fn next_renewal(&self, service: &str) -> Timestamp {
        Timestamp::parse_rfc3339(self.read(service).await["next_renewal_at"].as_str().unwrap()).unwrap()
    }

    /// The amounts of `service`'s entries of `kind`, oldest first.
    async fn entries(&self, service: &str, kind: &str) -> Vec<String> {
        let page = self.partner.get(&format!("/transactions?kind={kind}&limit=200")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let mut amounts: Vec<String> = page.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["service_id"] == service)
            .map(|e| e["amount"].as_str().unwrap().to_owned())
            .collect();
        amounts.reverse();
        amounts
    }

    async fn events(&self, kind: &str) -> i64 {
        let sql = format!(
            "SELECT COUNT(*) FROM webhook_events WHERE reseller_id = '{}' AND event_type = '{kind}'",
            self.partner.reseller_id
        );
        count(&self.app.store, &sql).await
    }

    async fn actions(&self, service: &str, action: &str) -> i64 {
        let sql =
            format!("SELECT COUNT(*) FROM provisioning_actions WHERE service_id = '{service}' AND action = '{action}'");
        count(&self.app.store, &sql).await
    }

    /// Rows that a refusal must not change: the ledger, events, actions,
    /// and the services' every column.
    async fn footprint(&self) -> (i64, i64, i64, Vec<String>) {
        let store = &self.app.store;
        let services = self.partner.get("/services?limit=200").await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            // The worker's attempts move `provisioning` on meanwhile.
            .map(|s| {
                let mut s = s.clone();
                s["provisioning"] = Value::Null;
                s.to_string()
            })
            .collect();
        (
            count(store, "SELECT COUNT(*) FROM ledger_entries").await,
            count(store, "SELECT COUNT(*) FROM webhook_events").await,
            count(store, "SELECT COUNT(*) FROM provisioning_actions").await,
            services,
        )
    }
}

fn money(raw: &str) -> Money {
    Money::parse(raw).unwrap()
}

fn half_way(start: Timestamp, end: Timestamp) -> Timestamp {
    Timestamp::from_unix_micros((start.unix_micros() + end.unix_micros()) / 2).unwrap()
}

/// At the end of the term: not renewed, not charged, terminated at
/// `cancel_at` with the module's `terminate`; withdrawn before, the
/// service renews as usual.
#[tokio::test]
async fn a_cancellation_at_the_end_of_the_term_ends_the_service_uncharged() {
    let w = world().await;
    let ending = w.service(&w.small, "monthly").await;
    let staying = w.service(&w.small, "monthly").await;
    let renewal = w.next_renewal(&ending).await;

    let cancel = w
        .post(
            &format!("/services/{ending}/cancel"),
            json!({ "reason": "Moving to another host" }),
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.body["refund"], "0.00");
    assert_eq!(cancel.body["service"]["status"], "active");
    assert_eq!(cancel.body["service"]["cancel_reason"], "Moving to another host");
    assert_eq!(
        Timestamp::parse_rfc3339(cancel.body["service"]["cancel_at"].as_str().unwrap()),
        Some(renewal)
    );
    let again = w.post(&format!("/services/{ending}/cancel"), json!({})).await;
    assert_eq!(
        (again.status, again.code()),
        (409, "invalid_transition"),
        "{}",
        again.body
    );
    assert_eq!(
        w.post(&format!("/services/{staying}/cancel"), json!({})).await.status,
        200
    );
    let withdrawn = w.delete(&format!("/services/{staying}/cancel")).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["cancel_at"], Value::Null);
    assert_eq!(w.delete(&format!("/services/{staying}/cancel")).await.status, 409);
    assert_eq!(w.events("service.cancellation_scheduled").await, 2);
    assert_eq!(w.events("service.cancellation_withdrawn").await, 1);

    w.at(renewal.plus(time::Duration::minutes(1)));
    w.renew_due().await;
    let ended = w.read(&ending).await;
    assert_eq!(ended["status"], "terminated", "{ended}");
    assert!(w.entries(&ending, "renewal").await.is_empty(), "no renewal charge");
    assert_eq!(w.actions(&ending, "terminate").await, 1);
    assert_eq!(w.events("service.terminated").await, 1);
    assert_eq!(w.entries(&staying, "renewal").await, ["-10.00"]);
    assert_eq!(w.read(&staying).await["status"], "active");
    // Nothing more at the next pass.
    w.renew_due().await;
    assert_eq!(w.actions(&ending, "terminate").await, 1);
}

/// At once, half-way through a monthly term: terminated now, half the
/// monthly price credited (the setup fee is not); with refunds off, no
/// entry.
#[tokio::test]
async fn an_immediate_cancellation_refunds_the_unused_half() {
    let w = world().await;
    let service = w.service(&w.small, "monthly").await;
    let (start, end) = (w.now(), w.next_renewal(&service).await);
    w.at(half_way(start, end));
    let cancel = w
        .post(&format!("/services/{service}/cancel"), json!({ "when": "immediately" }))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.body["refund"], "5.00");
    assert_eq!(cancel.body["service"]["status"], "terminated");
    assert_eq!(w.entries(&service, "proration").await, ["5.00"]);
    assert_eq!(w.actions(&service, "terminate").await, 1);
    let balance = w.partner.get("/balance").await.body;
    // Order (10.00 + 3.00 setup) less the refund.
    assert_eq!(balance["balance"], "-8.00", "{balance}");
    let again = w
        .post(&format!("/services/{service}/cancel"), json!({ "when": "immediately" }))
        .await;
    assert_eq!((again.status, again.code()), (409, "invalid_transition"));
    // Nothing renews a terminated service.
    w.at(end.plus(time::Duration::hours(1)));
    w.renew_due().await;
    assert!(w.entries(&service, "renewal").await.is_empty());

    let none = world_on(spawn_app_with(|c| c.cancel_refund = CancelRefund::None).await).await;
    let service = none.service(&none.small, "monthly").await;
    let end = none.next_renewal(&service).await;
    none.at(half_way(none.now(), end));
    let cancel = none
        .post(&format!("/services/{service}/cancel"), json!({ "when": "immediately" }))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.body["refund"], "0.00");
    assert!(none.entries(&service, "proration").await.is_empty());
}

/// An upgrade a third of the way through: the preview's lines written to
/// the cent (to the ten-thousandth), the renewal date kept, the module
/// told, and the next renewal charges the new price. Statements show the
/// entries.
#[tokio::test]
async fn an_upgrade_is_prorated_exactly_as_previewed() {
    let w = world().await;
    let service = w.service(&w.small, "monthly").await;
    let (start, end) = (w.now(), w.next_renewal(&service).await);
    let at = Timestamp::from_unix_micros(start.unix_micros() + (end.unix_micros() - start.unix_micros()) / 3).unwrap();
    w.at(at);
    let body = json!({ "product_id": w.large });
    let preview = w
        .post(&format!("/services/{service}/change/preview"), body.clone())
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let p = &preview.body;
    assert_eq!(
        (p["applies"].as_str(), p["admitted"].as_bool()),
        (Some("now"), Some(true)),
        "{p}"
    );
    let period = Period { start, end };
    let credit = prorate(money(SMALL), period, at);
    let charge = prorate(money(LARGE), period, at);
    assert_eq!(p["lines"][0]["kind"], "credit");
    assert_eq!(p["lines"][0]["amount"], credit.to_string());
    assert_eq!(p["lines"][1]["amount"], charge.to_string());
    // Nothing written by the preview.
    assert!(w.entries(&service, "proration").await.is_empty());

    let change = w.post(&format!("/services/{service}/change"), body).await;
    assert_eq!(change.status, 200, "{}", change.body);
    let c = &change.body;
    assert!(c["id"].as_str().unwrap().starts_with("chg_"), "{c}");
    assert_eq!(c["lines"], p["lines"], "the change does what the preview said");
    assert_eq!(c["net"], p["net"]);
    assert_eq!(c["service"]["product_id"], w.large.as_str());
    assert_eq!(c["service"]["recurring_price"], LARGE);
    assert_eq!(w.next_renewal(&service).await, end, "renewal date kept");
    assert_eq!(
        w.entries(&service, "proration").await,
        [credit.to_string(), format!("-{charge}")]
    );
    assert_eq!(w.actions(&service, "change").await, 1);
    assert_eq!(w.events("service.changed").await, 1);
    let tx = w.partner.get("/transactions?kind=proration").await.body;
    assert!(
        tx["data"].as_array().unwrap().iter().all(|e| e["reference"] == c["id"]),
        "{tx}"
    );
    let month = at.datetime();
    let statement = w
        .partner
        .get(&format!(
            "/statements/{:04}-{:02}",
            month.year(),
            u8::from(month.month())
        ))
        .await;
    assert_eq!(statement.status, 200, "{}", statement.body);
    let described: Vec<&str> = statement.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "proration")
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(described.len(), 2, "{}", statement.body);
    assert!(described[0].contains(&service), "{described:?}");

    w.at(end.plus(time::Duration::minutes(1)));
    w.renew_due().await;
    assert_eq!(w.entries(&service, "renewal").await, ["-30.00"]);
}

/// A downgrade and a new term wait for the renewal, which charges the new
/// price (and moves the next renewal by the new term); withdrawn before,
/// nothing changes.
#[tokio::test]
async fn downgrades_and_new_terms_apply_at_the_renewal() {
    let w = world().await;
    let down = w.service(&w.large, "monthly").await;
    let annual = w.service(&w.small, "monthly").await;
    let kept = w.service(&w.large, "monthly").await;
    let end = w.next_renewal(&down).await;

    let preview = w
        .post(
            &format!("/services/{down}/change/preview"),
            json!({ "product_id": w.small }),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["applies"], "at_renewal");
    assert_eq!(preview.body["lines"], json!([]));
    assert_eq!(preview.body["net"], "0.00");
    let scheduled = w
        .post(&format!("/services/{down}/change"), json!({ "product_id": w.small }))
        .await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.body);
    let s = &scheduled.body["service"];
    assert_eq!(s["product_id"], w.large.as_str(), "unchanged until the renewal");
    assert_eq!(s["scheduled_change"]["product_id"], w.small.as_str());
    assert_eq!(s["scheduled_change"]["recurring_price"], SMALL);
    let second = w
        .post(&format!("/services/{down}/change"), json!({ "term": "annual" }))
        .await;
    assert_eq!(
        (second.status, second.code()),
        (409, "invalid_transition"),
        "one waits at a time"
    );
    let term = w
        .post(&format!("/services/{annual}/change"), json!({ "term": "annual" }))
        .await;
    assert_eq!(term.status, 200, "{}", term.body);
    assert_eq!(term.body["applies"], "at_renewal");
    assert_eq!(
        w.post(&format!("/services/{kept}/change"), json!({ "product_id": w.small }))
            .await
            .status,
        200
    );
    let withdrawn = w.delete(&format!("/services/{kept}/change")).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["scheduled_change"], Value::Null);
    assert_eq!(w.delete(&format!("/services/{kept}/change")).await.status, 409);
    assert_eq!(w.events("service.change_scheduled").await, 3);
    assert!(w.entries(&down, "proration").await.is_empty());

    w.at(end.plus(time::Duration::minutes(1)));
    w.renew_due().await;
    assert_eq!(w.entries(&down, "renewal").await, ["-10.00"]);
    let after = w.read(&down).await;
    assert_eq!(
        (after["product_id"].as_str(), after["recurring_price"].as_str()),
        (Some(w.small.as_str()), Some(SMALL))
    );
    assert_eq!(after["scheduled_change"], Value::Null);
    assert_eq!(w.actions(&down, "change").await, 1);
    assert_eq!(w.entries(&annual, "renewal").await, ["-100.00"]);
    let a = w.read(&annual).await;
    assert_eq!(a["term"], "annual");
    assert_eq!(
        w.next_renewal(&annual).await,
        app::terms::next_renewal(end, app::terms::BillingTerm::Annual)
    );
    assert_eq!(w.entries(&kept, "renewal").await, ["-30.00"]);
    assert_eq!(w.read(&kept).await["product_id"], w.large.as_str());
    assert_eq!(w.events("service.changed").await, 2);
}

/// Every refusal answers its code and writes nothing.
#[tokio::test]
async fn refusals_write_nothing() {
    let w = world().await;
    let service = w.service(&w.small, "monthly").await;
    let capped = http_product(&w.admin, "chg-capped").await;
    let hidden = http_product(&w.admin, "chg-hidden").await;
    let r = &w.partner.reseller_id;
    book(
        &w.admin,
        r,
        &capped,
        json!({ "wholesale_monthly": "40.00", "max_quantity": 1 }),
    )
    .await;
    book(
        &w.admin,
        r,
        &hidden,
        json!({ "wholesale_monthly": "40.00", "is_enabled": false }),
    )
    .await;
    w.service(&capped, "monthly").await;
    let suspended = w.service(&w.small, "monthly").await;
    let (status, _) = w.admin.post(&format!("/services/{suspended}/suspend"), json!({})).await;
    assert_eq!(status, 200);
    let terminated = w.service(&w.small, "monthly").await;
    let (status, _) = w
        .admin
        .post(&format!("/services/{terminated}/terminate"), json!({}))
        .await;
    assert_eq!(status, 200);
    let other = w.admin.partner(&w.app, "changes-other@example.com", "orders").await;
    book(
        &w.admin,
        &other.reseller_id,
        &w.small,
        json!({ "wholesale_monthly": SMALL }),
    )
    .await;
    let order = other.order(&order_body("o", &w.small, "monthly", 1)).await;
    let foreign = order.body["service_ids"][0].as_str().unwrap().to_owned();

    let change = |id: &str| format!("/services/{id}/change");
    let cases: Vec<(String, Value, u16, &str)> = vec![
        (change(&service), json!({ "term": "quarterly" }), 422, "term_not_priced"),
        (
            change(&service),
            json!({ "product_id": hidden }),
            422,
            "product_not_available",
        ),
        (
            change(&service),
            json!({ "product_id": capped }),
            422,
            "quantity_limit_exceeded",
        ),
        (
            change(&service),
            json!({ "product_id": w.small }),
            422,
            "validation_failed",
        ),
        (change(&service), json!({}), 422, "validation_failed"),
        (change(&service), json!({ "term": "weekly" }), 422, "validation_failed"),
        (
            change(&suspended),
            json!({ "product_id": w.large }),
            409,
            "invalid_transition",
        ),
        (
            change(&terminated),
            json!({ "product_id": w.large }),
            409,
            "invalid_transition",
        ),
        (change(&foreign), json!({ "product_id": w.large }), 404, "not_found"),
        (
            format!("/services/{foreign}/change/preview"),
            json!({ "product_id": w.large }),
            404,
            "not_found",
        ),
        (format!("/services/{foreign}/cancel"), json!({}), 404, "not_found"),
        (
            format!("/services/{terminated}/cancel"),
            json!({}),
            409,
            "invalid_transition",
        ),
        (
            format!("/services/{service}/cancel"),
            json!({ "when": "later" }),
            422,
            "validation_failed",
        ),
        (
            format!("/services/{service}/cancel"),
            json!({ "reason": "x".repeat(501) }),
            422,
            "validation_failed",
        ),
        ("/services/svc_nope/cancel".to_owned(), json!({}), 404, "not_found"),
    ];
    let before = w.footprint().await;
    for (path, body, status, code) in &cases {
        let answer = w.post(path, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (*status, *code),
            "{path} {body}: {}",
            answer.body
        );
    }
    for path in [
        format!("/services/{foreign}/cancel"),
        format!("/services/{foreign}/change"),
    ] {
        let answer = w.delete(&path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
    }
    assert_eq!(w.footprint().await, before);

    // A prepaid account without the funds for the net: 402 from the
    // change, `admitted: false` from the preview, nothing written.
    let (status, body) = w
        .admin
        .patch(&format!("/resellers/{r}"), json!({ "credit_limit": "0.00" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let preview = w
        .post(
            &format!("/services/{service}/change/preview"),
            json!({ "product_id": w.large }),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["admitted"], false);
    let refused = w.post(&change(&service), json!({ "product_id": w.large })).await;
    assert_eq!(
        (refused.status, refused.code()),
        (402, "insufficient_funds"),
        "{}",
        refused.body
    );
    assert_eq!(w.footprint().await, before);
    // A read-only key may not change anything.
    let reader = w.admin.partner_for(&w.app, r, "read").await;
    let answer = reader
        .signed("POST", &change(&service), Some(&json!({ "product_id": w.large })))
        .await;
    assert_eq!((answer.status, answer.code()), (403, "insufficient_scope"));
}

/// Idempotent like orders: the same key and body replays the first answer
/// (nothing applied twice); the same key on another service is refused.
#[tokio::test]
async fn changes_and_cancellations_are_idempotent() {
    let w = world().await;
    let a = w.service(&w.small, "monthly").await;
    let b = w.service(&w.small, "monthly").await;
    let body = json!({ "product_id": w.large });
    let first = w
        .partner
        .signed_with_key("POST", &format!("/services/{a}/change"), Some(&body), "chg-1")
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = w
        .partner
        .signed_with_key("POST", &format!("/services/{a}/change"), Some(&body), "chg-1")
        .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.body, first.body);
    assert_eq!(w.entries(&a, "proration").await.len(), 2, "applied once");
    let elsewhere = w
        .partner
        .signed_with_key("POST", &format!("/services/{b}/change"), Some(&body), "chg-1")
        .await;
    assert_eq!(elsewhere.code(), "idempotency_key_reused", "{}", elsewhere.body);
    let unsigned = w
        .partner
        .send(
            "POST",
            &format!("/services/{b}/cancel"),
            Some("{}"),
            false,
            &[("Idempotency-Key", "u-1".to_owned())],
        )
        .await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.body);
    let keyless = w
        .partner
        .send("POST", &format!("/services/{b}/cancel"), Some("{}"), true, &[])
        .await;
    assert_eq!(keyless.status, 400, "{}", keyless.body);
    assert_eq!(w.read(&b).await["cancel_at"], Value::Null);
}

/// Twenty concurrent upgrades of one service under different keys: one
/// applies, the others find nothing left to change.
#[tokio::test]
async fn concurrent_upgrades_apply_once() {
    let w = world().await;
    let service = w.service(&w.small, "monthly").await;
    let body = json!({ "product_id": w.large });
    let path = format!("/services/{service}/change");
    let answers = futures::future::join_all((0..20).map(|_| w.partner.signed("POST", &path, Some(&body)))).await;
    let applied = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        applied,
        1,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.code().to_owned()))
            .collect::<Vec<_>>()
    );
    assert!(
        answers
            .iter()
            .all(|a| a.status == 200 || a.code() == "validation_failed" || a.status == 409)
    );
    assert_eq!(w.entries(&service, "proration").await.len(), 2);
    assert_eq!(w.actions(&service, "change").await, 1);
}

/// A cancellation racing the renewal job: either renewed and then
/// cancelled at the new end, or not renewed and terminated; never charged
/// and terminated.
#[tokio::test]
async fn a_cancellation_racing_the_renewal_is_never_charged_and_ended() {
    let w = world().await;
    let mut services = Vec::new();
    for _ in 0..4 {
        services.push(w.service(&w.small, "monthly").await);
    }
    let end = w.next_renewal(&services[0]).await;
    w.at(end.plus(time::Duration::seconds(1)));
    let paths: Vec<String> = services.iter().map(|s| format!("/services/{s}/cancel")).collect();
    let cancels = futures::future::join_all(paths.iter().map(|p| w.post(p, json!({}))));
    let (answers, renewed) = tokio::join!(cancels, app::services::service::renew_due(&w.app.store, w.now()));
    renewed.unwrap();
    w.renew_due().await;
    for (service, answer) in services.iter().zip(&answers) {
        let charged = w.entries(service, "renewal").await.len();
        let s = w.read(service).await;
        match charged {
            1 => {
                // Renewed first: the cancellation waits for the new end.
                assert_eq!(answer.status, 200, "{}", answer.body);
                assert_eq!(s["status"], "active", "{s}");
                assert_eq!(s["cancel_at"], s["next_renewal_at"], "{s}");
            }
            0 => {
                // Cancelled first: its end had come, so it ended at once.
                assert_eq!(s["status"], "terminated", "{s}");
            }
            n => panic!("{service} charged {n} times"),
        }
    }
}

/// A tiny deterministic generator (the walk is reproducible from its seed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the walk expects of one service.
struct Expected {
    id: String,
    price: Money,
    /// The price its next renewal charges (a scheduled change's).
    next_price: Money,
    ended: bool,
    /// Its cancellation at the end of the term is scheduled.
    ending: bool,
    /// Every renewal and proration amount it should have, in order.
    amounts: Vec<String>,
}

/// Random orders, upgrades, downgrades, cancellations, renewals and
/// payments over simulated months: the balance is always the sum of the
/// entries, and each service's charges are what its price history says.
#[tokio::test]
async fn a_random_walk_keeps_the_ledger_true_to_the_price_history() {
    let w = world().await;
    let mut rng = Lcg(0x5eed_2026);
    let mut services: Vec<Expected> = Vec::new();
    let mut paid = Money::ZERO;
    for _ in 0..40 {
        match rng.below(6) {
            0 | 1 if services.iter().filter(|s| !s.ended).count() < 6 => {
                let (product, price) = if rng.below(2) == 0 {
                    (&w.small, SMALL)
                } else {
                    (&w.large, LARGE)
                };
                let id = w.service(product, "monthly").await;
                services.push(Expected {
                    id,
                    price: money(price),
                    next_price: money(price),
                    ended: false,
                    ending: false,
                    amounts: Vec::new(),
                });
            }
            2 => {
                let Some(s) = services.iter_mut().filter(|s| !s.ended).nth(rng.below(3) as usize) else {
                    continue;
                };
                let current = w.read(&s.id).await;
                let target = if current["product_id"] == w.small.as_str() {
                    &w.large
                } else {
                    &w.small
                };
                let path = format!("/services/{}/change", s.id);
                let preview = w
                    .post(&format!("{path}/preview"), json!({ "product_id": target }))
                    .await;
                let change = w.post(&path, json!({ "product_id": target })).await;
                if change.status != 200 {
                    assert_eq!(change.code(), "invalid_transition", "{}", change.body);
                    continue;
                }
                assert_eq!(change.body["lines"], preview.body["lines"]);
                let new_price = money(change.body["recurring_price"].as_str().unwrap());
                if change.body["applies"] == "now" {
                    for line in change.body["lines"].as_array().unwrap() {
                        let amount = line["amount"].as_str().unwrap();
                        let signed = if line["kind"] == "charge" {
                            format!("-{amount}")
                        } else {
                            amount.to_owned()
                        };
                        if money(amount) != Money::ZERO {
                            s.amounts.push(signed);
                        }
                    }
                    s.price = new_price;
                }
                s.next_price = new_price;
            }
            3 => {
                let Some(s) = services.iter_mut().filter(|s| !s.ended).nth(rng.below(3) as usize) else {
                    continue;
                };
                let when = if rng.below(2) == 0 {
                    "immediately"
                } else {
                    "end_of_term"
                };
                let cancel = w
                    .post(&format!("/services/{}/cancel", s.id), json!({ "when": when }))
                    .await;
                if cancel.status != 200 {
                    assert_eq!(cancel.code(), "invalid_transition", "{}", cancel.body);
                    continue;
                }
                let refund = cancel.body["refund"].as_str().unwrap();
                if money(refund) != Money::ZERO {
                    s.amounts.push(refund.to_owned());
                }
                s.ended = cancel.body["service"]["status"] == "terminated";
                s.ending = !s.ended;
            }
            4 => {
                let amount = format!("{}.00", 5 + rng.below(40));
                let (status, body) = w
                    .admin
                    .post(
                        &format!("/resellers/{}/payments", w.partner.reseller_id),
                        json!({ "amount": amount, "reference": "walk" }),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
                paid = paid + money(&amount);
            }
            _ => {
                // Days pass; whatever is due renews (or ends).
                w.at(w.now().plus(time::Duration::days(3 + rng.below(20) as i64)));
                let due: Vec<(usize, Value)> = futures::future::join_all(services.iter().map(|s| w.read(&s.id)))
                    .await
                    .into_iter()
                    .enumerate()
                    .collect();
                w.renew_due().await;
                for (i, before) in due {
                    let s = &mut services[i];
                    let after = w.read(&s.id).await;
                    let due = Timestamp::parse_rfc3339(before["next_renewal_at"].as_str().unwrap()).unwrap() <= w.now();
                    if s.ending && due {
                        // Its term is over: ended, never renewed.
                        assert_eq!(after["status"], "terminated", "{after}");
                    }
                    if before["status"] == "active" && after["status"] == "terminated" {
                        s.ended = true;
                    }
                    let renewed = before["next_renewal_at"] != after["next_renewal_at"] && !s.ended;
                    if renewed {
                        s.price = s.next_price;
                        s.amounts.push(format!("-{}", s.price));
                    }
                }
            }
        }
    }
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = w.partner.get(&format!("/transactions?limit=200{cursor}")).await.body;
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let sum = entries.iter().fold(rust_decimal::Decimal::ZERO, |acc, e| {
        acc + e["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()
    });
    let balance: rust_decimal::Decimal = w.partner.get("/balance").await.body["balance"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(balance, sum, "the balance is the sum of the entries");
    let payments = entries
        .iter()
        .filter(|e| e["kind"] == "payment")
        .fold(Money::ZERO, |acc, e| acc + money(e["amount"].as_str().unwrap()));
    assert_eq!(payments, paid);
    for s in &services {
        let mut amounts: Vec<String> = entries
            .iter()
            .rev()
            .filter(|e| e["service_id"] == s.id.as_str() && (e["kind"] == "renewal" || e["kind"] == "proration"))
            .map(|e| e["amount"].as_str().unwrap().to_owned())
            .collect();
        amounts.iter_mut().for_each(|a| *a = normalise(a));
        let expected: Vec<String> = s.amounts.iter().map(|a| normalise(a)).collect();
        assert_eq!(amounts, expected, "{}", s.id);
    }
}

fn normalise(amount: &str) -> String {
    amount.parse::<rust_decimal::Decimal>().unwrap().normalize().to_string()
}

/// The service page's server functions: a client acts on its own
/// reseller's services only (another's is not found), the operator on any
/// reseller's, on its behalf; both are audited with who they were.
#[tokio::test]
async fn the_service_page_acts_for_its_reseller_and_for_the_operator() {
    use app::changes::server_fns::{CancelService, ChangeChoices, PreviewServiceChange, WithdrawServiceCancellation};
    let app = spawn_app().await;
    let (client, reseller) = app.active_client("page-a@example.com").await;
    let (stranger, _) = app.active_client("page-b@example.com").await;
    app.operator("ops-page@example.com").await;
    let operator = app.signed_in("admin", "ops-page@example.com").await;
    let admin = app.admin().await;
    let small = http_product(&admin, "page-small").await;
    let large = http_product(&admin, "page-large").await;
    book(&admin, &reseller, &small, json!({ "wholesale_monthly": SMALL })).await;
    book(&admin, &reseller, &large, json!({ "wholesale_monthly": LARGE })).await;
    let partner = admin.partner_for(&app, &reseller, "orders").await;
    let order = partner.order(&order_body("page", &small, "monthly", 1)).await;
    let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
    let (status, _) = admin.post(&format!("/services/{service}/activate"), json!({})).await;
    assert_eq!(status, 200);
    let form = [("service_id", service.as_str())];

    for response in [
        app.call::<ChangeChoices>(&stranger, &form).await,
        app.call::<CancelService>(&stranger, &[("service_id", &service), ("when", "immediately")])
            .await,
    ] {
        assert_eq!(crate::helpers::error_code(response).await, (404, "not_found".into()));
    }
    let choices: Value = app.call::<ChangeChoices>(&client, &form).await.json().await.unwrap();
    assert_eq!(
        choices["products"][0]["id"],
        small.as_str(),
        "its own product first: {choices}"
    );
    assert_eq!(choices["products"].as_array().unwrap().len(), 2);
    let preview = app
        .call::<PreviewServiceChange>(
            &client,
            &[("service_id", &service), ("product_id", &large), ("term", "")],
        )
        .await;
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.unwrap();
    assert_eq!(preview["applies"], "now", "{preview}");
    let bad = app
        .call::<CancelService>(&client, &[("service_id", &service), ("when", "someday")])
        .await;
    assert_eq!(crate::helpers::error_code(bad).await, (422, "validation_failed".into()));
    let cancelled = app
        .call::<CancelService>(
            &client,
            &[("service_id", &service), ("when", "end_of_term"), ("reason", "done")],
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    let withdrawn = app.call::<WithdrawServiceCancellation>(&operator, &form).await;
    assert_eq!(withdrawn.status(), 200);
    let audit = |action: &str, actor: &str| {
        format!(
            "SELECT COUNT(*) FROM operator_audit_log WHERE action = '{action}' AND subject_id = '{service}' AND actor_name = '{actor}'"
        )
    };
    assert_eq!(
        count(&app.store, &audit("service.cancel", "page-a@example.com")).await,
        1
    );
    assert_eq!(
        count(
            &app.store,
            &audit("service.cancellation_withdrawn", "ops-page@example.com")
        )
        .await,
        1
    );
    assert_eq!(
        partner.get(&format!("/services/{service}")).await.body["cancel_at"],
        Value::Null
    );
}

/// The admin API does the same on the reseller's behalf, audited as the
/// operator's token.
#[tokio::test]
async fn the_operator_changes_and_cancels_through_the_admin_api() {
    let w = world().await;
    let up = w.service(&w.small, "monthly").await;
    let down = w.service(&w.large, "monthly").await;
    let admin = &w.admin;
    let (status, preview) = admin
        .post(
            &format!("/services/{up}/change/preview"),
            json!({ "product_id": w.large }),
        )
        .await;
    assert_eq!((status, preview["applies"].as_str()), (200, Some("now")), "{preview}");
    let (status, change) = admin
        .post(&format!("/services/{up}/change"), json!({ "product_id": w.large }))
        .await;
    assert_eq!(status, 200, "{change}");
    assert_eq!(change["lines"], preview["lines"]);
    let (status, scheduled) = admin
        .post(&format!("/services/{down}/change"), json!({ "product_id": w.small }))
        .await;
    assert_eq!(
        (status, scheduled["applies"].as_str()),
        (200, Some("at_renewal")),
        "{scheduled}"
    );
    let (status, body) = admin.delete(&format!("/services/{down}/change")).await;
    assert_eq!(status, 200, "{body}");
    let (status, cancelled) = admin
        .post(
            &format!("/services/{down}/cancel"),
            json!({ "when": "immediately", "reason": "abuse" }),
        )
        .await;
    assert_eq!(
        (status, cancelled["service"]["status"].as_str()),
        (200, Some("terminated")),
        "{cancelled}"
    );
    let (status, body) = admin.post(&format!("/services/{down}/cancel"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition")),
        "{body}"
    );
    let (status, _) = admin
        .post("/services/svc_01jd8x2m3n4p5q6r7s8t9v0w1x/cancel", json!({}))
        .await;
    assert_eq!(status, 404);
    let audited = format!(
        "SELECT COUNT(*) FROM operator_audit_log WHERE subject_id IN ('{up}', '{down}') AND actor_kind = 'admin_token' AND action LIKE 'service.c%'"
    );
    assert_eq!(
        count(&w.app.store, &audited).await,
        4,
        "change, change, withdrawal, cancellation"
    );
}
