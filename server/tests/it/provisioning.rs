//! Provisioning modules: an `http` product's services come to life
//! through the operator's endpoint (signed calls, retries, 202 and a later
//! report, failures and "Retry now"), one action at a time per service and
//! in order; renewals and payments send `suspend` and `unsuspend`; and
//! nothing of the product's settings, secret or the endpoint's answers
//! reaches a reseller.

use crate::helpers::{
    Admin, Endpoint, PartnerClient, Received, Receiver, Reply, TestApp, count, details_for, eventually, order_body,
    spawn_app_with,
};
use app::timestamp::Timestamp;
use serde_json::{Value, json};
use std::time::Duration;

const SETTING: &str = "pve-token-7f3a-never-shown";

/// The app with a one-second retry schedule of `retries` steps and a
/// one-second provisioning timeout.
async fn app(retries: usize) -> TestApp {
    spawn_app_with(move |c| {
        c.webhook_retry_schedule = vec![Duration::from_secs(1); retries];
        c.worker_heartbeat = Duration::from_secs(1);
        c.provisioning_timeout = Duration::from_secs(1);
    })
    .await
}

/// An active reseller with webhooks to `receiver`, priced for an `http`
/// product calling `endpoint`. Returns the partner, its webhook secret,
/// the product and the product's provisioning secret.
async fn setup(
    app: &TestApp,
    admin: &Admin,
    receiver: &Receiver,
    endpoint: &Endpoint,
) -> (PartnerClient, String, String, String) {
    let reseller = admin.reseller("prov@example.com", "active").await;
    setup_for(app, admin, receiver, endpoint, &reseller).await
}

/// [`setup`] for an existing active `reseller`.
async fn setup_for(
    app: &TestApp,
    admin: &Admin,
    receiver: &Receiver,
    endpoint: &Endpoint,
    reseller: &str,
) -> (PartnerClient, String, String, String) {
    let reseller = reseller.to_owned();
    let (partner, webhook_secret, _) =
        crate::webhooks::partner_of(&app.url(""), admin, receiver, &reseller, "p-plain").await;
    let (status, product) = admin
        .post(
            "/products",
            json!({
                "name": "Auto VPS", "slug": "auto-vps", "kind": "vps", "retail_monthly": "20.00",
                "provisioning": { "module": "http", "url": endpoint.url, "settings": { "node": "pve1", "token": SETTING } }
            }),
        )
        .await;
    assert_eq!(status, 201, "{product}");
    assert_eq!(product["provisioning"]["module"], "http");
    let secret = product["provisioning"]["secret"]
        .as_str()
        .expect("the signing secret, shown once")
        .to_owned();
    let id = product["id"].as_str().unwrap().to_owned();
    let (status, again) = admin.get(&format!("/products/{id}")).await;
    assert_eq!(status, 200);
    assert!(again["provisioning"].get("secret").is_none(), "shown once: {again}");
    assert_eq!(again["provisioning"]["has_secret"], true);
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/products/{id}"),
            json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (partner, webhook_secret, id, secret)
}

fn verify(secret: &str, r: &Received) -> Value {
    standardwebhooks::Webhook::new(secret)
        .expect("secret parses")
        .verify(r.body.as_bytes(), &r.headers)
        .unwrap_or_else(|e| panic!("the call's signature does not verify: {e:?}"));
    r.json()
}

