//! The operations endpoints, on both databases: `/readyz` (and draining on
//! shutdown) and Prometheus `/metrics`, whose counters move by exactly the
//! requests a test makes.

use crate::{
    helpers::{execute, spawn_app, spawn_app_with},
    instances::metric,
};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn readyz_answers_when_the_database_is_migrated() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["migrations"].as_str()),
        (Some("ready"), Some("applied"))
    );

    // A migration this build needs is missing (another version rolled back).
    execute(&app.store, "DELETE FROM _sqlx_migrations WHERE version = 7").await;
    let response = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body = response.text().await.unwrap();
    assert!(
        body.contains("\"code\":\"unavailable\"") && body.contains("fluxbilling migrate"),
        "{body}"
    );
    // Alive all the same: /healthz only asks the database.
    assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().status(), 200);
}

#[tokio::test]
async fn readyz_reports_a_closed_database_without_details() {
    let app = spawn_app().await;
    app.store.close().await;
    let response = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body = response.text().await.unwrap();
    assert!(body.contains("\"code\":\"unavailable\""), "{body}");
    assert!(!body.to_lowercase().contains("pool"), "leaks internals: {body}");
}

#[tokio::test]
async fn a_draining_instance_is_not_ready_but_still_serves() {
    let mut app = spawn_app_with(|c| c.drain = Duration::from_secs(30)).await;
    assert_eq!(reqwest::get(app.url("/readyz")).await.unwrap().status(), 200);
    app.begin_shutdown();
    let client = reqwest::Client::new();
    let not_ready = crate::helpers::eventually(5, || {
        let url = app.url("/readyz");
        let client = client.clone();
        async move { (client.get(url).send().await.ok()?.status() == 503).then_some(()) }
    })
    .await;
    assert!(not_ready.is_some(), "/readyz turns 503 on shutdown");
    assert_eq!(client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 401, "the APIs still answer while draining");
}

#[tokio::test]
async fn metrics_count_exactly_the_requests_made() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "metrics@example.com", "orders").await;
    let (status, body) = admin
        .patch(
            &format!("/resellers/{}", partner.reseller_id),
            json!({ "rate_limit": 3 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let me = |status: u16| {
        format!(
            "fluxbilling_api_requests_total{{api=\"partner\",method=\"GET\",route=\"/api/v1/me\",status=\"{status}\"}}"
        )
    };
    let admin_list =
        "fluxbilling_api_requests_total{api=\"admin\",method=\"GET\",route=\"/api/admin/v1/resellers\",status=\"200\"}";
    let latency = "fluxbilling_api_request_duration_seconds_count{api=\"partner\",method=\"GET\",route=\"/api/v1/me\"}";
    let refused = "fluxbilling_rate_limited_total{scope=\"reseller\"}";
    let hits = "fluxbilling_cache_lookups_total{cache=\"partner\",outcome=\"hit\"}";
    let misses = "fluxbilling_cache_lookups_total{cache=\"partner\",outcome=\"miss\"}";
    let names = [
        me(200),
        me(429),
        me(401),
        admin_list.to_owned(),
        latency.to_owned(),
        refused.to_owned(),
        hits.to_owned(),
        misses.to_owned(),
    ];
    let mut before = Vec::new();
    for name in &names {
        before.push(metric(&app, name).await);
    }

    for _ in 0..4 {
        partner.get("/me").await; // 3 allowed, then 429
    }
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let r = client.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_eq!(admin.get("/resellers").await.0, 200);

    let mut moved = Vec::new();
    for (name, was) in names.iter().zip(&before) {
        moved.push(metric(&app, name).await - was);
    }
    assert_eq!(moved, vec![3.0, 1.0, 2.0, 1.0, 6.0, 1.0, 3.0, 1.0], "{names:?}");
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-secret".to_owned())).await;
    let client = reqwest::Client::new();
    let refused = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let wrong = client
        .get(app.url("/metrics"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let scraped = client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = scraped.text().await.unwrap();
    assert!(
        text.contains("# TYPE fluxbilling_webhook_deliveries_pending gauge"),
        "{text}"
    );
}

/// Failed authentications from `address` (as a proxy names it) through `app`.
async fn failures_from(app: &crate::helpers::TestApp, address: &str, n: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..n {
        let response = client
            .get(app.url("/api/v1/me"))
            .header("x-forwarded-for", format!("198.51.100.99, {address}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_apart() {
    let app = spawn_app_with(|c| {
        c.auth_failures_per_minute = 2;
        c.trusted_proxies = app::net::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    assert_eq!(failures_from(&app, "203.0.113.1", 3).await, vec![401, 401, 429]);
    assert_eq!(failures_from(&app, "203.0.113.2", 1).await, vec![401], "another client");
    app.api_log.flush().await;
    let logged = crate::helpers::count(
        &app.store,
        "SELECT COUNT(*) FROM api_requests WHERE client_addr = '203.0.113.1'",
    )
    .await;
    assert_eq!(logged, 3, "the log records the client, not the proxy");

    // Not configured: the header is the sender's word and is ignored; all
    // of it comes from 127.0.0.1.
    let plain = spawn_app_with(|c| c.auth_failures_per_minute = 2).await;
    assert_eq!(failures_from(&plain, "203.0.113.1", 2).await, vec![401, 401]);
    assert_eq!(failures_from(&plain, "203.0.113.2", 1).await, vec![429]);
}
