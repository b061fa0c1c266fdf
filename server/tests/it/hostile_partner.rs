//! Hostile and careless partners (DESIGN.md "Hostile input and limits"):
//! unauthenticated floods, replayed signatures, extreme timestamps, huge
//! orders, amounts beyond storage, stale caches, bad paths and methods,
//! through the partner and admin APIs.

use crate::helpers::{Admin, PartnerClient, TestApp, count, order_body, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn priced(admin: &Admin, partner: &PartnerClient, slug: &str, row: Value) -> String {
    let product = admin.product(slug, Some("25.00"), None).await;
    let (status, body) = admin
        .put(&format!("/resellers/{}/products/{product}", partner.reseller_id), row)
        .await;
    assert_eq!(status, 200, "{body}");
    product
}

async fn setup_with(configure: impl FnOnce(&mut server::config::Config)) -> (TestApp, Admin, PartnerClient, String) {
    let app = spawn_app_with(configure).await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "partner@example.com", "orders").await;
    let product = priced(&admin, &partner, "vps-h", json!({ "wholesale_monthly": "10.00" })).await;
    (app, admin, partner, product)
}

async fn orders_of(partner: &PartnerClient) -> usize {
    let r = partner.get("/orders?limit=200").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().len()
}

/// Failed authentication is limited per client address, without a
/// look-up once the address is over; a key that works is not held up.
#[tokio::test]
async fn failed_authentication_is_limited_per_address() {
    let (app, _admin, partner, _) = setup_with(|c| c.auth_failures_per_minute = 5).await;
    // Valid requests do not count against the address.
    for _ in 0..10 {
        assert_eq!(partner.get("/me").await.status, 200);
    }
    let stranger = partner.with_key("flux_key_0000000000000000000000000000000000000000000");
    for i in 0..5 {
        let r = stranger.get("/me").await;
        assert_eq!((r.status, r.code()), (401, "unauthenticated"), "failure {i}");
    }
    let r = stranger.get("/me").await;
    assert_eq!((r.status, r.code()), (429, "rate_limited"));
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let anonymous = reqwest::get(app.url("/api/v1/products")).await.unwrap();
    assert_eq!(anonymous.status(), 429, "no key at all, same address");
    assert_eq!(partner.get("/me").await.status, 200, "the working key still works");
}

/// The log keeps at most 2 KiB of a request's path and query.
#[tokio::test]
async fn the_log_caps_long_paths() {
    let (app, admin, partner, _) = setup_with(|_| {}).await;
    let long = format!("/orders?customer_id={}", "x".repeat(6000));
    let r = partner.get(&long).await;
    assert_eq!(r.status, 422, "{}", r.body);
    app.api_log.flush().await;
    let (status, logs) = admin
        .get(&format!("/api-logs?reseller_id={}&limit=10", partner.reseller_id))
        .await;
    assert_eq!(status, 200, "{logs}");
    let paths: Vec<&str> = logs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    let logged = paths
        .iter()
        .find(|p| p.contains("customer_id="))
        .expect("the request was logged");
    assert!(logged.len() <= 2048, "{} bytes logged", logged.len());
    assert!(logged.ends_with('…'));
}

