//! The `fluxbilling` binary's one-shot commands, run as a user would.

use crate::helpers::{PASSWORD, TestDb, browser, count, spawn_app_with};
use app::accounts::{server_fns::SignIn, service as accounts};
use app::store::Store;
use std::{
    io::Write,
    process::{Command, Stdio},
};

fn fluxbilling(db: &TestDb, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxbilling"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("FLUX_SECRETS_KEY_FILE", db.key_file())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn operator_create_reads_the_password_from_stdin() {
    let db = TestDb::new().await;
    let (ok, stdout, stderr) = fluxbilling(
        &db,
        &["operator", "create", "--email", "Root@Example.com"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("operator root@example.com created"), "{stdout}");

    // The new operator can sign in through the web.
    let url = db.url.clone();
    let app = spawn_app_with(|c| c.database_url = url).await;
    let client = browser();
    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "admin"),
                ("email", "root@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/admin");
}

#[tokio::test]
async fn operator_create_refuses_a_weak_password_and_creates_nothing() {
    let db = TestDb::new().await;
    let (ok, _, stderr) = fluxbilling(
        &db,
        &["operator", "create", "--email", "a@example.com"],
        Some("short\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("at least 10 characters"), "{stderr}");
    let store = Store::connect(&db.url).await.unwrap();
    assert!(store.user_by_email("a@example.com").await.unwrap().is_none());
    store.close().await;
}

#[tokio::test]
async fn admin_token_create_prints_the_token_alone_on_the_last_line() {
    let db = TestDb::new().await;
    let (ok, stdout, stderr) = fluxbilling(&db, &["admin-token", "create", "--name", "ci"], None);
    assert!(ok, "{stderr}");
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("flux_admin_"), "{stdout}");

    let store = Store::connect(&db.url).await.unwrap();
    let record = accounts::admin_token(&store, &token)
        .await
        .unwrap()
        .expect("a live token");
    assert_eq!(record.name, "ci");
    assert_ne!(record.token_hash, token, "only a hash is stored");
    let tampered = crate::helpers::tamper(&token);
    assert!(accounts::admin_token(&store, &tampered).await.unwrap().is_none());

    let (ok, _, stderr) = fluxbilling(&db, &["admin-token", "revoke", "--prefix", &record.prefix], None);
    assert!(ok, "{stderr}");
    assert!(accounts::admin_token(&store, &token).await.unwrap().is_none());
    store.close().await;
}

/// The column that dates a row of `table`.
fn time_column(table: &str) -> &'static str {
    match table {
        "api_requests" => "at",
        _ => "created_at",
    }
}

