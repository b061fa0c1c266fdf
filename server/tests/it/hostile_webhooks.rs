//! Webhook delivery against hostile receivers and environments: an
//! endless response body, NAT64 and site-local targets, proxy settings in
//! the environment, and test events fired in a loop.

use crate::{
    helpers::{Admin, Receiver, ServerProcess, TestDb, error_code, eventually, order_body, spawn_app_with},
    webhooks::{app, deliveries, partner},
};
use axum::{body::Body, routing::post};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A receiver that answers 200 and then streams a body that never ends.
async fn endless_receiver() -> String {
    let app = axum::Router::new().route(
        "/hooks",
        post(|| async {
            let chunk = axum::body::Bytes::from(vec![b'x'; 16 * 1024]);
            let endless = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            Body::from_stream(endless)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn an_endless_response_body_costs_one_kib() {
    let app = app(&[1, 1]).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let (partner, _, product) = partner(&app.url(""), &admin, &receiver, "endless@example.com").await;
    let url = endless_receiver().await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{}/webhook", partner.reseller_id),
            json!({ "url": url }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let placed = partner.order(&order_body("c-e", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201);
    let query = format!("reseller_id={}&event_type=order.created", partner.reseller_id);
    let done = eventually(30, || async {
        let list = deliveries(&admin, &query).await;
        list.into_iter().find(|d| d["status"] == "succeeded")
    })
    .await
    .expect("the delivery succeeded (a 200 whose body was cut off)");
    let (_, detail) = admin
        .get(&format!("/webhook-deliveries/{}", done["id"].as_str().unwrap()))
        .await;
    let kept = detail["attempts"][0]["response_body"].as_str().unwrap();
    assert_eq!(kept.len(), 1024, "the first KiB is kept");
}

#[tokio::test]
async fn nat64_and_site_local_targets_are_refused() {
    let app = spawn_app_with(|c| c.webhook_allow_private = false).await;
    let admin = app.admin().await;
    let reseller = admin.reseller("nat@example.com", "active").await;
    for url in [
        "https://[64:ff9b::7f00:1]/hooks",
        "https://[64:ff9b::a9fe:a9fe]/hooks",
        "https://[64:ff9b:1::a00:1]/hooks",
        "https://[fec0::1]/hooks",
    ] {
        let (status, body) = admin
            .put(&format!("/resellers/{reseller}/webhook"), json!({ "url": url }))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("webhook_url_rejected")),
            "{url}: {body}"
        );
    }
}

/// A proxy that records what it is asked for, and answers 200.
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(request.uri().to_string());
            "proxied"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn deliveries_ignore_proxy_settings_in_the_environment() {
    let db = TestDb::new().await;
    let (proxy, proxied) = recording_proxy().await;
    let mut receiver = Receiver::start().await;
    let token = ServerProcess::admin_token(&db);
    let server = ServerProcess::start(
        &db,
        &[
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("http_proxy", &proxy),
            ("NO_PROXY", ""),
        ],
    )
    .await;
    let admin = Admin::new(format!("{}/api/admin/v1", server.base), token);
    let (partner, _, product) = partner(&server.base, &admin, &receiver, "proxy@example.com").await;
    let placed = partner.order(&order_body("c-p", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let got = receiver.collect(2, 30).await;
    assert_eq!(
        got.len(),
        2,
        "order.created and service.created reached the receiver directly"
    );
    assert!(proxied.lock().unwrap().is_empty(), "nothing went through the proxy");
}

#[tokio::test]
async fn test_events_are_limited_per_reseller() {
    use app::webhooks::server_fns::SendTestEvent;
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin().await;
    let (client, reseller) = app.active_client("tester@example.com").await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/webhook"),
            json!({ "url": "http://127.0.0.1:9/hooks" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for i in 0..app::state::TEST_EVENTS_PER_MINUTE {
        let response = app.call::<SendTestEvent>(&client, &[]).await;
        assert_eq!(response.status(), 200, "test event {i}");
    }
    let response = app.call::<SendTestEvent>(&client, &[]).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, (429, "rate_limited".to_owned()));
}

/// The reseller's deliveries, their ids and attempt details.
async fn detail(admin: &Admin, delivery: &serde_json::Value) -> serde_json::Value {
    let (status, detail) = admin
        .get(&format!("/webhook-deliveries/{}", delivery["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{detail}");
    detail
}

/// A receiver that never answers costs one timeout: the attempt is
/// recorded as timed out, retried, and delivered once it answers.
#[tokio::test]
async fn a_hanging_receiver_times_out_and_is_retried() {
    let app = spawn_app_with(|c| {
        c.webhook_retry_schedule = vec![std::time::Duration::from_secs(1); 5];
        c.webhook_timeout = std::time::Duration::from_secs(1);
        c.worker_heartbeat = std::time::Duration::from_secs(1);
    })
    .await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, product) = partner(&app.url(""), &admin, &receiver, "hang@example.com").await;
    receiver.hang(true);
    let placed = partner.order(&order_body("c-h", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201);
    let query = format!("reseller_id={}&event_type=order.created", partner.reseller_id);
    let timed_out = eventually(20, || async {
        let list = deliveries(&admin, &query).await;
        list.into_iter().find(|d| d["attempts"] == 1)
    })
    .await
    .expect("the first attempt was recorded");
    assert_eq!(timed_out["status"], "pending", "to be retried: {timed_out}");
    assert!(timed_out["last_status_code"].is_null());
    assert!(
        timed_out["last_error"].as_str().unwrap().starts_with("timed out"),
        "{timed_out}"
    );
    receiver.hang(false);
    let delivered = eventually(20, || async {
        let list = deliveries(&admin, &query).await;
        list.into_iter().find(|d| d["status"] == "succeeded")
    })
    .await
    .expect("delivered once the receiver answers");
    let attempts = detail(&admin, &delivered).await["attempts"].clone();
    let codes: Vec<Option<i64>> = attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64())
        .collect();
    // Retries that started before the receiver recovered timed out too.
    let (last, before) = codes.split_last().unwrap();
    assert_eq!(*last, Some(200), "{attempts}");
    assert!(!before.is_empty() && before.iter().all(Option::is_none), "{attempts}");
    assert!(receiver.collect(3, 10).await.len() >= 3, "each attempt reached it");
}

/// A receiver that redirects (here to another address on this machine, as
/// a redirect to an internal service would) is not followed: the 307 is
/// the attempt's answer, a failure to retry, and the target hears nothing.
#[tokio::test]
async fn a_redirect_is_not_followed() {
    let app = app(&[1]).await;
    let admin = app.admin().await;
    let mut target = Receiver::start().await;
    let redirecting = {
        let location = target.url.clone();
        let router = axum::Router::new().route(
            "/hooks",
            post(move || {
                let location = location.clone();
                async move { (axum::http::StatusCode::TEMPORARY_REDIRECT, [("location", location)]) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    };
    let (partner, _, product) = partner(&app.url(""), &admin, &target, "redirect@example.com").await;
    let reseller = &partner.reseller_id;
    let (status, body) = admin
        .put(&format!("/resellers/{reseller}/webhook"), json!({ "url": redirecting }))
        .await;
    assert_eq!(status, 200, "{body}");
    let placed = partner.order(&order_body("c-r", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201);
    let query = format!("reseller_id={reseller}&event_type=order.created");
    let failed = eventually(20, || async {
        let list = deliveries(&admin, &query).await;
        list.into_iter().find(|d| d["status"] == "failed")
    })
    .await
    .expect("both attempts made and the delivery failed");
    assert_eq!(failed["last_status_code"], 307, "{failed}");
    assert_eq!(failed["attempts"], 2);
    assert!(target.nothing_more().await, "the redirect's target heard nothing");
}
