//! The binary as an operator runs it: killed mid-order, and configured the
//! usual ways.

use crate::helpers::{Admin, ServerProcess, TestDb, order_body};
use serde_json::json;
use std::{sync::Arc, time::Duration};

/// Idempotency claims die with the server. SIGKILL during 16
/// concurrent signed orders; after a restart, retrying every key ends in
/// 201 within seconds, and each key placed exactly one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_die_with_a_killed_server() {
    let db = TestDb::new().await;
    let token = ServerProcess::admin_token(&db);
    let mut server = ServerProcess::start(&db, &[("FLUX_NO_WORKER", "1")]).await;
    let admin = Admin::new(format!("{}/api/admin/v1", server.base), token);
    let reseller = admin.reseller("killed@example.com", "active").await;
    let partner = Arc::new(admin.partner_at(&server.base, &reseller, "orders").await);
    let product = admin.product("vps-k", Some("10.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Each order makes 100 services (and 101 events): slow enough that
    // several are in flight when the server dies.
    let keys: Vec<String> = (0..16).map(|i| format!("kill-{i}")).collect();
    let mut tasks = Vec::new();
    for key in &keys {
        let (partner, key, product) = (partner.clone(), key.clone(), product.clone());
        tasks.push(tokio::spawn(async move {
            let body = order_body(&key, &product, "monthly", 100);
            tokio::time::timeout(Duration::from_secs(30), partner.order_with_key(&body, &key)).await
        }));
    }
    // Kill it while orders are in flight, however fast or slow this machine
    // is: once the first order has committed, the others (sent at once,
    // written one after another) are still being placed. A claim is a lock
    // held by its transaction, so it shows nowhere before its commit.
    let store = app::store::Store::connect(&db.url).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while crate::helpers::count(&store, "SELECT COUNT(*) FROM orders").await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no order placed");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    store.close().await;
    for task in tasks {
        let _ = task.await; // answered, or cut off by the kill
    }

    server.restart(&db).await;
    for key in &keys {
        let body = order_body(key, &product, "monthly", 100);
        let placed = crate::helpers::eventually(10, || async {
            let r = partner.order_with_key(&body, key).await;
            (r.status == 201).then_some(r)
        })
        .await;
        assert!(placed.is_some(), "{key} ends in 201 within seconds");
    }
    // One order per key: each customer (named after its key) has one.
    let r = partner.get("/orders?limit=200").await;
    let orders = r.body["data"].as_array().unwrap();
    assert_eq!(orders.len(), 16, "{}", r.body);
    let mut customers: Vec<&str> = orders
        .iter()
        .map(|o| o["customer"]["external_id"].as_str().unwrap())
        .collect();
    customers.sort();
    customers.dedup();
    assert_eq!(customers.len(), 16);
}

/// Boolean settings take 1/0, yes/no, on/off as well as
/// true/false, from flags and the environment: each spelling has its
/// effect (a private webhook URL is accepted only when allowed).
#[tokio::test]
async fn boolean_settings_accept_the_usual_spellings() {
    let db = TestDb::new().await;
    let token = ServerProcess::admin_token(&db);
    let reseller = {
        let server = ServerProcess::start(&db, &[("FLUX_NO_WORKER", "yes")]).await;
        let admin = crate::helpers::Admin::new(format!("{}/api/admin/v1", server.base), token.clone());
        admin.reseller("spellings@example.com", "active").await
    };
    for (spelling, allowed) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("0", false),
        ("no", false),
        ("off", false),
        ("false", false),
    ] {
        let server = ServerProcess::start(
            &db,
            &[("FLUX_WEBHOOK_ALLOW_PRIVATE", spelling), ("FLUX_NO_WORKER", spelling)],
        )
        .await;
        let admin = crate::helpers::Admin::new(format!("{}/api/admin/v1", server.base), token.clone());
        let (status, body) = admin
            .put(
                &format!("/resellers/{reseller}/webhook"),
                serde_json::json!({ "url": "http://127.0.0.1:9/hooks" }),
            )
            .await;
        let expected = if allowed { 200 } else { 422 };
        assert_eq!(status, expected, "FLUX_WEBHOOK_ALLOW_PRIVATE={spelling}: {body}");
    }
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_fluxbilling"))
        .args(["serve", "--addr", "127.0.0.1:0", "--no-worker", "maybe"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("maybe"));
}
