//! What the server keeps, and for how long: retention, secrets at
//! rest and the key that opens them, what a reseller's pages may
//! name, exports that open safely in a spreadsheet.

use crate::helpers::{Receiver, count, eventually, order_body, spawn_app, spawn_app_with};
use app::timestamp::Timestamp;
use serde_json::{Value, json};
use server::{config::Config, startup::Application};
use std::time::Duration;

const DAY: time::Duration = time::Duration::days(1);

/// The hourly sweep purges request-log entries, attempts, finished
/// deliveries and their events older than the retention period; anything
/// younger, and deliveries still pending, stay.
#[tokio::test]
async fn the_sweep_purges_what_is_older_than_the_retention_period() {
    // A failed attempt is retried an hour later: such deliveries stay pending.
    let app = crate::webhooks::app(&[3600]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, product) = crate::webhooks::partner(&app.url(""), &admin, &receiver, "old@example.com").await;
    let placed = partner.order(&order_body("c-o", &product, "monthly", 2)).await;
    assert_eq!(placed.status, 201);
    assert_eq!(receiver.collect(3, 30).await.len(), 3, "three deliveries succeeded");
    eventually(30, || async {
        let done = count(
            &app.store,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'",
        )
        .await;
        (done == 3).then_some(())
    })
    .await
    .expect("recorded as succeeded");
    // Deliveries still to be made: pending ones are never purged.
    receiver.respond_with(&[500, 500]);
    let pending = partner.order(&order_body("c-p", &product, "monthly", 1)).await;
    assert_eq!(pending.status, 201);
    app.api_log.flush().await;
    let retention = Duration::from_secs(90 * 86_400);
    let before = |table: &'static str| count(&app.store, table);
    let requests = before("SELECT COUNT(*) FROM api_requests").await;
    assert!(requests >= 2);
    // The account's entries (two order charges) are the books: never purged.
    let entries = before("SELECT COUNT(*) FROM ledger_entries").await;
    assert_eq!(entries, 2);

    // Nothing is old yet. (Seven events: the approval's
    // reseller.status_changed and the book's price_book.changed, made
    // before the URL was set, so never delivered, and five of orders.)
    server::maintenance::sweep(&app.store, Timestamp::now(), retention).await;
    assert_eq!(before("SELECT COUNT(*) FROM api_requests").await, requests);
    assert_eq!(before("SELECT COUNT(*) FROM webhook_events").await, 7);

    // Ninety-one days on, everything finished is gone.
    let later = Timestamp::now().plus(DAY * 91);
    server::maintenance::sweep(&app.store, later, retention).await;
    assert_eq!(before("SELECT COUNT(*) FROM api_requests").await, 0);
    assert_eq!(
        before("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'").await,
        0
    );
    assert_eq!(
        before(
            "SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
             WHERE d.status = 'succeeded'"
        )
        .await,
        0
    );
    let left = before("SELECT COUNT(*) FROM webhook_deliveries").await;
    assert_eq!(left, 2, "the second order's deliveries are still pending");
    assert_eq!(
        before("SELECT COUNT(*) FROM ledger_entries").await,
        entries,
        "the ledger is kept"
    );
    assert_eq!(before("SELECT COUNT(*) FROM orders").await, 2, "and so are the orders");
    assert_eq!(
        before("SELECT COUNT(*) FROM webhook_events").await,
        2,
        "and so are their events"
    );
}

