//! The partner API's HTTP contract beyond single endpoints: signatures over
//! a query string, the timestamp window, idempotency keys per reseller and
//! in flight between two real requests, the RateLimit fields on every
//! answer and the problem document's fields.

use crate::helpers::{Admin, PartnerClient, PartnerResponse, TestApp, count, eventually, order_body, spawn_app};
use app::{ids::ResellerId, store::Store};
use serde_json::json;

/// An app, its admin, an orders-scoped partner and a product it may order
/// monthly (19.99, at most 10).
async fn setup() -> (TestApp, Admin, PartnerClient, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "http@example.com", "orders").await;
    let product = priced(&admin, &partner, "vps-http").await;
    (app, admin, partner, product)
}

async fn priced(admin: &Admin, partner: &PartnerClient, slug: &str) -> String {
    let product = admin.product(slug, Some("25.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            json!({ "wholesale_monthly": "19.99", "max_quantity": 10 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    product
}

/// An order signed at `now + offset` seconds.
async fn order_signed_at(partner: &PartnerClient, product: &str, offset: i64) -> PartnerResponse {
    let ts = time::OffsetDateTime::now_utc().unix_timestamp() + offset;
    let body = order_body(&format!("skew{offset}"), product, "monthly", 1).to_string();
    let key = format!("skew{offset}");
    let signature = partner.signature(ts, "POST", "/api/v1/orders", &key, &body);
    let headers = [
        ("Idempotency-Key", key),
        ("Flux-Timestamp", ts.to_string()),
        ("Flux-Signature", signature),
    ];
    partner.send("POST", "/orders", Some(&body), false, &headers).await
}

/// A signed GET covers its query string: the same query verifies, another
/// query under that signature does not.
#[tokio::test]
async fn a_signed_get_covers_its_query_string() {
    let (_app, _admin, partner, product) = setup().await;
    assert_eq!(
        partner.order(&order_body("q-1", &product, "monthly", 2)).await.status,
        201
    );
    let listed = partner
        .send("GET", "/services?status=pending&limit=1", None, true, &[])
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        1,
        "the query was applied"
    );
    assert!(listed.body["next_cursor"].is_string(), "{}", listed.body);

    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed_for = partner.signature(ts, "GET", "/api/v1/services?status=pending&limit=1", "", "");
    let headers = [("Flux-Timestamp", ts.to_string()), ("Flux-Signature", signed_for)];
    let other = partner
        .send("GET", "/services?status=pending&limit=2", None, false, &headers)
        .await;
    assert_eq!(
        (other.status, other.code()),
        (401, "invalid_signature"),
        "{}",
        other.body
    );
}

/// Timestamps within 300 s either way are accepted; beyond, refused
/// (the exact edges, ±300 and ±301, are the unit tests' in `signature.rs`;
/// over HTTP a second may tick between signing and checking).
#[tokio::test]
async fn timestamps_within_five_minutes_either_way_are_accepted() {
    let (app, _admin, partner, product) = setup().await;
    for offset in [-299, 300] {
        let r = order_signed_at(&partner, &product, offset).await;
        assert_eq!(r.status, 201, "{offset} s: {}", r.body);
    }
    for offset in [-301, 302, 86_400] {
        let r = order_signed_at(&partner, &product, offset).await;
        assert_eq!((r.status, r.code()), (401, "timestamp_out_of_range"), "{offset} s");
    }
    assert_eq!(count(&app.store, "SELECT COUNT(*) FROM orders").await, 2);
}

/// An idempotency key is the reseller's own: another reseller using the
/// same key with another body places its own order, not a replay or a
/// mismatch.
#[tokio::test]
async fn idempotency_keys_are_scoped_per_reseller() {
    let (app, admin, a, product_a) = setup().await;
    let b = admin.partner(&app, "http-b@example.com", "orders").await;
    let product_b = priced(&admin, &b, "vps-http-b").await;
    let first = a
        .order_with_key(&order_body("a-1", &product_a, "monthly", 1), "shared-key")
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = b
        .order_with_key(&order_body("b-1", &product_b, "monthly", 3), "shared-key")
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert!(second.headers.get("idempotent-replayed").is_none(), "not a replay");
    assert_ne!(first.body["id"], second.body["id"]);
    assert_eq!(second.body["service_ids"].as_array().unwrap().len(), 3);
    // Each one's key still replays its own order.
    let again = b
        .order_with_key(&order_body("b-1", &product_b, "monthly", 3), "shared-key")
        .await;
    assert_eq!(again.body["id"], second.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
}

/// Keeps the orders table from being written until released: on
/// PostgreSQL a SHARE lock, on SQLite the database's write lock.
enum Blocker {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl Blocker {
    async fn hold(store: &Store) -> Blocker {
        if let Some(pool) = store.postgres_pool() {
            let mut tx = pool.begin().await.unwrap();
            sqlx::raw_sql("LOCK TABLE orders IN SHARE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            Blocker::Postgres(tx)
        } else {
            let mut conn = store.sqlite_pool().unwrap().acquire().await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await.unwrap();
            Blocker::Sqlite(conn)
        }
    }

    async fn release(self) {
        match self {
            Blocker::Postgres(tx) => tx.rollback().await.unwrap(),
            Blocker::Sqlite(mut conn) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
            }
        }
    }
}

/// Whether a request holds the claim on `key` (is in flight with it). On
/// PostgreSQL the claim is an advisory lock, seen in `pg_locks` (this
/// test's database only); on SQLite a probe tries to take the in-process
/// claim and gives it back at once.
async fn claimed(store: &Store, reseller: &ResellerId, key: &str) -> bool {
    if let Some(pool) = store.postgres_pool() {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        return held > 0;
    }
    match store.hold_idempotency_claim(reseller, key).await.unwrap() {
        Some(probe) => {
            probe.release().await.unwrap();
            false
        }
        None => true,
    }
}

/// Two real requests under one key: while the first is being placed (held
/// up by a lock on the orders table), the second is answered 409
/// `idempotency_key_in_flight` at once and writes nothing; once the first
/// is placed, the same request is its replay.
#[tokio::test]
async fn a_second_request_while_the_first_is_in_flight_is_a_conflict() {
    let (app, _admin, partner, product) = setup().await;
    // The key's use is recorded now: the requests below write nothing
    // before they claim their idempotency key.
    assert_eq!(partner.get("/me").await.status, 200);
    let reseller = ResellerId::parse(&partner.reseller_id).unwrap();
    let body = order_body("inflight", &product, "monthly", 1);
    // On SQLite the probe holds the claim for an instant: a first request
    // arriving in that instant is itself "in flight"; then try another key.
    for attempt in 0..5 {
        let key = format!("in-flight-{attempt}");
        let blocker = Blocker::hold(&app.store).await;
        let first = tokio::spawn({
            let (partner, body, key) = (partner.clone(), body.clone(), key.clone());
            async move { partner.order_with_key(&body, &key).await }
        });
        let holding = eventually(8, || async {
            (first.is_finished() || claimed(&app.store, &reseller, &key).await).then_some(())
        })
        .await;
        assert!(holding.is_some(), "the first request never claimed its key");
        if first.is_finished() {
            blocker.release().await;
            let early = first.await.unwrap();
            assert_eq!(early.code(), "idempotency_key_in_flight", "{}", early.body);
            continue;
        }
        let second = partner.order_with_key(&body, &key).await;
        assert_eq!(
            (second.status, second.code()),
            (409, "idempotency_key_in_flight"),
            "{}",
            second.body
        );
        assert_eq!(second.headers["retry-after"], "1");
        blocker.release().await;
        let first = first.await.unwrap();
        assert_eq!(first.status, 201, "{}", first.body);
        let replay = partner.order_with_key(&body, &key).await;
        assert_eq!(replay.headers["idempotent-replayed"], "true");
        assert_eq!(replay.body["id"], first.body["id"]);
        assert_eq!(count(&app.store, "SELECT COUNT(*) FROM orders").await, 1);
        return;
    }
    panic!("every attempt collided with the probe");
}

/// Every answer past authentication carries the RateLimit fields: a 201,
/// a 422 and a 404 alike.
#[tokio::test]
async fn rate_limit_fields_are_on_every_answer() {
    let (_app, _admin, partner, product) = setup().await;
    let placed = partner.order(&order_body("rl-1", &product, "monthly", 1)).await;
    let refused = partner.order(&order_body("rl-2", &product, "monthly", 11)).await;
    let missing = partner.get("/orders/ord_01jd8x2m3n4p5q6r7s8t9v0w1x").await;
    let mut remaining = Vec::new();
    for (r, status) in [(&placed, 201), (&refused, 422), (&missing, 404)] {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.headers["ratelimit-policy"], "\"reseller\";q=1000;w=60", "{status}");
        let fields = r.headers["ratelimit"].to_str().unwrap().to_owned();
        let left: u32 = fields
            .split(';')
            .find_map(|f| f.strip_prefix("r="))
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("{status}: {fields}"));
        remaining.push(left);
    }
    assert!(
        remaining.windows(2).all(|w| w[1] < w[0]),
        "each answer counted: {remaining:?}"
    );
}

/// A refusal is a problem document: its `type` names its code, `title`
/// is the code's short title, `status` the HTTP status, `detail` says
/// what to do.
#[tokio::test]
async fn refusals_are_problem_documents_with_type_and_title() {
    let (_app, _admin, partner, product) = setup().await;
    let over = partner.order(&order_body("p-1", &product, "monthly", 11)).await;
    let unsigned = partner.unsigned_order("p-2").await;
    for (r, status, code) in [
        (&over, 422, "quantity_limit_exceeded"),
        (&unsigned, 401, "invalid_signature"),
    ] {
        assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert_eq!(r.body["type"], format!("https://fluxbilling.dev/problems/{code}"));
        assert_eq!(r.body["status"], status);
        let title = r.body["title"].as_str().unwrap();
        let detail = r.body["detail"].as_str().unwrap();
        assert!(!title.is_empty() && title != detail, "{}", r.body);
        assert!(!detail.is_empty());
    }
    assert_ne!(over.body["title"], unsigned.body["title"], "a title per code");
}