/// Request lines and headers over the limits: 414 / 431.
#[tokio::test]
async fn oversized_request_lines_and_headers_are_refused() {
    let (app, _admin, partner, _) = setup_with(|_| {}).await;
    let client = reqwest::Client::new();
    let r = client
        .get(app.url(&format!("/api/v1/products?q={}", "a".repeat(9000))))
        .bearer_auth(&partner.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 414);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "uri_too_long");
    let r = client
        .get(app.url("/api/v1/products"))
        .bearer_auth(&partner.key)
        .header("x-padding", "b".repeat(20_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "headers_too_large");
    // Far beyond: hyper refuses before the router sees anything.
    let r = client
        .get(app.url("/healthz"))
        .header("x-padding", "c".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
}

/// At most `FLUX_MAX_UNITS_PER_ORDER` units in an order.
#[tokio::test]
async fn orders_over_the_unit_cap_are_refused_and_write_nothing() {
    let (app, _admin, partner, product) = setup_with(|_| {}).await;
    let two_lines = json!({
        "customer": { "external_id": "big" },
        "lines": [
            { "product_id": product, "term": "monthly", "quantity": 60 },
            { "product_id": product, "term": "monthly", "quantity": 41 }
        ]
    });
    let r = partner.order(&two_lines).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "{}", r.body);
    assert_eq!(r.body["field"], "lines");
    let lines: Vec<Value> = (0..50)
        .map(|_| json!({ "product_id": product, "term": "monthly", "quantity": 1000 }))
        .collect();
    let huge = partner
        .order(&json!({ "customer": { "external_id": "big" }, "lines": lines }))
        .await;
    assert_eq!((huge.status, huge.code()), (422, "validation_failed"));
    assert_eq!(orders_of(&partner).await, 0);
    assert_eq!(count(&app.store, "SELECT COUNT(*) FROM services").await, 0);
    // 51 lines of one unit each: refused for its lines, not its units.
    let line = json!({ "product_id": product, "term": "monthly", "quantity": 1 });
    let many = partner
        .order(&json!({ "customer": { "external_id": "many" }, "lines": vec![line.clone(); 51] }))
        .await;
    assert_eq!((many.status, many.code()), (422, "validation_failed"), "{}", many.body);
    assert_eq!(many.body["field"], "lines");
    assert!(
        many.body["detail"].as_str().unwrap().contains("50 lines"),
        "{}",
        many.body
    );
    assert_eq!(orders_of(&partner).await, 0);
    // 50 lines is fine.
    let fifty = partner
        .order(&json!({ "customer": { "external_id": "fifty" }, "lines": vec![line; 50] }))
        .await;
    assert_eq!(fifty.status, 201, "{}", fifty.body);
    assert_eq!(fifty.body["lines"].as_array().unwrap().len(), 50);
    // At the unit cap is fine.
    let r = partner.order(&order_body("ok", &product, "monthly", 100)).await;
    assert_eq!(r.status, 201, "{}", r.body);

    let small = spawn_app_with(|c| c.max_units_per_order = 3).await;
    let admin = small.admin().await;
    let partner = admin.partner(&small, "p@example.com", "orders").await;
    let product = priced(&admin, &partner, "vps-s", json!({ "wholesale_monthly": "1.00" })).await;
    let r = partner.order(&order_body("c", &product, "monthly", 4)).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "the setting applies");
}

/// Two identical orders (same product, customer, quantity) under two
/// keys in the same second are two orders: the signature covers the
/// Idempotency-Key, so each request carries its own.
#[tokio::test]
async fn identical_orders_under_two_keys_in_one_second_are_two_orders() {
    let (_app, _admin, partner, product) = setup_with(|_| {}).await;
    let body = order_body("c-same", &product, "monthly", 1);
    let first = partner.order_with_key(&body, "same-1").await;
    let second = partner.order_with_key(&body, "same-2").await;
    assert_eq!(
        (first.status, second.status),
        (201, 201),
        "{} {}",
        first.body,
        second.body
    );
    assert_ne!(first.body["id"], second.body["id"]);
    assert_eq!(orders_of(&partner).await, 2);
}

/// A captured request cannot be carried over to another key: the same
/// signature under another Idempotency-Key does not verify and changes
/// nothing; the exact retry replays the first answer.
#[tokio::test]
async fn a_signature_does_not_verify_under_another_key() {
    let (_app, _admin, partner, product) = setup_with(|_| {}).await;
    let body = order_body("c-1", &product, "monthly", 1).to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = partner.signature(ts, "POST", "/api/v1/orders", "key-1", &body);
    let send = |key: &'static str| {
        let (body, signature) = (body.clone(), signature.clone());
        let partner = &partner;
        async move {
            partner
                .send(
                    "POST",
                    "/orders",
                    Some(&body),
                    false,
                    &[
                        ("Idempotency-Key", key.into()),
                        ("Flux-Timestamp", ts.to_string()),
                        ("Flux-Signature", signature),
                    ],
                )
                .await
        }
    };
    let first = send("key-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let replayed = send("key-2").await;
    assert_eq!(
        (replayed.status, replayed.code()),
        (401, "invalid_signature"),
        "{}",
        replayed.body
    );
    assert_eq!(orders_of(&partner).await, 1);
    let retry = send("key-1").await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, first.body);
}

