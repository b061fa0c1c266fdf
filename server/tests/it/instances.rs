//! Several instances on one PostgreSQL database behave as one (DESIGN.md
//! "Storage and scale"): one rate limit, changes seen everywhere within a
//! second, each event delivered once, renewals on one instance at a time.
//!
//! Two `Application`s share a database. SQLite is one instance by design
//! (its limits count in memory and it announces nothing), so these tests
//! run on PostgreSQL only (ignored on SQLite); the single-instance behaviour they build on is
//! tested on both databases elsewhere.

use crate::helpers::{
    Admin, PartnerClient, Receiver, ServerProcess, TestApp, TestDb, count, eventually, execute_at, metric, order_body,
    require_postgres, spawn_pair_with,
};
use crate::webhooks::{deliveries, partner as webhook_partner};
use app::timestamp::Timestamp;
use serde_json::json;
use std::{collections::HashMap, time::Duration};

// These tests are `#[ignore]`d unless asked for: `scripts/test` runs them on
// PostgreSQL with `--include-ignored`, so on SQLite they report as ignored
// instead of passing without having run.

/// The same partner (key, secret) talking to `app` instead.
fn at(partner: &PartnerClient, app: &TestApp) -> PartnerClient {
    PartnerClient::new(
        app.url(""),
        partner.key.clone(),
        partner.secret.clone(),
        partner.reseller_id.clone(),
    )
}

