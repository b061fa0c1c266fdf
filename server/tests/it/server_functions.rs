//! The panels' server functions: applying, approving, pricing, the
//! reseller's catalogue, who may call what, and provisioning secrecy.

use crate::helpers::{Receiver, TestApp, error_code, get_page, order_body, spawn_app};
use app::{
    catalog::server_fns::{AdminListProducts, AdminProduct, SaveProduct},
    dashboard::server_fns::MyDashboard,
    orders::server_fns::MyOrder,
    price_book::server_fns::{AdminPriceBook, AdminPriceHistory, MyCatalog, PreviewDerive, SavePriceRow},
    resellers::server_fns::{ApplyToProgram, MyProgram, ResellerAction, UpdateResellerSettings},
    services::server_fns::MyServices,
    webhooks::server_fns::MyDeliveries,
};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn catalog(app: &TestApp, client: &reqwest::Client) -> Value {
    json_of(app.call::<MyCatalog>(client, &[]).await).await
}

#[tokio::test]
async fn apply_approve_price_show_disable_hide() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    app.client_account("client@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let client = app.signed_in("portal", "client@example.com").await;
    let admin = app.admin().await;
    let product = admin.product("vps-e", Some("20.00"), None).await;

    // Apply.
    let applied = json_of(
        app.call::<ApplyToProgram>(
            &client,
            &[
                ("company_name", "Client Co"),
                ("website", "https://client.example"),
                ("message", "Hi"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(applied["status"], "pending");
    let reseller = applied["id"].as_str().unwrap().to_owned();
    let again = app
        .call::<ApplyToProgram>(&client, &[("company_name", "Client Co")])
        .await;
    assert_eq!(error_code(again).await, (409, "already_applied".to_owned()));
    let program = json_of(app.call::<MyProgram>(&client, &[]).await).await;
    assert_eq!(program["reseller"]["status"], "pending");
    assert_eq!(
        catalog(&app, &client).await["items"],
        json!([]),
        "pending: no catalogue"
    );

    // Approve, then price with "derive from retail" (default discount 10 %).
    json_of(
        app.call::<UpdateResellerSettings>(
            &operator,
            &[
                ("reseller_id", &reseller),
                ("api_enabled", "on"),
                ("rate_limit", "1000"),
                ("default_discount_rate", "10"),
            ],
        )
        .await,
    )
    .await;
    let approved = json_of(
        app.call::<ResellerAction>(&operator, &[("reseller_id", &reseller), ("action", "approve")])
            .await,
    )
    .await;
    assert_eq!(approved["status"], "active");
    let derived = json_of(
        app.call::<PreviewDerive>(
            &operator,
            &[
                ("reseller_id", &reseller),
                ("product_id", &product),
                ("discount_rate_override", ""),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(derived, json!({ "monthly": "18.00" }));
    assert_eq!(
        catalog(&app, &client).await["items"],
        json!([]),
        "previewing saves nothing"
    );
    let row = [
        ("reseller_id", reseller.as_str()),
        ("product_id", product.as_str()),
        ("wholesale_monthly", "18.00"),
        ("wholesale_setup_fee", "5.00"),
        ("is_enabled", "on"),
        ("max_quantity", "4"),
    ];
    json_of(app.call::<SavePriceRow>(&operator, &row).await).await;
    let items = catalog(&app, &client).await["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["prices"], json!({ "monthly": "18.00" }));
    assert_eq!(items[0]["setup_fee"], "5.00");
    assert_eq!(items[0]["max_quantity"], 4);
    assert_eq!(items[0]["units_held"], 0);

    // Disable the row (the checkbox is absent): hidden, but the prices stay.
    let disabled: Vec<_> = row.iter().filter(|(k, _)| *k != "is_enabled").cloned().collect();
    json_of(app.call::<SavePriceRow>(&operator, &disabled).await).await;
    assert_eq!(catalog(&app, &client).await["items"], json!([]));
    let book = json_of(
        app.call::<AdminPriceBook>(&operator, &[("reseller_id", &reseller)])
            .await,
    )
    .await;
    assert_eq!(book["lines"][0]["row"]["prices"]["monthly"], "18.00");
    let history = json_of(
        app.call::<AdminPriceHistory>(&operator, &[("reseller_id", &reseller)])
            .await,
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 2);

    // Suspended: read-only catalogue is shown again once re-enabled; terminated: nothing.
    json_of(app.call::<SavePriceRow>(&operator, &row).await).await;
    json_of(
        app.call::<ResellerAction>(
            &operator,
            &[("reseller_id", &reseller), ("action", "suspend"), ("reason", "late")],
        )
        .await,
    )
    .await;
    assert_eq!(catalog(&app, &client).await["items"].as_array().unwrap().len(), 1);
    json_of(
        app.call::<ResellerAction>(
            &operator,
            &[("reseller_id", &reseller), ("action", "terminate"), ("reason", "gone")],
        )
        .await,
    )
    .await;
    assert_eq!(catalog(&app, &client).await["items"], json!([]));
}

#[tokio::test]
async fn inactive_products_and_unpriced_rows_are_not_in_the_catalogue() {
    let app = spawn_app().await;
    app.client_account("client@example.com").await;
    let client = app.signed_in("portal", "client@example.com").await;
    let admin = app.admin().await;
    let a = admin.product("prod-a", Some("10"), None).await;
    let b = admin.product("prod-b", Some("10"), None).await;
    let c = admin.product("prod-c", Some("10"), None).await;
    let applied = json_of(
        app.call::<ApplyToProgram>(&client, &[("company_name", "Client Co")])
            .await,
    )
    .await;
    let reseller = applied["id"].as_str().unwrap().to_owned();
    admin.post(&format!("/resellers/{reseller}/approve"), json!({})).await;
    for p in [&a, &b] {
        admin
            .put(
                &format!("/resellers/{reseller}/products/{p}"),
                json!({ "wholesale_monthly": "9" }),
            )
            .await;
    }
    admin
        .put(&format!("/resellers/{reseller}/products/{c}"), json!({}))
        .await; // prices nothing
    let (status, _) = admin
        .put(
            &format!("/products/{b}"),
            json!({ "name": "B", "slug": "prod-b", "kind": "vps", "is_active": false }),
        )
        .await;
    assert_eq!(status, 200);
    let items = catalog(&app, &client).await["items"].clone();
    let ids: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str()]);
}

#[tokio::test]
async fn each_reseller_sees_only_its_own_catalogue() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product_a = admin.product("only-a", Some("10"), None).await;
    let product_b = admin.product("only-b", Some("10"), None).await;
    let mut clients = Vec::new();
    for (email, product) in [("a@example.com", &product_a), ("b@example.com", &product_b)] {
        app.client_account(email).await;
        let client = app.signed_in("portal", email).await;
        let applied = json_of(app.call::<ApplyToProgram>(&client, &[("company_name", email)]).await).await;
        let reseller = applied["id"].as_str().unwrap().to_owned();
        admin.post(&format!("/resellers/{reseller}/approve"), json!({})).await;
        admin
            .put(
                &format!("/resellers/{reseller}/products/{product}"),
                json!({ "wholesale_monthly": "7" }),
            )
            .await;
        clients.push((client, product.clone()));
    }
    for (client, product) in &clients {
        let items = catalog(&app, client).await["items"].clone();
        assert_eq!(items.as_array().unwrap().len(), 1);
        assert_eq!(items[0]["id"], product.as_str());
    }
}

/// A planted secret must never appear in anything a reseller can read.
#[tokio::test]
async fn provisioning_settings_never_reach_resellers() {
    const SECRET: &str = "s3cr3t-root-password-4f9a";
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    app.client_account("client@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let client = app.signed_in("portal", "client@example.com").await;
    let admin = app.admin().await;
    let (status, product) = admin
        .post(
            "/products",
            json!({
                "name": "Secret VPS", "slug": "secret-vps", "kind": "vps", "retail_monthly": "10",
                "provisioning": { "module": "manual", "settings": { "host": "pve9.internal", "root_password": SECRET } }
            }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(product["has_provisioning"], true);
    assert!(
        !product.to_string().contains(SECRET),
        "the admin API does not echo it either"
    );
    let product = product["id"].as_str().unwrap().to_owned();
    let applied = json_of(
        app.call::<ApplyToProgram>(&client, &[("company_name", "Client Co")])
            .await,
    )
    .await;
    let reseller = applied["id"].as_str().unwrap().to_owned();
    admin.post(&format!("/resellers/{reseller}/approve"), json!({})).await;
    admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "9" }),
        )
        .await;
    // Something to show on every page: webhooks to a receiver, a key, an
    // order with its service and customer.
    let mut receiver = Receiver::start().await;
    let partner = admin.partner_for(&app, &reseller, "orders").await;
    let (status, _) = admin
        .put(
            &format!("/resellers/{reseller}/webhook"),
            json!({ "url": receiver.url }),
        )
        .await;
    assert_eq!(status, 200);
    let order = partner.order(&order_body("c-secret", &product, "monthly", 1)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let month = {
        let now = time::OffsetDateTime::now_utc();
        format!("{:04}-{:02}", now.year(), u8::from(now.month()))
    };

    // Positive control: the operator's product page shows it.
    let detail = json_of(app.call::<AdminProduct>(&operator, &[("id", &product)]).await).await;
    assert!(detail.to_string().contains(SECRET));

    // (what, output, whether it must name the product)
    let mut outputs: Vec<(String, String, bool)> = Vec::new();
    let calls: [(&str, reqwest::Response, bool); 6] = [
        ("MyCatalog", app.call::<MyCatalog>(&client, &[]).await, true),
        ("MyProgram", app.call::<MyProgram>(&client, &[]).await, false),
        (
            "MyOrder",
            app.call::<MyOrder>(&client, &[("id", &order_id)]).await,
            true,
        ),
        ("MyServices", app.call::<MyServices>(&client, &[]).await, true),
        ("MyDashboard", app.call::<MyDashboard>(&client, &[]).await, false),
        ("MyDeliveries", app.call::<MyDeliveries>(&client, &[]).await, false),
    ];
    for (name, response, names_it) in calls {
        outputs.push((name.to_owned(), json_of(response).await.to_string(), names_it));
    }
    for (page, names_it) in [
        ("/portal".to_owned(), false),
        ("/portal/products".to_owned(), true),
        ("/portal/program".to_owned(), false),
        ("/portal/orders".to_owned(), false),
        (format!("/portal/orders/{order_id}"), true),
        ("/portal/services".to_owned(), true),
        ("/portal/customers".to_owned(), false),
        ("/portal/billing".to_owned(), false),
        (format!("/portal/billing/statements/{month}"), false),
        ("/portal/api-settings".to_owned(), false),
        ("/portal/api-settings/webhook".to_owned(), false),
        ("/portal/api-settings/deliveries".to_owned(), false),
        ("/portal/api-settings/requests".to_owned(), false),
        ("/portal/api-settings/guide".to_owned(), false),
    ] {
        let response = get_page(|| client.get(app.url(&page))).await;
        assert_eq!(response.status(), 200, "{page}");
        outputs.push((page, response.text().await.unwrap(), names_it));
    }
    for (path, names_it) in [
        ("/products".to_owned(), true),
        ("/orders".to_owned(), true),
        (format!("/orders/{order_id}"), true),
        ("/services".to_owned(), true),
        ("/me".to_owned(), false),
    ] {
        let r = partner.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        outputs.push((format!("GET /api/v1{path}"), r.body.to_string(), names_it));
    }
    // order.created and service.created at least.
    for hook in receiver.collect(2, 10).await {
        outputs.push(("a webhook".to_owned(), hook.body.clone(), true));
    }
    assert!(
        outputs.iter().filter(|o| o.0 == "a webhook").count() >= 2,
        "webhooks arrived"
    );
    for (what, output, names_it) in outputs {
        if names_it {
            assert!(
                output.contains("Secret VPS") || output.contains(&product),
                "{what} shows the product (positive control): {output}"
            );
        }
        assert!(!output.contains(SECRET), "secret leaked in {what}: {output}");
        assert!(
            !output.contains("pve9.internal"),
            "provisioning host leaked in {what}: {output}"
        );
    }
}

#[tokio::test]
async fn operators_create_and_edit_products_keeping_provisioning_unless_replaced() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let created = json_of(
        app.call::<SaveProduct>(
            &operator,
            &[
                ("name", "Game 8 GB"),
                ("slug", "game-8gb"),
                ("kind", "game_server"),
                ("is_active", "on"),
                ("retail_monthly", "24"),
                ("retail_setup_fee", ""),
                ("provisioning_module", "manual"),
                ("provisioning_settings", r#"{"node": "n1", "token": "abc"}"#),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        created["secret"],
        Value::Null,
        "a manual product needs no signing secret"
    );
    let created = &created["product"];
    assert_eq!(created["retail"], json!({ "monthly": "24.00" }));
    assert_eq!(created["retail_setup_fee"], "0.00");
    let id = created["id"].as_str().unwrap().to_owned();

    // Edit without provisioning fields: the stored settings stay.
    let form = [
        ("id", id.as_str()),
        ("name", "Game 8 GB"),
        ("slug", "game-8gb"),
        ("kind", "game_server"),
        ("retail_monthly", "22"),
    ];
    json_of(app.call::<SaveProduct>(&operator, &form).await).await;
    let detail = json_of(app.call::<AdminProduct>(&operator, &[("id", &id)]).await).await;
    assert_eq!(detail["product"]["is_active"], false, "unticked box: inactive");
    assert_eq!(detail["product"]["retail"]["monthly"], "22.00");
    assert_eq!(detail["provisioning"]["settings"]["token"], "abc");

    // Refusals: a taken slug, bad JSON, a bad amount; nothing changes.
    let other = [("name", "Other"), ("slug", "game-8gb"), ("kind", "vps")];
    assert_eq!(
        error_code(app.call::<SaveProduct>(&operator, &other).await).await,
        (409, "slug_taken".into())
    );
    let bad_json = [
        ("name", "X"),
        ("slug", "x-1"),
        ("kind", "vps"),
        ("provisioning_module", "manual"),
        ("provisioning_settings", "[1]"),
    ];
    assert_eq!(
        error_code(app.call::<SaveProduct>(&operator, &bad_json).await).await.1,
        "validation_failed"
    );
    let bad_amount = [
        ("id", id.as_str()),
        ("name", "G"),
        ("slug", "game-8gb"),
        ("kind", "vps"),
        ("retail_monthly", "1,5"),
    ];
    assert_eq!(
        error_code(app.call::<SaveProduct>(&operator, &bad_amount).await)
            .await
            .1,
        "validation_failed"
    );
    let list = json_of(app.call::<AdminListProducts>(&operator, &[]).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["retail"]["monthly"], "22.00");
}

/// Every registered server function is served under `SERVER_FN_PREFIX`
/// (the one place the panels' request limits, session errors and
/// `/api/v1` apart rely on); `#[server]` takes its prefix as a literal, so
/// a function written without it, or with another, fails here.
#[test]
fn every_server_function_is_served_under_the_prefix() {
    let paths: Vec<(&str, _)> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        paths.len() >= 40,
        "the panels' functions are registered: {}",
        paths.len()
    );
    let prefix = format!("{}/", app::SERVER_FN_PREFIX);
    for (path, method) in paths {
        assert!(path.starts_with(&prefix), "{path} is not under {prefix}");
        assert_eq!(method, http::Method::POST, "{path}");
    }
}