async fn order_one(partner: &PartnerClient, product: &str, customer: &str) -> String {
    let order = partner.order(&order_body(customer, product, "monthly", 1)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    order.body["service_ids"][0].as_str().unwrap().to_owned()
}

async fn service(partner: &PartnerClient, id: &str) -> Value {
    let s = partner.get(&format!("/services/{id}")).await;
    assert_eq!(s.status, 200, "{}", s.body);
    s.body
}

/// Waits until the service's provisioning reaches `state` for `action`.
async fn wait_for(partner: &PartnerClient, id: &str, action: &str, state: &str) -> Value {
    eventually(15, || async {
        let s = service(partner, id).await;
        (s["provisioning"]["action"] == action && s["provisioning"]["state"] == state).then_some(s)
    })
    .await
    .unwrap_or_else(|| panic!("{id}: {action} never {state}"))
}

async fn actions_of(admin: &Admin, service: &str) -> Vec<Value> {
    let (status, body) = admin.get(&format!("/provisioning-actions?service_id={service}")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// The webhook event of `event_type` about `service`: from `seen` (what
/// was received before), or the next ones received (kept in `seen`).
async fn event_about(receiver: &mut Receiver, seen: &mut Vec<Value>, event_type: &str, service: &str) -> Value {
    let matches = |e: &Value| e["type"] == event_type && e["data"]["id"] == service;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(e) = seen.iter().find(|e| matches(e)) {
            return e.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no {event_type} for {service}");
        if let Some(r) = receiver.next(1).await {
            seen.push(r.json());
        }
    }
}

#[tokio::test]
async fn an_order_for_an_http_product_comes_to_life_with_its_details() {
    let app = app(3).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, secret) = setup(&app, &admin, &receiver, &endpoint).await;
    let order = partner.order(&order_body("c-auto", &product, "monthly", 2)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let ids: Vec<String> = order.body["service_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();

    // One signed `create` per service, with what the endpoint needs.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let call = endpoint.next(10).await.expect("a create call");
        let body = verify(&secret, &call);
        assert_eq!(body["action"], "create");
        assert!(body["action_id"].as_str().unwrap().starts_with("pac_"));
        assert_eq!(call.headers["webhook-id"], body["action_id"].as_str().unwrap());
        assert_eq!(body["service"]["product"], "auto-vps");
        assert_eq!(body["service"]["term"], "monthly");
        assert_eq!(body["customer"]["external_id"], "c-auto");
        assert_eq!(body["reseller_id"], partner.reseller_id.as_str());
        assert_eq!(body["settings"]["token"], SETTING, "the endpoint gets the settings");
        seen.push(body["service"]["id"].as_str().unwrap().to_owned());
    }
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected);

    let mut seen_events = Vec::new();
    for id in &ids {
        let s = wait_for(&partner, id, "create", "done").await;
        assert_eq!(s["status"], "active", "{s}");
        assert_eq!(s["details"], details_for(id));
        let activated = event_about(&mut receiver, &mut seen_events, "service.activated", id).await;
        assert_eq!(activated["data"]["details"], details_for(id));
        assert_eq!(activated["data"]["provisioning"]["state"], "done");
    }
    assert!(endpoint.nothing_more().await, "one call per service");
}

#[tokio::test]
async fn failures_and_a_timeout_are_retried_under_one_action_id() {
    let app = app(5).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, secret) = setup(&app, &admin, &receiver, &endpoint).await;
    endpoint.script(&[
        Reply::status(500),
        Reply::Hang(Duration::from_secs(3)),
        Reply::status(500),
    ]);
    let id = order_one(&partner, &product, "c-retry").await;
    let mut action_ids = Vec::new();
    for _ in 0..4 {
        let call = endpoint.next(15).await.expect("an attempt");
        action_ids.push(verify(&secret, &call)["action_id"].as_str().unwrap().to_owned());
    }
    action_ids.dedup();
    assert_eq!(action_ids.len(), 1, "the same action_id on every attempt");
    let s = wait_for(&partner, &id, "create", "done").await;
    assert_eq!(s["status"], "active");
    let actions = actions_of(&admin, &id).await;
    assert_eq!(actions.len(), 1, "one action");
    let (status, detail) = admin.get(&format!("/provisioning-actions/{}", action_ids[0])).await;
    assert_eq!(status, 200);
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 4, "{detail}");
    assert_eq!(detail["attempts"][0]["status_code"], 500);
    assert_eq!(detail["attempts"][1]["status_code"], Value::Null, "the timeout");
    assert!(
        detail["attempts"][1]["error"].as_str().unwrap().contains("timed out"),
        "{detail}"
    );
    assert_eq!(detail["state"], "done");
    event_about(&mut receiver, &mut Vec::new(), "service.activated", &id).await;
    let activations = count(
        &app.store,
        &format!("SELECT COUNT(*) FROM webhook_events WHERE event_type = 'service.activated' AND CAST(payload AS TEXT) LIKE '%{id}%'"),
    )
    .await;
    assert_eq!(activations, 1, "one activation");
    assert!(endpoint.nothing_more().await);
}