/// Waits until `app` has heard an announcement (its cache epoch moved on
/// from `before`): at most a second.
async fn heard_within_a_second(app: &TestApp, before: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while app.store.epoch() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other instance did not hear the change within a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn one_rate_limit_across_both_instances() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "limit@example.com", "orders").await;
    let (status, body) = admin
        .patch(
            &format!("/resellers/{}", partner.reseller_id),
            json!({ "rate_limit": 40 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (on_a, on_b) = (at(&partner, &a), at(&partner, &b));

    // 100 requests, spread over both instances, 10 at a time.
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for round in 0..10 {
        let calls = (0..10).map(|i| {
            let client = if (round + i) % 2 == 0 { &on_a } else { &on_b };
            client.get("/me")
        });
        for response in futures::future::join_all(calls).await {
            if response.status == 429 {
                assert!(response.headers.contains_key("retry-after"));
                assert_eq!(response.code(), "rate_limited");
            }
            let current = response.headers["ratelimit"].to_str().unwrap().to_owned();
            assert!(current.starts_with("\"reseller\";r="), "{current}");
            *statuses.entry(response.status).or_default() += 1;
        }
    }
    let allowed = statuses.get(&200).copied().unwrap_or(0);
    let refused = statuses.get(&429).copied().unwrap_or(0);
    assert_eq!(allowed + refused, 100, "{statuses:?}");
    // Never more than the limit; at most one batch (2 of 40) stranded per
    // instance.
    assert!(
        allowed <= 40,
        "{allowed} allowed with a limit of 40 across two instances"
    );
    assert!(
        allowed >= 36,
        "only {allowed} of 40 allowed: too much of the quota stranded"
    );
    // The database holds the window's count; no request wrote more.
    let leased = count(
        &a.store,
        &format!(
            "SELECT leased FROM quota_leases WHERE scope = 'reseller' AND key = '{}'",
            partner.reseller_id
        ),
    )
    .await;
    assert_eq!(leased, 40);
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn failed_authentications_are_limited_across_both_instances() {
    require_postgres();
    let (a, b) = spawn_pair_with(|c| c.auth_failures_per_minute = 10).await;
    let client = reqwest::Client::new();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        let response = client
            .get(app.url("/api/v1/me"))
            .bearer_auth("flux_key_nope0000_wrong")
            .send()
            .await
            .unwrap();
        *statuses.entry(response.status().as_u16()).or_default() += 1;
    }
    let unauthenticated = statuses.get(&401).copied().unwrap_or(0);
    // Each instance learns the address is spent at its next failure: at
    // most one more than the limit gets a 401 on the second instance.
    assert!(
        (10..=11).contains(&unauthenticated),
        "{unauthenticated} failures answered 401 with a limit of 10: {statuses:?}"
    );
    assert_eq!(statuses.get(&429).copied().unwrap_or(0), 30 - unauthenticated);
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_key_revoked_through_one_instance_is_refused_by_the_other() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "revoke@example.com", "orders").await;
    let on_b = at(&partner, &b);
    assert_eq!(on_b.get("/me").await.status, 200, "b caches the key");
    assert_eq!(on_b.get("/me").await.status, 200);

    let before = b.store.epoch();
    let prefix = &partner.key[.."flux_key_".len() + 8];
    let (status, body) = admin
        .send(
            reqwest::Method::DELETE,
            &format!("/resellers/{}/api-keys/{prefix}", partner.reseller_id),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    heard_within_a_second(&b, before).await;
    let refused = on_b.get("/me").await;
    assert_eq!((refused.status, refused.code()), (401, "unauthenticated"));
}

/// The committing instance moves its own epoch at once; hearing its own
/// announcement later would drop, for nothing, what it cached since.
/// Announcements arrive in commit order on one connection, so once `a`
/// has heard `b`'s later change it has also seen its own earlier one.
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn an_instance_skips_its_own_announcements() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let (on_a, on_b) = (a.admin().await, b.admin().await);
    let partner = on_a.partner(&a, "own@example.com", "orders").await;
    let reseller = format!("/resellers/{}", partner.reseller_id);

    let (a_before, b_before) = (a.store.epoch(), b.store.epoch());
    assert_eq!(on_a.patch(&reseller, json!({ "rate_limit": 5 })).await.0, 200);
    assert_eq!(a.store.epoch(), a_before + 1, "a moved on at its commit");
    heard_within_a_second(&b, b_before).await;

    let a_mid = a.store.epoch();
    assert_eq!(on_b.patch(&reseller, json!({ "rate_limit": 6 })).await.0, 200);
    heard_within_a_second(&a, a_mid).await;
    assert_eq!(
        a.store.epoch(),
        a_before + 2,
        "its own change and b's, not its own twice"
    );
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_suspension_through_one_instance_stops_orders_on_the_other() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "suspend@example.com", "orders").await;
    let product = admin.product("vps-s", Some("10.00"), None).await;
    admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await;
    let on_b = at(&partner, &b);
    assert_eq!(on_b.order(&order_body("c-1", &product, "monthly", 1)).await.status, 201);

    let before = b.store.epoch();
    let (status, body) = admin
        .post(
            &format!("/resellers/{}/suspend", partner.reseller_id),
            json!({ "reason": "unpaid" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    heard_within_a_second(&b, before).await;
    // Refused at the door (the cached profile is gone), not only by the
    // order's own re-check.
    let read = on_b.get("/me").await;
    assert_eq!((read.status, read.code()), (403, "reseller_suspended"), "{}", read.body);
    let order = on_b.order(&order_body("c-2", &product, "monthly", 1)).await;
    assert_eq!(order.status, 403, "{}", order.body);
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_price_change_through_one_instance_is_served_by_the_other() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "price@example.com", "orders").await;
    let product = admin.product("vps-p", Some("10.00"), None).await;
    let path = format!("/resellers/{}/products/{product}", partner.reseller_id);
    admin.put(&path, json!({ "wholesale_monthly": "8.00" })).await;
    let on_b = at(&partner, &b);
    let price = |body: &serde_json::Value| body["data"][0]["prices"]["monthly"].clone();
    assert_eq!(
        price(&on_b.get("/products").await.body),
        "8.00",
        "b caches the catalogue"
    );

    let before = b.store.epoch();
    let (status, body) = admin.put(&path, json!({ "wholesale_monthly": "7.25" })).await;
    assert_eq!(status, 200, "{body}");
    heard_within_a_second(&b, before).await;
    assert_eq!(price(&on_b.get("/products").await.body), "7.25");
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn orders_spread_over_both_instances_deliver_each_event_once() {
    require_postgres();
    let (a, b) = spawn_pair_with(|c| {
        c.worker_heartbeat = Duration::from_secs(1);
        c.webhook_retry_schedule = vec![Duration::from_secs(1)];
    })
    .await;
    let admin = a.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, product) = webhook_partner(&a.url(""), &admin, &receiver, "once@example.com").await;
    let on_b = at(&partner, &b);

    let orders = (0..40).map(|i| {
        let client = if i % 2 == 0 { &partner } else { &on_b };
        let body = order_body(&format!("c-{i}"), &product, "monthly", 1);
        async move {
            let response = client.order(&body).await;
            assert_eq!(response.status, 201, "{}", response.body);
            response.body["id"].as_str().unwrap().to_owned()
        }
    });
    let mut placed: Vec<String> = futures::future::join_all(orders).await;
    placed.sort();

    // Each order sends order.created and one service.created.
    let got = receiver.collect(80, 30).await;
    let ids: std::collections::HashSet<String> = got
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!((got.len(), ids.len()), (80, 80), "80 events, each delivered once");
    let mut delivered: Vec<String> = got
        .iter()
        .map(|r| r.json())
        .filter(|event| event["type"] == "order.created")
        .map(|event| event["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    delivered.sort();
    assert_eq!(delivered, placed, "each order.created exactly once");
    // Both instances' workers are idle with nothing pending: no duplicate
    // is on its way.
    let pending = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let left = count(
                &store,
                "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'",
            )
            .await;
            (left == 0).then_some(())
        }
    };
    assert!(eventually(10, || pending(&a)).await.is_some());
    assert_eq!(
        count(&a.store, "SELECT COUNT(*) FROM webhook_attempts").await,
        80,
        "one attempt per delivery"
    );
    assert!(receiver.nothing_more().await);
    let succeeded = "fluxbilling_webhook_attempts_total{outcome=\"succeeded\"}";
    assert_eq!(metric(&a, succeeded).await + metric(&b, succeeded).await, 80.0);
}

/// The number `name` counts in `app`'s `/metrics` (0 when absent).
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn renewals_run_on_one_instance_at_a_time() {
    require_postgres();
    let (a, b) = spawn_pair_with(|c| c.housekeeping_every = Duration::from_millis(100)).await;
    let admin: Admin = a.admin().await;
    let partner = admin.partner(&a, "renew@example.com", "orders").await;
    let product = admin.product("vps-r", Some("10.00"), None).await;
    admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    let order = partner.order(&order_body("c-r", &product, "monthly", 1)).await;
    let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
    let (status, body) = admin.post(&format!("/services/{service}/activate"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    execute_at(
        &a.store,
        &format!("UPDATE services SET next_renewal_at = $1 WHERE id = '{service}'"),
        Timestamp::now().minus(time::Duration::minutes(1)),
    )
    .await;

    let renewals = format!(
        "SELECT COUNT(*) FROM ledger_entries WHERE reseller_id = '{}' AND kind = 'renewal'",
        partner.reseller_id
    );
    let store = a.store.clone();
    let renewed = eventually(10, || {
        let (store, sql) = (store.clone(), renewals.clone());
        async move { (count(&store, &sql).await > 0).then_some(()) }
    })
    .await;
    assert!(renewed.is_some(), "the due service was renewed");
    // Several passes later: still one renewal, and one instance ran them
    // all while the other skipped each of its passes.
    let ran = "fluxbilling_housekeeping_passes_total{outcome=\"ran\"}";
    let skipped = "fluxbilling_housekeeping_passes_total{outcome=\"skipped\"}";
    let settled = eventually(10, || async {
        let (a_skipped, b_skipped) = (metric(&a, skipped).await, metric(&b, skipped).await);
        (a_skipped + b_skipped >= 5.0).then_some(())
    })
    .await;
    assert!(settled.is_some());
    assert_eq!(count(&a.store, &renewals).await, 1);
    let (a_ran, b_ran) = (metric(&a, ran).await, metric(&b, ran).await);
    let (a_skipped, b_skipped) = (metric(&a, skipped).await, metric(&b, skipped).await);
    assert!(
        (a_ran > 0.0 && a_skipped == 0.0 && b_ran == 0.0) || (b_ran > 0.0 && b_skipped == 0.0 && a_ran == 0.0),
        "a ran {a_ran} skipped {a_skipped}; b ran {b_ran} skipped {b_skipped}"
    );
}

/// `api_enabled` switched off through one instance is refused at once by
/// the other, and switched on again is served again.
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn api_enabled_switched_through_one_instance_holds_on_the_other() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "switch@example.com", "read").await;
    let on_b = at(&partner, &b);
    assert_eq!(on_b.get("/me").await.status, 200, "cached on b");
    for (enabled, expected) in [(false, (403, "api_disabled")), (true, (200, ""))] {
        let before = b.store.epoch();
        let (status, body) = admin
            .patch(
                &format!("/resellers/{}", partner.reseller_id),
                json!({ "api_enabled": enabled }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        heard_within_a_second(&b, before).await;
        let r = on_b.get("/me").await;
        assert_eq!((r.status, r.code()), expected, "api_enabled {enabled}: {}", r.body);
    }
}

/// The backends listening for announcements in this test's database.
async fn listeners(app: &TestApp) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(app.store.postgres_pool().unwrap())
    .await
    .unwrap()
}

/// An instance whose listening connection is cut drops its caches (what
/// was announced meanwhile is lost), listens again, and hears the next
/// change as before.
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_lost_listening_connection_is_resubscribed() {
    require_postgres();
    let (a, b) = spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let partner = admin.partner(&a, "relisten@example.com", "read").await;
    let on_b = at(&partner, &b);
    assert_eq!(on_b.get("/me").await.status, 200);
    let cut = listeners(&b).await;
    assert_eq!(cut.len(), 2, "one listener per instance: {cut:?}");
    let before = b.store.epoch();
    for pid in &cut {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(a.store.postgres_pool().unwrap())
            .await
            .unwrap();
    }
    let relistening = eventually(15, || async {
        let now = listeners(&b).await;
        (now.len() == 2 && now.iter().all(|pid| !cut.contains(pid))).then_some(())
    })
    .await;
    assert!(relistening.is_some(), "both instances listen again");
    assert_ne!(b.store.epoch(), before, "the lost connection dropped b's caches");

    let before = b.store.epoch();
    let (status, _) = admin
        .patch(
            &format!("/resellers/{}", partner.reseller_id),
            json!({ "api_enabled": false }),
        )
        .await;
    assert_eq!(status, 200);
    heard_within_a_second(&b, before).await;
    assert_eq!(on_b.get("/me").await.code(), "api_disabled");
}

/// A dead instance's deliveries are taken over by a live one: instance A
/// takes every job of an order (its attempts hang at the receiver), B starts
/// beside it and leaves jobs a live worker holds alone, then A dies by
/// SIGKILL and is never restarted: once A's heartbeats stop, B delivers
/// every event.
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_dead_instances_deliveries_are_taken_over_by_another() {
    require_postgres();
    let db = TestDb::new().await;
    let mut receiver = Receiver::start().await;
    let token = ServerProcess::admin_token(&db);
    let mut a = ServerProcess::start(&db, &[]).await;
    let admin_a = Admin::new(format!("{}/api/admin/v1", a.base), token.clone());
    let (partner, _, product) = webhook_partner(&a.base, &admin_a, &receiver, "takeover@example.com").await;

    receiver.hang(true);
    let order = partner.order(&order_body("c-takeover", &product, "monthly", 3)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    // order.created and three service.created, all held by A's worker.
    let in_flight = receiver.collect(4, 15).await;
    assert_eq!(in_flight.len(), 4, "instance A took every delivery");

    let b = ServerProcess::start(&db, &[]).await;
    let admin_b = Admin::new(format!("{}/api/admin/v1", b.base), token);
    // A is alive (heartbeating): B takes none of its jobs.
    assert!(
        receiver.collect(1, 4).await.is_empty(),
        "B left the jobs of a live worker alone"
    );
    a.kill();
    receiver.hang(false);
    let query = format!("reseller_id={}&limit=50", partner.reseller_id);
    let done = eventually(60, || async {
        let d = deliveries(&admin_b, &query).await;
        (d.len() == 4 && d.iter().all(|d| d["status"] == "succeeded")).then_some(d)
    })
    .await
    .expect("B delivered every event once A was dead");
    let mut answered = std::collections::HashSet::new();
    while let Some(r) = receiver.next(1).await {
        answered.insert(r.headers["webhook-id"].to_str().unwrap().to_owned());
    }
    for d in &done {
        assert!(
            answered.contains(d["event_id"].as_str().unwrap()),
            "event {} was delivered again after A died",
            d["event_id"]
        );
    }
}