#[tokio::test]
async fn demo_seeds_accounts_and_products_and_can_run_again() {
    let db = TestDb::new().await;
    let (ok, first, stderr) = fluxbilling(&db, &["demo"], None);
    assert!(ok, "{stderr}");
    assert!(first.contains("operator@fluxbilling.example"), "{first}");
    let (ok, second, stderr) = fluxbilling(&db, &["demo"], None);
    assert!(ok, "{stderr}");
    assert_ne!(first, second, "passwords are fresh on every run");

    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.list_products().await.unwrap().len(), 5);
    // Resellers in every state, each once, and a priced, lived-in book.
    let filter = app::resellers::ResellerFilter {
        page: app::lists::PageRequest::first(100),
        ..Default::default()
    };
    let resellers = store.list_resellers(&filter).await.unwrap().data;
    let mut states: Vec<&str> = resellers.iter().map(|r| r.status.as_str()).collect();
    states.sort();
    assert_eq!(
        states,
        ["active", "active", "active", "pending", "suspended", "terminated"]
    );
    let active = resellers
        .iter()
        .find(|r| r.company_name == "Northwind Hosting")
        .unwrap();
    let catalog = store.reseller_catalog(&active.id, store.now()).await.unwrap();
    assert_eq!(catalog.len(), 4, "one of five rows is disabled");
    assert!(catalog.iter().any(|i| i.max_quantity == Some(5)));
    // The active reseller has lived a little, once (the second run added
    // nothing): orders, customers, services in several states, a key,
    // deliveries sent and deliveries failing, API requests.
    let rid = active.id.as_str();
    let of = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE reseller_id = '{rid}'");
    assert_eq!(count(&store, &of("orders")).await, 7);
    assert_eq!(count(&store, &of("customers")).await, 6);
    assert_eq!(count(&store, &of("api_keys")).await, 1);
    assert_eq!(count(&store, &of("api_requests")).await, 144);
    // A lived-in month: orders and API requests spread over the last 30
    // days, not all on the seeding minute.
    let now = app::timestamp::Timestamp::now();
    for (table, days) in [("orders", 20), ("api_requests", 25), ("orders", 1), ("api_requests", 1)] {
        let older = format!("{} AND created_at < $1", of(table)).replace("created_at", time_column(table));
        let at = now.minus(time::Duration::days(days));
        assert!(
            crate::helpers::count_at(&store, &older, at).await > 0,
            "{table} older than {days} days"
        );
    }
    let services = format!("{} AND status = 'suspended'", of("services"));
    assert_eq!(count(&store, &services).await, 1);
    // Provisioning: the VPS services went active through the `http`
    // module with their details, the bare metal server (`manual`) waits
    // for the operator, one create failed.
    let provisioned = format!(
        "{} AND status = 'active' AND CAST(details AS TEXT) LIKE '%ip_address%' AND product_id IN
            (SELECT product_id FROM product_provisioning WHERE module = 'http')",
        of("services")
    );
    assert!(
        count(&store, &provisioned).await >= 4,
        "services activated with details"
    );
    let waiting = format!(
        "{} AND status = 'pending' AND product_id IN (SELECT id FROM products WHERE slug = 'bare-metal-e2388g')",
        of("services")
    );
    assert_eq!(count(&store, &waiting).await, 1, "a manual product's service waiting");
    let failed = format!("{} AND state = 'failed'", of("provisioning_actions"));
    assert_eq!(count(&store, &failed).await, 1, "one failed action waits");
    let done = format!(
        "{} AND state = 'done' AND action = 'suspend'",
        of("provisioning_actions")
    );
    assert_eq!(
        count(&store, &done).await,
        1,
        "the operator's suspension reached the module"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM product_provisioning WHERE module = 'http' AND url NOT LIKE 'https://automation.fluxhost.example/%'").await,
        0,
        "the http products point at the operator's automation after seeding"
    );
    // Changes and cancellations: an upgrade applied with its two proration
    // entries (and the module's `change`), a downgrade waiting for its
    // renewal, a cancellation at the end of a term.
    let prorations = format!(
        "{} AND kind = 'proration' AND reference LIKE 'chg_%'",
        of("ledger_entries")
    );
    assert_eq!(count(&store, &prorations).await, 2, "the upgrade's credit and charge");
    let change = format!(
        "{} AND action = 'change' AND state = 'done'",
        of("provisioning_actions")
    );
    assert_eq!(count(&store, &change).await, 1, "the module changed the server");
    let waiting_change = format!("{} AND scheduled_change IS NOT NULL", of("services"));
    assert_eq!(count(&store, &waiting_change).await, 1, "a downgrade waits");
    let cancelling = format!("{} AND cancel_at IS NOT NULL AND status = 'active'", of("services"));
    assert_eq!(
        count(&store, &cancelling).await,
        1,
        "a cancellation at the end of its term"
    );
    // Prices over time: a rise at renewal scheduled a month and more out,
    // and a change for new orders made half a day ago (services sold
    // before keep their price).
    let rise = format!(
        "{} AND existing_services = 'at_renewal' AND announced_at IS NULL",
        of("price_versions")
    );
    assert_eq!(count(&store, &rise).await, 1, "a scheduled rise at renewal");
    let grandfathered = format!(
        "SELECT COUNT(*) FROM services s JOIN products p ON p.id = s.product_id
         WHERE s.reseller_id = '{}' AND p.slug = 'vps-starter' AND s.term = 'monthly' AND s.status <> 'terminated'
           AND s.recurring_price < (SELECT v.wholesale_monthly FROM price_versions v
               WHERE v.reseller_id = s.reseller_id AND v.product_id = s.product_id ORDER BY v.effective_from DESC LIMIT 1)",
        rid
    );
    assert!(
        count(&store, &grandfathered).await >= 1,
        "services sold before keep their price"
    );
    let sent = format!("{} AND status = 'succeeded'", of("webhook_deliveries"));
    assert!(
        count(&store, &sent).await >= 10,
        "deliveries made to the demo's receiver"
    );
    let failing = format!("{} AND status = 'pending' AND attempts = 1", of("webhook_deliveries"));
    assert!(
        count(&store, &failing).await >= 1,
        "deliveries left failing, with a retry due"
    );
    // Accounts of each kind: Northwind on a credit line with payments over
    // several months, a prepaid one within its funds, one in arrears with
    // a service suspended for non-payment.
    let account = |name: &'static str| {
        let r = resellers.iter().find(|r| r.company_name == name).unwrap().id.clone();
        let store = store.clone();
        async move { store.account(&r).await.unwrap() }
    };
    let (northwind, balance) = account("Northwind Hosting").await;
    assert_eq!(northwind.credit_limit.map(|m| m.to_string()).as_deref(), Some("500.00"));
    let months = format!("SELECT COUNT(*) FROM ledger_entries WHERE reseller_id = '{rid}' AND kind = 'payment'");
    assert_eq!(count(&store, &months).await, 3);
    assert!(northwind.available(balance).unwrap() > app::money::Amount::ZERO);
    let (prepaid, balance) = account("Fjord Servers").await;
    assert_eq!(prepaid.credit_limit, Some(app::money::Money::ZERO));
    assert!(!balance.is_negative());
    let (_, balance) = account("Granite Web").await;
    assert!(balance.is_negative(), "in arrears");
    let unpaid = "SELECT COUNT(*) FROM services WHERE suspension_reason = 'unpaid'";
    assert_eq!(count(&store, unpaid).await, 1);
    // The printed operator password works.
    let line = second
        .lines()
        .find(|l| l.contains("operator@fluxbilling.example"))
        .unwrap();
    let password = line.rsplit("password: ").next().unwrap().trim().to_owned();
    let signed_in = accounts::sign_in(
        &store,
        &app::secrets::Passwords::default(),
        app::accounts::Panel::Admin,
        "operator@fluxbilling.example",
        &password,
        "127.0.0.1",
    )
    .await;
    assert!(signed_in.is_ok());
    store.close().await;
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["operator", "create", "--help"],
        vec!["admin-token", "create", "--help"],
        vec!["demo", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_fluxbilling"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{args:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_fluxbilling"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for env in [
        "DATABASE_URL",
        "FLUX_ADDR",
        "FLUX_RATE_LIMIT_WINDOW_SECS",
        "FLUX_WEBHOOK_RETRY_SCHEDULE",
        "FLUX_WEBHOOK_ALLOW_PRIVATE",
        "FLUX_LOG_FORMAT",
    ] {
        assert!(help.contains(env), "serve --help lacks {env}");
    }
}