#[tokio::test]
async fn a_pending_answer_waits_for_the_endpoints_report() {
    let app = app(3).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, _) = setup(&app, &admin, &receiver, &endpoint).await;
    endpoint.script(&[Reply::pending()]);
    let id = order_one(&partner, &product, "c-202").await;
    endpoint.next(10).await.expect("the call");
    let s = wait_for(&partner, &id, "create", "running").await;
    assert_eq!(s["status"], "pending", "not active before the report");
    let action = actions_of(&admin, &id).await[0]["id"].as_str().unwrap().to_owned();
    eventually(10, || async {
        let (_, a) = admin.get(&format!("/provisioning-actions/{action}")).await;
        (a["state"] == "waiting").then_some(())
    })
    .await
    .expect("waiting for the report");

    // Bad reports change nothing.
    let (status, body) = admin
        .post(
            &format!("/provisioning-actions/{action}/done"),
            json!({ "details": { "ip": 7 } }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed")),
        "{body}"
    );
    let (status, body) = admin
        .post("/provisioning-actions/pac_01jd8x2m3n4p5q6r7s8t9v0w1x/done", json!({}))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, _) = admin.post("/provisioning-actions/nonsense/done", json!({})).await;
    assert_eq!(status, 404);

    let (status, done) = admin
        .post(
            &format!("/provisioning-actions/{action}/done"),
            json!({ "details": { "hostname": "late.vps.example" } }),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "done");
    let s = service(&partner, &id).await;
    assert_eq!(s["status"], "active");
    assert_eq!(s["details"]["hostname"], "late.vps.example");
    assert_eq!(s["provisioning"]["state"], "done");

    // A second report is a conflict, for either outcome.
    for (path, body) in [("done", json!({})), ("failed", json!({ "error": "late" }))] {
        let (status, answer) = admin
            .post(&format!("/provisioning-actions/{action}/{path}"), body)
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (409, Some("action_finished")),
            "{answer}"
        );
    }
    let (status, answer) = admin
        .post(&format!("/provisioning-actions/{action}/retry"), json!({}))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("action_finished")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_failed_action_waits_for_the_operator_and_retry_now_mends_it() {
    let app = app(1).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, _) = setup(&app, &admin, &receiver, &endpoint).await;
    endpoint.script(&[
        Reply::Answer(503, "node pve1 is down: secret-diagnostic-xyz".into()),
        Reply::status(502),
    ]);
    let id = order_one(&partner, &product, "c-fail").await;
    let s = wait_for(&partner, &id, "create", "failed").await;
    assert_eq!(s["status"], "pending", "a failed create leaves the service as it was");
    assert!(
        !s.to_string().contains("secret-diagnostic"),
        "the endpoint's answer is the operator's"
    );
    let (status, failed) = admin
        .get(&format!(
            "/provisioning-actions?state=failed&reseller_id={}",
            partner.reseller_id
        ))
        .await;
    assert_eq!(status, 200);
    let rows = failed["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{failed}");
    assert_eq!(rows[0]["service_id"], id.as_str());
    assert_eq!(rows[0]["attempts"], 2);
    let action = rows[0]["id"].as_str().unwrap().to_owned();
    let (_, detail) = admin.get(&format!("/provisioning-actions/{action}")).await;
    assert!(
        detail.to_string().contains("secret-diagnostic-xyz"),
        "the operator reads it: {detail}"
    );

    // The endpoint is mended: "Retry now" succeeds.
    let (status, retried) = admin
        .post(&format!("/provisioning-actions/{action}/retry"), json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    let s = wait_for(&partner, &id, "create", "done").await;
    assert_eq!(s["status"], "active");
    let (_, audit) = admin.get("/audit-log?action=provisioning_action.retry").await;
    assert_eq!(audit["data"][0]["subject_id"], action.as_str(), "{audit}");
    for _ in 0..3 {
        endpoint.next(5).await.expect("two attempts and the retry");
    }
}