/// Rate-limit windows are kept per client address: on PostgreSQL each
/// address that ever failed to authenticate (and each reseller that called)
/// leaves a row of shared quota. The hourly sweep removes windows that
/// ended; the current ones, which instances are spending, stay. (SQLite
/// counts in memory: there the windows live and die with the process.)
#[tokio::test]
async fn the_sweep_purges_rate_limit_windows_that_ended() {
    let app = spawn_app_with(|c| c.trusted_proxies = app::net::TrustedProxies::parse("127.0.0.1").unwrap()).await;
    let client = reqwest::Client::new();
    for address in ["203.0.113.1", "203.0.113.2", "2001:db8:7::1"] {
        let response = client
            .get(app.url("/api/v1/me"))
            .header("x-forwarded-for", address)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let retention = Duration::from_secs(90 * 86_400);
    let postgres = crate::helpers::backend() == crate::helpers::Backend::Postgres;
    let windows = || count(&app.store, "SELECT COUNT(*) FROM quota_leases");
    if postgres {
        assert_eq!(windows().await, 3, "one window per address");
    }
    server::maintenance::sweep(&app.store, Timestamp::now(), retention).await;
    if postgres {
        assert_eq!(windows().await, 3, "windows still running are kept");
    }
    server::maintenance::sweep(&app.store, Timestamp::now().plus(time::Duration::hours(2)), retention).await;
    if postgres {
        assert_eq!(windows().await, 0, "ended windows are purged");
    }
    // The limits work as before the sweep.
    let response = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

/// `serve` will not start without the key that opens the
/// database's sealed secrets, nor with another key, instead of making a
/// new one that opens nothing.
#[tokio::test]
async fn serve_refuses_to_start_without_the_key_to_its_secrets() {
    let dir = std::env::temp_dir().join(format!("flux-key-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("fluxbilling.key");
    let first_key = key_file.clone();
    let mut app = spawn_app_with(move |c| {
        c.secrets_key = None;
        c.secrets_key_file = Some(first_key);
    })
    .await;
    let admin = app.admin().await;
    admin.partner(&app, "sealed@example.com", "read").await; // a sealed webhook secret
    let url = app.database_url().to_owned();
    app.stop().await;

    let mut config = Config::for_database(&url);
    config.secrets_key = None;
    config.secrets_key_file = Some(dir.join("missing.key"));
    let refused = Application::build(config).await.err().expect("refused without the key");
    assert!(format!("{refused:#}").contains("is missing"), "{refused:#}");
    assert!(!dir.join("missing.key").exists(), "no new key was made");

    let mut config = Config::for_database(&url);
    config.secrets_key = Some(app::secrets::SecretsKey::random());
    let refused = Application::build(config)
        .await
        .err()
        .expect("refused with another key");
    assert!(format!("{refused:#}").contains("does not open"), "{refused:#}");

    let mut config = Config::for_database(&url);
    config.secrets_key = None;
    config.secrets_key_file = Some(key_file);
    assert!(Application::build(config).await.is_ok(), "the right key opens them");
    let _ = std::fs::remove_dir_all(dir);
}

/// Provisioning settings are sealed at rest: the database row
/// holds nothing readable, the operator still reads them; settings stored
/// in plaintext before are sealed when the server starts.
#[tokio::test]
async fn provisioning_settings_are_sealed_at_rest() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, product) = admin
        .post(
            "/products",
            json!({
                "name": "Sealed VPS", "slug": "sealed-vps", "kind": "vps", "retail_monthly": "10.00",
                "provisioning": { "module": "manual", "settings": { "api_token": "very-secret-token" } }
            }),
        )
        .await;
    assert_eq!(status, 201, "{product}");
    let id = product["id"].as_str().unwrap();
    let readable = count(
        &app.store,
        "SELECT COUNT(*) FROM product_provisioning WHERE CAST(settings AS TEXT) LIKE '%very-secret%'
            OR sealed_settings LIKE '%very-secret%' OR sealed_settings IS NULL",
    )
    .await;
    assert_eq!(readable, 0, "nothing readable in the row");

    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let response = app
        .call::<app::catalog::server_fns::AdminProduct>(&operator, &[("id", id)])
        .await;
    assert_eq!(response.status(), 200);
    let detail: Value = response.json().await.unwrap();
    assert_eq!(detail["provisioning"]["settings"]["api_token"], "very-secret-token");

    // A row from before sealing, as an older version left it.
    let legacy = crate::helpers::execute_at(
        &app.store,
        "UPDATE product_provisioning SET sealed_settings = NULL,
            settings = '{\"password\":\"legacy-secret\"}', updated_at = $1",
        Timestamp::now(),
    )
    .await;
    assert_eq!(legacy, 1);
    let key = app.state.settings.secrets_key.clone();
    let url = app.database_url().to_owned();
    let mut config = Config::for_database(&url);
    config.secrets_key = Some(key);
    let restarted = Application::build(config).await.expect("starts");
    let still_readable = count(
        &app.store,
        "SELECT COUNT(*) FROM product_provisioning WHERE CAST(settings AS TEXT) LIKE '%legacy-secret%'",
    )
    .await;
    assert_eq!(still_readable, 0, "sealed at start-up");
    let opened = app::catalog::service::provisioning(
        &restarted.state().store,
        &restarted.state().settings.secrets_key,
        &id.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(opened.settings["password"], "legacy-secret");
}

/// The portal's product names are those the reseller may see: its
/// offers and what it holds, never the rest of the catalogue.
#[tokio::test]
async fn portal_pages_name_only_the_resellers_products() {
    use app::{customers::server_fns::MyCustomers, services::server_fns::MyServices};
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (client, reseller) = app.active_client("names@example.com").await;
    let offered = admin.product("offered", Some("10.00"), None).await;
    let (status, body) = admin
        .put(
            &format!("/resellers/{reseller}/products/{offered}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let secret_plan = admin.product("internal-plan", Some("99.00"), None).await;
    let (status, _) = admin
        .put(
            &format!("/products/{secret_plan}"),
            json!({ "name": "Internal plan", "slug": "internal-plan", "kind": "vps", "is_active": false, "retail_monthly": "99.00" }),
        )
        .await;
    assert_eq!(status, 200);
    let other = admin.reseller("other@example.com", "active").await;
    let theirs = admin.product("their-plan", Some("5.00"), None).await;
    admin
        .put(
            &format!("/resellers/{other}/products/{theirs}"),
            json!({ "wholesale_monthly": "4.00" }),
        )
        .await;

    for names in [
        app.call::<MyCustomers>(&client, &[])
            .await
            .json::<Value>()
            .await
            .unwrap()["product_names"]
            .clone(),
        app.call::<MyServices>(&client, &[])
            .await
            .json::<Value>()
            .await
            .unwrap()["product_names"]
            .clone(),
    ] {
        let ids: Vec<&str> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[0].as_str().unwrap())
            .collect();
        assert_eq!(ids, [offered.as_str()], "{names}");
    }
}

/// An exported cell that a spreadsheet would run as a formula
/// opens as text.
#[tokio::test]
async fn the_csv_export_neutralises_formulas() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    // A request whose method (a valid HTTP token) reads as a formula.
    let method = reqwest::Method::from_bytes(b"-1+1").unwrap();
    let r = reqwest::Client::new()
        .request(method, app.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.api_log.flush().await;
    let csv = operator
        .get(app.url("/admin/api-logs.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",'-1+1,"), "{csv}");
    assert!(!csv.contains(",-1+1,"), "{csv}");
}