/// Runs `serve` in `cwd` with `env` until it has made `key` (then stops
/// it) or exited; the exit's standard error, if it exited.
fn serve_until_key(cwd: &std::path::Path, env: &[(&str, &str)], key: &std::path::Path) -> Option<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fluxbilling"));
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(cwd)
        .env_remove("FLUX_SECRETS_KEY")
        .env_remove("FLUX_SECRETS_KEY_FILE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("binary runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return Some(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        if key.exists() || std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The secrets key lives beside the SQLite database (not in whatever
/// directory the server was started from); PostgreSQL has no file to keep
/// it beside, so there the key's place is configured, never guessed.
#[tokio::test]
async fn the_secrets_key_lives_beside_the_sqlite_database_or_where_configured() {
    let dir = std::env::temp_dir().join(format!("flux-keyplace-{}", ulid::Ulid::new()));
    let (data, elsewhere) = (dir.join("data"), dir.join("elsewhere"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    match crate::helpers::backend() {
        crate::helpers::Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", data.join("flux.db").display());
            let key = data.join("fluxbilling.key");
            let exited = serve_until_key(&elsewhere, &[("DATABASE_URL", &url)], &key);
            assert_eq!(exited, None, "serve started");
            assert!(key.exists(), "the key is beside the database");
            assert!(
                !elsewhere.join("fluxbilling.key").exists(),
                "not in the working directory"
            );
        }
        crate::helpers::Backend::Postgres => {
            let db = TestDb::new().await;
            let stray = elsewhere.join("fluxbilling.key");
            let refused = serve_until_key(&elsewhere, &[("DATABASE_URL", &db.url)], &stray);
            let refused = refused.expect("serve refuses to guess a place for the key");
            assert!(refused.contains("FLUX_SECRETS_KEY_FILE"), "{refused}");
            assert!(!stray.exists(), "no key in the working directory");
            let key = data.join("configured.key");
            let exited = serve_until_key(
                &elsewhere,
                &[
                    ("DATABASE_URL", &db.url),
                    ("FLUX_SECRETS_KEY_FILE", key.to_str().unwrap()),
                ],
                &key,
            );
            assert_eq!(exited, None, "serve started");
            assert!(key.exists(), "the key is where FLUX_SECRETS_KEY_FILE says");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