#[tokio::test]
async fn a_terminate_never_overtakes_its_create() {
    let app = app(3).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, secret) = setup(&app, &admin, &receiver, &endpoint).await;
    endpoint.script(&[Reply::status(500), Reply::status(500)]);
    let id = order_one(&partner, &product, "c-order").await;
    let first = endpoint.next(10).await.expect("the first create attempt");
    assert_eq!(verify(&secret, &first)["action"], "create");
    // The create is being retried: the operator terminates the service.
    let (status, body) = admin.post(&format!("/services/{id}/terminate"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["provisioning"]["action"], "terminate");
    assert_eq!(body["provisioning"]["state"], "queued");
    let mut order = Vec::new();
    for _ in 0..3 {
        let Some(call) = endpoint.next(15).await else {
            panic!("after {order:?}: {:#}", json!(actions_of(&admin, &id).await));
        };
        order.push(verify(&secret, &call)["action"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        order,
        ["create", "create", "terminate"],
        "the terminate waits for the create to end"
    );
    let s = wait_for(&partner, &id, "terminate", "done").await;
    assert_eq!(s["status"], "terminated");
    assert!(endpoint.nothing_more().await);
}

/// An unpaid renewal sends `suspend`; the payment that restores the
/// service sends `unsuspend`; the reseller's own suspension sends nothing
/// (its end clients keep running).
#[tokio::test]
async fn unpaid_renewals_and_payments_suspend_and_restore_servers() {
    let app = app(3).await;
    let clock = app.store.clock().clone();
    clock.set(Timestamp::now().minus(time::Duration::days(100)));
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (partner, _, product, secret) = setup(&app, &admin, &receiver, &endpoint).await;
    let r = partner.reseller_id.clone();
    let (status, body) = admin
        .patch(&format!("/resellers/{r}"), json!({ "credit_limit": "0.00" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin
        .post(
            &format!("/resellers/{r}/payments"),
            json!({ "amount": "15.00", "reference": "first" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = order_one(&partner, &product, "c-unpaid").await;
    let s = wait_for(&partner, &id, "create", "done").await;
    assert_eq!(verify(&secret, &endpoint.next(5).await.unwrap())["action"], "create");
    let due = Timestamp::parse_rfc3339(s["next_renewal_at"].as_str().unwrap()).unwrap();

    clock.set(due.plus(time::Duration::minutes(1)));
    app.renew_all(app.store.now()).await;
    let call = endpoint.next(10).await.expect("a suspend call");
    let body = verify(&secret, &call);
    assert_eq!(
        (body["action"].as_str(), body["service"]["id"].as_str()),
        (Some("suspend"), Some(id.as_str()))
    );
    let s = wait_for(&partner, &id, "suspend", "done").await;
    assert_eq!(
        (s["status"].as_str(), s["suspension_reason"].as_str()),
        (Some("suspended"), Some("unpaid"))
    );

    let (status, body) = admin
        .post(
            &format!("/resellers/{r}/payments"),
            json!({ "amount": "20.00", "reference": "catch up" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let call = endpoint.next(10).await.expect("an unsuspend call");
    assert_eq!(verify(&secret, &call)["action"], "unsuspend");
    let s = wait_for(&partner, &id, "unsuspend", "done").await;
    assert_eq!(s["status"], "active");

    // The reseller's own suspension touches no service.
    let (status, body) = admin
        .post(&format!("/resellers/{r}/suspend"), json!({ "reason": "paperwork" }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(endpoint.nothing_more().await, "a reseller's suspension sends nothing");
    assert_eq!(actions_of(&admin, &id).await.len(), 3);
}

/// The product's settings, its signing secret and the endpoint's answers
/// are the operator's: none reaches a reseller through the partner API,
/// the portal's pages and server functions, or its webhooks. Positive
/// controls: each place shows the service (and its details) it is about.
#[tokio::test]
async fn a_reseller_never_sees_settings_secret_or_answers() {
    const ANSWER: &str = "internal-answer-3c9e";
    let app = app(1).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let mut endpoint = Endpoint::start().await;
    let (client, reseller) = app.active_client("leak@example.com").await;
    let (partner, _, product, secret) = setup_for(&app, &admin, &receiver, &endpoint, &reseller).await;
    endpoint.script(&[Reply::Answer(500, format!("{ANSWER} token={SETTING}"))]);
    let id = order_one(&partner, &product, "c-leak").await;
    let s = wait_for(&partner, &id, "create", "done").await;
    assert_eq!(s["details"], details_for(&id));
    endpoint.next(5).await.unwrap();
    let secret_key = secret.trim_start_matches("whsec_").to_owned();
    let leaks = |what: &str, text: &str| {
        for planted in [SETTING, ANSWER, secret_key.as_str()] {
            assert!(!text.contains(planted), "{what} shows {planted}");
        }
    };

    // The partner API.
    for path in [
        format!("/services/{id}"),
        "/services".to_owned(),
        "/products".to_owned(),
    ] {
        let r = partner.get(&path).await;
        assert_eq!(r.status, 200);
        assert!(
            r.body.to_string().contains(&id) || path == "/products",
            "{path} names the service"
        );
        leaks(&path, &r.body.to_string());
    }
    // Webhooks.
    let mut events = Vec::new();
    while let Some(r) = receiver.next(2).await {
        events.push(r.body);
    }
    assert!(
        events
            .iter()
            .any(|e| e.contains("service.activated") && e.contains("10.0.0.7")),
        "{events:?}"
    );
    for e in &events {
        leaks("a webhook", e);
    }
    // The portal.
    for page in [
        "/portal/services",
        &format!("/portal/services/{id}"),
        "/portal/products",
        "/portal",
    ] {
        let response = crate::helpers::get_page(|| client.get(app.url(page))).await;
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Auto VPS") || html.contains(&id),
            "{page} rendered the service or product"
        );
        leaks(page, &html);
    }
    let services = app.call::<app::services::server_fns::MyServices>(&client, &[]).await;
    assert_eq!(services.status(), 200);
    let text = services.text().await.unwrap();
    assert!(text.contains("10.0.0.7"), "the details are the reseller's");
    leaks("MyServices", &text);
}

/// At least once, at the endpoint's view once: the server dies (SIGKILL)
/// with `create` calls in flight; after a restart every action completes,
/// each under the `action_id` it was first sent with, and no service is
/// left running.
#[tokio::test]
async fn kill_9_with_actions_in_flight_then_restart_completes_each_once() {
    use crate::helpers::{ServerProcess, TestDb};
    let db = TestDb::new().await;
    let mut endpoint = Endpoint::start().await;
    let receiver = Receiver::start().await;
    let token = ServerProcess::admin_token(&db);
    let mut server = ServerProcess::start(&db, &[("FLUX_PROVISIONING_TIMEOUT_SECS", "30")]).await;
    let admin = Admin::new(format!("{}/api/admin/v1", server.base), token);
    let reseller = admin.reseller("kill9-prov@example.com", "active").await;
    let (partner, _, _) = crate::webhooks::partner_of(&server.base, &admin, &receiver, &reseller, "p-k9").await;
    let (status, product) = admin
        .post(
            "/products",
            json!({
                "name": "K9 VPS", "slug": "k9-vps", "kind": "vps", "retail_monthly": "20.00",
                "provisioning": { "module": "http", "url": endpoint.url }
            }),
        )
        .await;
    assert_eq!(status, 201, "{product}");
    let product = product["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    assert_eq!(status, 200);
    endpoint.script(&vec![Reply::Hang(Duration::from_secs(120)); 3]);
    let order = partner.order(&order_body("c-k9", &product, "monthly", 3)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let mut first_ids = std::collections::HashSet::new();
    for _ in 0..3 {
        let call = endpoint.next(15).await.expect("three calls in flight");
        first_ids.insert(call.json()["action_id"].as_str().unwrap().to_owned());
    }
    server.kill();
    server.restart(&db).await;
    let services: Vec<String> = order.body["service_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let done = eventually(60, || async {
        let mut all = Vec::new();
        for id in &services {
            let s = partner.get(&format!("/services/{id}")).await.body;
            if s["status"] != "active" || s["provisioning"]["state"] != "done" {
                return None;
            }
            all.push(s);
        }
        Some(all)
    })
    .await;
    server.kill();
    assert!(done.is_some(), "every create completed after the restart");
    let mut again = std::collections::HashSet::new();
    while let Some(call) = endpoint.next(1).await {
        again.insert(call.json()["action_id"].as_str().unwrap().to_owned());
    }
    assert!(
        again.is_subset(&first_ids),
        "retried under the same action_ids: {again:?} vs {first_ids:?}"
    );
    assert_eq!(again.len(), 3, "each action was sent again after the restart");
}
