//! The operations endpoints, on both databases: `/healthz`, `/readyz` (and
//! draining on shutdown) and Prometheus `/metrics`, whose counters move by exactly the
//! requests a test makes.

use crate::helpers::{Backend, backend, execute, metric, spawn_app, spawn_app_with};
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

/// Statuses of failed authentications whose `X-Forwarded-For` lines are
/// `lines`, one request each.
async fn failures_with_lines(app: &crate::helpers::TestApp, requests: &[&[&str]]) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for lines in requests {
        let mut request = client.get(app.url("/api/v1/me"));
        for line in lines.iter() {
            request = request.header("x-forwarded-for", *line);
        }
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    statuses
}

/// An app behind a trusted proxy (127.0.0.1) allowing two failed
/// authentications per address and minute.
async fn behind_a_proxy() -> crate::helpers::TestApp {
    spawn_app_with(|c| {
        c.auth_failures_per_minute = 2;
        c.trusted_proxies = app::net::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await
}

/// `run`'s result from a run within one minute. On PostgreSQL a failure
/// window is a minute of the database's clock and counts start again at
/// its turn: a run that spanned one is made again (at most twice).
pub async fn within_a_minute<T, Fut: std::future::Future<Output = T>>(mut run: impl FnMut() -> Fut) -> T {
    let minute = || app::timestamp::Timestamp::now().unix_seconds() / 60;
    for _ in 0..2 {
        let started = minute();
        let result = run().await;
        if minute() == started {
            return result;
        }
    }
    run().await
}

/// A proxy appends its line after whatever the client sent: the client's
/// own first line names no one, the line the proxy added does.
#[tokio::test]
async fn a_client_cannot_choose_its_address_with_a_header_line_of_its_own() {
    let (app, statuses) = within_a_minute(|| async {
        let app = behind_a_proxy().await;
        let statuses = failures_with_lines(
            &app,
            &[
                &["203.0.113.10", "198.51.100.7"],
                &["203.0.113.11", "198.51.100.7"],
                &["203.0.113.12", "198.51.100.7"],
                &["203.0.113.13, 203.0.113.14", "198.51.100.7"],
            ],
        )
        .await;
        (app, statuses)
    })
    .await;
    assert_eq!(
        statuses,
        vec![401, 401, 429, 429],
        "one client, however it rotates its line"
    );
    app.api_log.flush().await;
    let logged = crate::helpers::count(
        &app.store,
        "SELECT COUNT(*) FROM api_requests WHERE client_addr = '198.51.100.7'",
    )
    .await;
    assert_eq!(logged, 4);
}

/// Proxies that write the client's port (`1.2.3.4:5678`, `[v6]:443`)
/// name the client all the same, not the proxy.
#[tokio::test]
async fn addresses_with_ports_name_the_client() {
    let (app, v4, v6) = within_a_minute(|| async {
        let app = behind_a_proxy().await;
        let v4 = failures_with_lines(
            &app,
            &[
                &["198.51.100.8:5678"],
                &["198.51.100.8:5679"],
                &["198.51.100.8"],
                &["198.51.100.9"],
            ],
        )
        .await;
        let v6 = failures_with_lines(
            &app,
            &[&["[2001:db8:5::1]:443"], &["[2001:db8:5::1]:444"], &["2001:db8:5::1"]],
        )
        .await;
        (app, v4, v6)
    })
    .await;
    assert_eq!(v4, vec![401, 401, 429, 401], "the port is not part of the address");
    assert_eq!(v6, vec![401, 401, 429]);
    app.api_log.flush().await;
    for (address, n) in [("198.51.100.8", 3), ("2001:db8:5::1", 3), ("127.0.0.1", 0)] {
        let logged = crate::helpers::count(
            &app.store,
            &format!("SELECT COUNT(*) FROM api_requests WHERE client_addr = '{address}'"),
        )
        .await;
        assert_eq!(logged, n, "{address}");
    }
}

/// An IPv6 client holds a /64 and can pick any address in it: the
/// per-address limits count the /64; the log keeps the full address.
#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64() {
    let (app, statuses) = within_a_minute(|| async {
        let app = behind_a_proxy().await;
        let statuses = failures_with_lines(
            &app,
            &[
                &["2001:db8:1:2::1"],
                &["2001:db8:1:2::2"],
                &["2001:db8:1:2:ffff:ffff:ffff:fffe"],
                &["2001:db8:1:3::1"],
            ],
        )
        .await;
        (app, statuses)
    })
    .await;
    assert_eq!(statuses, vec![401, 401, 429, 401], "another /64 is another client");
    app.api_log.flush().await;
    let logged = crate::helpers::count(
        &app.store,
        "SELECT COUNT(*) FROM api_requests WHERE client_addr = '2001:db8:1:2::2'",
    )
    .await;
    assert_eq!(logged, 1, "the log records the address itself");
}

/// The number of request series lines `/metrics` answers with (counters
/// and latency buckets).
async fn series_lines(app: &crate::helpers::TestApp) -> usize {
    let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|line| line.starts_with("fluxbilling_api_request"))
        .count()
}

/// Methods are counted under a fixed set of labels: a client inventing
/// method tokens cannot make new series.
#[tokio::test]
async fn invented_methods_add_no_series() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let send = |method: &str, path: &str| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client.request(method, app.url(path)).send()
    };
    // The first invented method of each API makes its series...
    for path in ["/api/v1/x", "/api/admin/v1/x"] {
        send("A0", path).await.unwrap();
    }
    let before = series_lines(&app).await;
    // ...the next ones add none.
    for method in ["A1", "A2", "BREW", "PROPFIND"] {
        for path in ["/api/v1/x", "/api/admin/v1/x"] {
            let response = send(method, path).await.unwrap();
            assert!(response.status().is_client_error(), "{method} {path}");
        }
    }
    assert_eq!(series_lines(&app).await, before);
    let other = "fluxbilling_api_requests_total{api=\"partner\",method=\"other\",route=\"unmatched\",status=\"401\"}";
    assert_eq!(metric(&app, other).await, 5.0);
    let get = "fluxbilling_api_requests_total{api=\"partner\",method=\"GET\",route=\"/api/v1/me\",status=\"401\"}";
    send("GET", "/api/v1/me").await.unwrap();
    assert_eq!(metric(&app, get).await, 1.0, "the usual methods keep their names");
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = match backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn healthz_reports_a_closed_database_as_503_without_details() {
    let app = spawn_app().await;
    app.store.close().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body = response.text().await.unwrap();
    assert!(body.contains("\"code\":\"unavailable\""), "{body}");
    assert!(!body.to_lowercase().contains("pool"), "leaks internals: {body}");
}