/// Racing: ten copies of one signed request under ten keys at once place
/// one order (the key it was signed with); the others do not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_copies_of_one_signature_place_one_order() {
    let (_app, _admin, partner, product) = setup_with(|_| {}).await;
    let partner = std::sync::Arc::new(partner);
    let body = order_body("c-r", &product, "monthly", 1).to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = partner.signature(ts, "POST", "/api/v1/orders", "race-0", &body);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (partner, body, signature) = (partner.clone(), body.clone(), signature.clone());
        tasks.push(tokio::spawn(async move {
            partner
                .send(
                    "POST",
                    "/orders",
                    Some(&body),
                    false,
                    &[
                        ("Idempotency-Key", format!("race-{i}")),
                        ("Flux-Timestamp", ts.to_string()),
                        ("Flux-Signature", signature),
                    ],
                )
                .await
        }));
    }
    let mut placed = 0;
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            201 => placed += 1,
            _ => assert_eq!((r.status, r.code()), (401, "invalid_signature"), "{}", r.body),
        }
    }
    assert_eq!(placed, 1);
    assert_eq!(orders_of(&partner).await, 1);
}

/// A signature header carries at most four `v2` candidates of 64 hex
/// digits (one HMAC is computed however many there are): a fifth, or a
/// malformed one, is refused before anything is written; four with one
/// right verify.
#[tokio::test]
async fn signature_headers_carry_at_most_four_well_formed_candidates() {
    let (_app, _admin, partner, product) = setup_with(|_| {}).await;
    let body = order_body("c-c", &product, "monthly", 1).to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let wrong = format!("v2={}", "ab".repeat(32));
    let send = |key: String, header: String| {
        let body = body.clone();
        let partner = &partner;
        async move {
            let headers = [
                ("Idempotency-Key", key),
                ("Flux-Timestamp", ts.to_string()),
                ("Flux-Signature", header),
            ];
            partner.send("POST", "/orders", Some(&body), false, &headers).await
        }
    };
    let right = |key: &str| partner.signature(ts, "POST", "/api/v1/orders", key, &body);
    let five = format!("{wrong},{wrong},{wrong},{wrong},{}", right("k5"));
    let r = send("k5".into(), five).await;
    assert_eq!((r.status, r.code()), (401, "invalid_signature"), "{}", r.body);
    let many = vec![wrong.clone(); 230].join(",");
    let r = send("k230".into(), many).await;
    assert_eq!((r.status, r.code()), (401, "invalid_signature"), "{}", r.body);
    let short = send("ks".into(), format!("v2=deadbeef,{}", right("ks"))).await;
    assert_eq!(
        (short.status, short.code()),
        (401, "invalid_signature"),
        "{}",
        short.body
    );
    assert_eq!(orders_of(&partner).await, 0);
    let four = format!("{wrong},{wrong},{wrong},{}", right("k4"));
    let r = send("k4".into(), four).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Timestamps that are not a plain unix time near now are refused
/// as such, whatever their size; nothing overflows.
#[tokio::test]
async fn extreme_timestamps_are_refused_cleanly() {
    let (_app, _admin, partner, product) = setup_with(|_| {}).await;
    let body = order_body("c-t", &product, "monthly", 1).to_string();
    for ts in [
        "-9223372036854775808",
        "9223372036854775807",
        "170000000000000000000000000000",
        "-1",
        "1e9",
        "abc",
        "",
    ] {
        let signature = partner.signature(0, "POST", "/api/v1/orders", &format!("ts-{ts}"), &body);
        let r = partner
            .send(
                "POST",
                "/orders",
                Some(&body),
                false,
                &[
                    ("Idempotency-Key", format!("ts-{ts}")),
                    ("Flux-Timestamp", ts.to_owned()),
                    ("Flux-Signature", signature),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (401, "timestamp_out_of_range"),
            "{ts:?}: {}",
            r.body
        );
    }
    assert_eq!(orders_of(&partner).await, 0);
}

/// An order whose totals storage could not read back is refused
/// when placed, so every read of orders keeps working (PostgreSQL used to
/// answer 500 on reading such a total).
#[tokio::test]
async fn totals_beyond_storage_are_refused_when_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (client, reseller) = app.active_client("rich@example.com").await;
    let partner = admin.partner_for(&app, &reseller, "orders").await;
    let dear = priced(
        &admin,
        &partner,
        "vps-dear",
        json!({ "wholesale_monthly": "600000000.00", "wholesale_setup_fee": "0.00" }),
    )
    .await;
    let r = partner.order(&order_body("rich", &dear, "monthly", 2)).await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "{}", r.body);
    let one = partner.order(&order_body("rich", &dear, "monthly", 1)).await;
    assert_eq!(one.status, 201, "one unit fits: {}", one.body);
    let lines = json!({ "customer": { "external_id": "rich" }, "lines": [
        { "product_id": dear, "term": "monthly", "quantity": 1 },
        { "product_id": dear, "term": "monthly", "quantity": 1 }
    ]});
    let r = partner.order(&lines).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "validation_failed"),
        "the order total: {}",
        r.body
    );
    assert_eq!(orders_of(&partner).await, 1, "and every order reads back");
    let listed = partner
        .get(&format!("/orders/{}", one.body["id"].as_str().unwrap()))
        .await;
    assert_eq!(listed.status, 200);
    // Sums of many orders exceed the largest order; they read back too.
    // (Another customer: the same body signed in the same second would be
    // the same signature, which authorises one request.)
    let two = partner.order(&order_body("rich-2", &dear, "monthly", 1)).await;
    assert_eq!(two.status, 201);
    let response = app.call::<app::dashboard::server_fns::MyDashboard>(&client, &[]).await;
    assert_eq!(response.status(), 200);
    let dashboard: Value = response.json().await.unwrap();
    assert_eq!(dashboard["spend_this_month"], "1200000000.00");
}

