//! The portal's API Settings (keys, webhook, deliveries, requests: server
//! functions and rendered HTML), an API order then shown on every portal
//! page, and the operator's API log views and export.

use crate::helpers::{TestApp, browser, error_code, get_page, order_body, spawn_app, spawn_app_with};
use app::{
    api_access::server_fns::{
        GenerateApiKey, MyApiSettings, RevealWebhookSecret, RevokeApiKey, RotateWebhookSecret, SaveWebhookUrl,
    },
    api_log::server_fns::{AdminApiLogs, MyApiRequests},
    customers::server_fns::MyCustomers,
    dashboard::server_fns::MyDashboard,
    orders::server_fns::{MyOrder, MyOrders},
    resellers::server_fns::ApplyToProgram,
    services::server_fns::MyServices,
    webhooks::server_fns::{AdminDeliveries, MyDeliveries, MyDelivery, SendTestEvent},
};
use serde_json::{Value, json};

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The page's `<main>`, for a failure message.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html[start..].find("</main>").map_or(html.len(), |e| start + e);
    &html[start..end]
}

async fn active_client(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    app.active_client(email).await
}

#[tokio::test]
async fn keys_and_webhook_from_api_settings_then_an_api_order_shows_on_every_page() {
    let app = spawn_app().await;
    // "This month" on the Dashboard: the order and the page in one day.
    crate::helpers::clear_of_midnight(app.store.clock());
    let admin = app.admin().await;
    let (client, reseller) = active_client(&app, "r@example.com").await;
    let product = admin.product("vps-w", Some("10.00"), None).await;
    admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await;

    // A key, shown once; listed by prefix afterwards.
    let issued = ok(app
        .call::<GenerateApiKey>(&client, &[("name", "shop"), ("scope", "orders")])
        .await)
    .await;
    let key = issued["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("flux_key_"));
    let settings = ok(app.call::<MyApiSettings>(&client, &[]).await).await;
    assert_eq!(settings["keys"][0]["prefix"], issued["prefix"]);
    assert!(!settings.to_string().contains(&key), "the key is never shown again");
    assert!(settings["endpoint"]["secret"].is_null());

    // Webhook URL: creates and reveals the secret; reveal shows it again.
    let endpoint = ok(app
        .call::<SaveWebhookUrl>(&client, &[("url", "http://127.0.0.1:9/hook")])
        .await)
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let revealed = ok(app.call::<RevealWebhookSecret>(&client, &[]).await).await;
    assert_eq!(revealed["secret"], secret.as_str());

    // An order placed through the API, signed with that secret.
    let partner = admin_partner_with(&app, &reseller, &key, &secret);
    let placed = partner.order(&order_body("web-1", &product, "monthly", 2)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    app.api_log.flush().await;

    let orders = ok(app.call::<MyOrders>(&client, &[]).await).await;
    assert_eq!(orders["page"]["data"][0]["id"], order_id.as_str());
    let detail = ok(app.call::<MyOrder>(&client, &[("id", &order_id)]).await).await;
    assert_eq!(detail["services"].as_array().unwrap().len(), 2);
    let services = ok(app.call::<MyServices>(&client, &[("status", "pending")]).await).await;
    assert_eq!(services["page"]["data"].as_array().unwrap().len(), 2);
    let customer = services["page"]["data"][0]["customer_id"].as_str().unwrap();
    assert_eq!(
        services["customer_names"],
        json!([[customer, "End Customer (web-1)"]]),
        "each customer named once"
    );
    let customers = ok(app.call::<MyCustomers>(&client, &[("search", "WEB")]).await).await;
    assert_eq!(customers["page"]["data"][0]["customer"]["external_id"], "web-1");
    assert_eq!(customers["page"]["data"][0]["services"].as_array().unwrap().len(), 2);
    let dash = ok(app.call::<MyDashboard>(&client, &[]).await).await;
    assert_eq!(dash["orders_this_month"], 1);
    assert_eq!(dash["spend_this_month"], "16.00");
    assert_eq!(dash["api_requests_24h"], 1);
    assert_eq!(dash["recent_orders"][0]["id"], order_id.as_str());
    let requests = ok(app.call::<MyApiRequests>(&client, &[]).await).await;
    assert_eq!(requests["data"][0]["path"], "/api/v1/orders");
    assert_eq!(requests["data"][0]["status"], 201);

    // The rendered pages (server-side, no JavaScript) show it too.
    for (page, needle) in [
        ("/portal/orders", order_id.as_str()),
        ("/portal/services", "8.00 EUR"),
        ("/portal/services", "End Customer (web-1)"),
        ("/portal/customers", "web-1"),
        ("/portal", "16.00 EUR"),
        ("/portal/api-settings/requests", "POST /api/v1/orders"),
        ("/portal/api-settings/deliveries", "order.created"),
    ] {
        let response = get_page(|| client.get(app.url(page))).await;
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(html.contains(needle), "{page} lacks {needle}: {}", main_of(&html));
    }
    page_has(&client, &app, &format!("/portal/orders/{order_id}"), "Line total").await;

    // Revoke: the key stops working.
    let prefix = issued["prefix"].as_str().unwrap();
    ok(app.call::<RevokeApiKey>(&client, &[("prefix", prefix)]).await).await;
    assert_eq!(partner.get("/me").await.status, 401);
}

fn admin_partner_with(app: &TestApp, reseller: &str, key: &str, secret: &str) -> crate::helpers::PartnerClient {
    use base64::Engine;
    crate::helpers::PartnerClient::new(
        app.url(""),
        key.to_owned(),
        base64::engine::general_purpose::STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .unwrap(),
        reseller.to_owned(),
    )
}

async fn page_has(client: &reqwest::Client, app: &TestApp, page: &str, needle: &str) {
    let response = get_page(|| client.get(app.url(page))).await;
    assert_eq!(response.status(), 200, "{page}");
    let html = response.text().await.unwrap();
    assert!(html.contains(needle), "{page} lacks {needle}");
}

#[tokio::test]
async fn api_settings_refusals() {
    let app = spawn_app_with(|c| c.webhook_allow_private = false).await;
    let (client, _) = active_client(&app, "r@example.com").await;
    for url in [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/x",
        "not a url",
        "https://user:pw@93.184.216.34/x",
    ] {
        let r = app.call::<SaveWebhookUrl>(&client, &[("url", url)]).await;
        assert_eq!(error_code(r).await, (422, "webhook_url_rejected".into()), "{url}");
    }
    let saved = ok(app
        .call::<SaveWebhookUrl>(&client, &[("url", "https://93.184.216.34/hooks")])
        .await)
    .await;
    assert_eq!(saved["url"], "https://93.184.216.34/hooks");
    let old = saved["secret"].as_str().unwrap().to_owned();

    // Rotation needs the confirmation box.
    let r = app.call::<RotateWebhookSecret>(&client, &[]).await;
    assert_eq!(error_code(r).await, (422, "validation_failed".into()));
    let rotated = ok(app.call::<RotateWebhookSecret>(&client, &[("confirm", "on")]).await).await;
    assert_ne!(rotated["secret"], old.as_str());

    let r = app
        .call::<GenerateApiKey>(&client, &[("name", "x"), ("scope", "admin")])
        .await;
    assert_eq!(error_code(r).await.1, "validation_failed");
    // Another reseller's key prefix is not found.
    let (other, _) = active_client(&app, "o@example.com").await;
    let theirs = ok(app
        .call::<GenerateApiKey>(&other, &[("name", ""), ("scope", "read")])
        .await)
    .await;
    let r = app
        .call::<RevokeApiKey>(&client, &[("prefix", theirs["prefix"].as_str().unwrap())])
        .await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    // A pending reseller cannot create keys.
    app.client_account("p@example.com").await;
    let pending = app.signed_in("portal", "p@example.com").await;
    ok(app
        .call::<ApplyToProgram>(&pending, &[("company_name", "Pending Co")])
        .await)
    .await;
    let r = app
        .call::<GenerateApiKey>(&pending, &[("name", ""), ("scope", "read")])
        .await;
    assert_eq!(error_code(r).await, (403, "reseller_not_active".into()));
    // A client that never applied has no working pages.
    app.client_account("n@example.com").await;
    let never = app.signed_in("portal", "n@example.com").await;
    assert_eq!(
        error_code(app.call::<MyOrders>(&never, &[]).await).await.1,
        "reseller_not_active"
    );
}

#[tokio::test]
async fn portal_reads_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (a, a_id) = active_client(&app, "a@example.com").await;
    let (b, _) = active_client(&app, "b@example.com").await;
    let product = admin.product("vps-s", Some("10"), None).await;
    admin
        .put(
            &format!("/resellers/{a_id}/products/{product}"),
            json!({ "wholesale_monthly": "8" }),
        )
        .await;
    let partner = admin.partner_for(&app, &a_id, "orders").await;
    let order = partner.order(&order_body("x", &product, "monthly", 1)).await.body;
    let order_id = order["id"].as_str().unwrap();
    ok(app.call::<MyOrder>(&a, &[("id", order_id)]).await).await;
    assert_eq!(
        error_code(app.call::<MyOrder>(&b, &[("id", order_id)]).await).await,
        (404, "not_found".into())
    );
    assert_eq!(ok(app.call::<MyOrders>(&b, &[]).await).await["page"]["data"], json!([]));
    assert_eq!(
        ok(app.call::<MyServices>(&b, &[]).await).await["page"]["data"],
        json!([])
    );
    assert_eq!(
        ok(app.call::<MyCustomers>(&b, &[]).await).await["page"]["data"],
        json!([])
    );
}

#[tokio::test]
async fn operators_browse_filter_and_export_the_api_log() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "p@example.com", "read").await;
    partner.get("/me").await;
    partner.with_key("flux_key_bad").get("/products").await;
    app.api_log.flush().await;
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;

    let all = ok(app.call::<AdminApiLogs>(&operator, &[]).await).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let refused = ok(app
        .call::<AdminApiLogs>(&operator, &[("code", "unauthenticated")])
        .await)
    .await;
    assert_eq!(refused["data"].as_array().unwrap().len(), 1);
    assert_eq!(refused["data"][0]["path"], "/api/v1/products");
    let mine = ok(app
        .call::<AdminApiLogs>(&operator, &[("reseller_id", &partner.reseller_id), ("status", "200")])
        .await)
    .await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    let future = ok(app.call::<AdminApiLogs>(&operator, &[("from", "2999-01-01")]).await).await;
    assert_eq!(future["data"], json!([]));
    assert_eq!(
        error_code(app.call::<AdminApiLogs>(&operator, &[("from", "yesterday")]).await)
            .await
            .1,
        "validation_failed"
    );

    // CSV export of the same filter; operators only.
    let csv = operator
        .get(app.url("/admin/api-logs.csv?code=unauthenticated"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,at,request_id"));
    assert!(lines[1].contains("/api/v1/products") && lines[1].contains("unauthenticated"));
    assert_eq!(
        browser()
            .get(app.url("/admin/api-logs.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    app.client_account("c@example.com").await;
    let client = app.signed_in("portal", "c@example.com").await;
    assert_eq!(
        client
            .get(app.url("/admin/api-logs.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        error_code(app.call::<AdminApiLogs>(&client, &[]).await).await.1,
        "forbidden"
    );

    // The admin API's view.
    let (status, page) = admin.get("/api-logs?status=401").await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_reseller_sees_only_its_own_webhook_deliveries() {
    let app = spawn_app().await;
    let (mine, _) = active_client(&app, "mine@example.com").await;
    let (theirs, _) = active_client(&app, "theirs@example.com").await;
    ok(app
        .call::<SaveWebhookUrl>(&mine, &[("url", "https://93.184.216.34/hooks")])
        .await)
    .await;
    ok(app.call::<SendTestEvent>(&mine, &[]).await).await;

    let listed = ok(app.call::<MyDeliveries>(&mine, &[]).await).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["event_type"], "webhook.test");
    let id = listed["data"][0]["id"].as_str().unwrap();
    let detail = ok(app.call::<MyDelivery>(&mine, &[("id", id)]).await).await;
    assert_eq!(detail["delivery"]["id"], id);

    // The other reseller: an empty list, and the id answers not found.
    let listed = ok(app.call::<MyDeliveries>(&theirs, &[]).await).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
    let r = app.call::<MyDelivery>(&theirs, &[("id", id)]).await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    // A client cannot use the operator's list; nobody anonymous can read either.
    let r = app.call::<AdminDeliveries>(&mine, &[]).await;
    assert_eq!(error_code(r).await.0, 403);
    let r = app.call::<MyDeliveries>(&browser(), &[]).await;
    assert_eq!(error_code(r).await.0, 401);
}

/// The ids of a page's rows.
fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].to_string())
        .collect()
}

#[tokio::test]
async fn api_settings_deliveries_and_requests_are_paged_filtered_and_the_callers_own() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (mine, reseller) = active_client(&app, "mine@example.com").await;
    let (theirs, _) = active_client(&app, "theirs@example.com").await;
    let product = admin.product("vps-pages", Some("10.00"), None).await;
    admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await;
    // Eleven orders (each an order.created and a service.created delivery
    // and one logged request), five reads, one unsigned order (401) and a
    // test event.
    let partner = admin.partner_for(&app, &reseller, "orders").await;
    for n in 0..11 {
        let placed = partner
            .order(&order_body(&format!("c-{n}"), &product, "monthly", 1))
            .await;
        assert_eq!(placed.status, 201, "{}", placed.body);
    }
    for _ in 0..5 {
        assert_eq!(partner.get("/me").await.status, 200);
    }
    let unsigned = partner.unsigned_order("unsigned-1").await;
    assert_eq!(unsigned.status, 401);
    ok(app.call::<SendTestEvent>(&mine, &[]).await).await;
    app.api_log.flush().await;

    // Deliveries: 23, twenty a page, newest first; the cursor goes on.
    let first = ok(app.call::<MyDeliveries>(&mine, &[]).await).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 20);
    assert_eq!(first["data"][0]["event_type"], "webhook.test");
    let deliveries_cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = ok(app.call::<MyDeliveries>(&mine, &[("before", &deliveries_cursor)]).await).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 3);
    assert!(second["next_cursor"].is_null());
    assert!(
        ids(&second).iter().all(|id| !ids(&first).contains(id)),
        "pages do not overlap"
    );
    // By event type, and by status (every row listed has it).
    let orders = ok(app
        .call::<MyDeliveries>(&mine, &[("event_type", "order.created")])
        .await)
    .await;
    assert_eq!(orders["data"].as_array().unwrap().len(), 11);
    let tests = ok(app
        .call::<MyDeliveries>(&mine, &[("event_type", "webhook.test"), ("status", "")])
        .await)
    .await;
    assert_eq!(tests["data"].as_array().unwrap().len(), 1);
    for status in ["pending", "succeeded", "failed"] {
        let rows = ok(app.call::<MyDeliveries>(&mine, &[("status", status)]).await).await;
        assert!(
            rows["data"].as_array().unwrap().iter().all(|d| d["status"] == status),
            "{status}: {rows}"
        );
    }
    // A bad filter is explained.
    let r = app.call::<MyDeliveries>(&mine, &[("status", "lost")]).await;
    assert_eq!(error_code(r).await, (422, "validation_failed".into()));
    let r = app.call::<MyDeliveries>(&mine, &[("event_type", "order.eaten")]).await;
    assert_eq!(error_code(r).await, (422, "validation_failed".into()));

    // Requests: 17, twenty a page; by status and by the path's beginning.
    let all = ok(app.call::<MyApiRequests>(&mine, &[]).await).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 17);
    assert!(all["next_cursor"].is_null());
    let refused = ok(app.call::<MyApiRequests>(&mine, &[("status", "401")]).await).await;
    assert_eq!(refused["data"].as_array().unwrap().len(), 1);
    assert_eq!(refused["data"][0]["path"], "/api/v1/orders");
    let reads = ok(app.call::<MyApiRequests>(&mine, &[("path", "/api/v1/me")]).await).await;
    assert_eq!(reads["data"].as_array().unwrap().len(), 5);
    let placed = ok(app
        .call::<MyApiRequests>(&mine, &[("path", "/api/v1/ord"), ("status", "201")])
        .await)
    .await;
    assert_eq!(placed["data"].as_array().unwrap().len(), 11);
    let upper = ok(app.call::<MyApiRequests>(&mine, &[("path", "/API/v1/me")]).await).await;
    assert_eq!(
        upper["data"].as_array().unwrap().len(),
        0,
        "paths match case-sensitively"
    );
    for _ in 0..5 {
        partner.get("/me").await;
    }
    app.api_log.flush().await;
    let first = ok(app.call::<MyApiRequests>(&mine, &[]).await).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 20);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = ok(app.call::<MyApiRequests>(&mine, &[("before", &cursor)]).await).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 2);
    assert!(
        ids(&second).iter().all(|id| !ids(&first).contains(id)),
        "pages do not overlap"
    );
    for (name, value, field) in [
        ("status", "abc", "status"),
        ("status", "99", "status"),
        ("path", "api/v1/me", "path"),
    ] {
        let r = app.call::<MyApiRequests>(&mine, &[(name, value)]).await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed", "{name}={value}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let long = format!("/{}", "a".repeat(300));
    let r = app.call::<MyApiRequests>(&mine, &[("path", &long)]).await;
    assert_eq!(error_code(r).await, (422, "validation_failed".into()));

    // The other reseller sees none of it, whatever it filters by or
    // wherever its cursor points.
    let listed = ok(app
        .call::<MyDeliveries>(&theirs, &[("event_type", "order.created")])
        .await)
    .await;
    assert_eq!(listed["data"], json!([]));
    let listed = ok(app
        .call::<MyDeliveries>(&theirs, &[("before", &deliveries_cursor)])
        .await)
    .await;
    assert_eq!(listed["data"], json!([]));
    let listed = ok(app.call::<MyApiRequests>(&theirs, &[("before", &cursor)]).await).await;
    assert_eq!(listed["data"], json!([]));
    let listed = ok(app.call::<MyApiRequests>(&theirs, &[("path", "/api/v1")]).await).await;
    assert_eq!(listed["data"], json!([]));
    let listed = ok(app.call::<MyServices>(&theirs, &[]).await).await;
    assert_eq!(listed["customer_names"], json!([]));
}