/// The order's transaction checks the reseller's status itself:
/// the API's cached view may be seconds behind a change made elsewhere
/// (another instance).
#[tokio::test]
async fn an_order_rechecks_the_resellers_status_in_its_transaction() {
    let (app, _admin, partner, product) = setup_with(|_| {}).await;
    assert_eq!(partner.get("/products").await.status, 200, "the profile is now cached");
    let suspended = crate::helpers::execute_at(
        &app.store,
        "UPDATE reseller_profiles SET status = 'suspended', suspended_at = $1",
        app::timestamp::Timestamp::now(),
    )
    .await;
    assert_eq!(suspended, 1);
    let r = partner.order(&order_body("c-s", &product, "monthly", 1)).await;
    assert_eq!((r.status, r.code()), (403, "reseller_suspended"), "{}", r.body);
    assert_eq!(count(&app.store, "SELECT COUNT(*) FROM orders").await, 0);
}

/// Paths that do not decode and methods a route lacks are
/// problem+json on both APIs.
#[tokio::test]
async fn bad_paths_and_methods_are_problem_json() {
    let (app, admin, partner, _) = setup_with(|_| {}).await;
    let client = reqwest::Client::new();
    let check = |r: reqwest::Response, status: u16, code: &'static str| async move {
        assert_eq!(r.status(), status, "{}", r.url());
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code);
    };
    let r = client
        .get(app.url("/api/v1/orders/%FF%FE"))
        .bearer_auth(&partner.key)
        .send()
        .await
        .unwrap();
    check(r, 404, "not_found").await;
    // A known caller (key, signature and, as every DELETE needs, an
    // Idempotency-Key) is told the method is wrong.
    let key = [("Idempotency-Key", "delete-products-1".to_owned())];
    let r = partner.send("DELETE", "/products", None, true, &key).await;
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"), "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let r = client
        .delete(app.url("/api/admin/v1/products"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    check(r, 405, "method_not_allowed").await;
    let r = client
        .get(app.url("/api/admin/v1/resellers/%C3%28"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    check(r, 404, "not_found").await;
}

/// Server function arguments that do not decode are the caller's
/// fault: 400 `validation_failed`, not 500.
#[tokio::test]
async fn server_function_argument_errors_are_400() {
    use leptos::server_fn::ServerFn;
    let app = spawn_app().await;
    let client = crate::helpers::browser();
    for form in [
        vec![("panel", "nowhere"), ("email", "a@example.com"), ("password", "x")],
        vec![("email", "a@example.com")],
    ] {
        let response = app.call::<app::accounts::server_fns::SignIn>(&client, &form).await;
        assert_eq!(
            crate::helpers::error_code(response).await,
            (400, "validation_failed".to_owned())
        );
    }
    let response = client
        .post(app.url(app::accounts::server_fns::SignIn::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%=%%%")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
