//! `fluxbench scale`: do the lists stay fast when the tables are large?
//!
//! One reseller (the probe) is set up through the admin API and given
//! 1,000 services, 1,000 API log rows and 1,000 webhook deliveries,
//! bulk-loaded with SQL. Each list is timed then (the "1k rows" column).
//! Then 999 more resellers are created and bulk-loaded to the full size
//! (1,000,000 services, 5,000,000 log rows with 1 in 100,000 an error,
//! 1,000,000 deliveries by default), the tables are analysed, and each list
//! is timed again for the same probe. Every list must stay within 2x of its
//! 1k-row time: keyset pages, the indexes they need, no count over a table.
//!
//! The probe's own account grows too: 1,000 ledger entries at first, then
//! 1,000,000 over two years. A balance is the last monthly snapshot plus
//! the entries since, so the balance, the Billing page and a statement (the
//! same sums an order's admission makes under the account's lock) must
//! stay as flat as the lists. The snapshots are written by the server's own
//! hourly sweep: the bench restarts the server after loading, as if an hour
//! had passed, and waits for them.
//!
//! Timed through the real entry points: the partner API, the admin API,
//! and the portal and admin pages rendered by the server (their server
//! functions' data included), with sessions inserted for the probe's user
//! and an operator. Each figure is the median of 21 sequential requests
//! after 5 warm-ups.

use crate::{
    clients::{Admin, bench_partner},
    processes::{Guard, db_url, psql, psql_value, serve},
};
use anyhow::{Context, bail};
use base64::Engine;
use serde_json::json;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Ledger entries on the probe's account at full size (1,000 at first).
const LEDGER_ENTRIES: u64 = 1_000_000;
/// Over how many days before today they are spread.
const LEDGER_DAYS: u64 = 730;

/// Sizes of the full tables.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub resellers: u64,
    pub services: u64,
    pub logs: u64,
    pub deliveries: u64,
}

/// One timed list: its name and the request.
struct Probe {
    name: &'static str,
    path: String,
    auth: Auth,
}

#[derive(Clone, Copy)]
enum Auth {
    PartnerKey,
    AdminToken,
    PortalSession,
    OperatorSession,
}

struct Credentials {
    key: String,
    admin_token: String,
    portal_cookie: String,
    operator_cookie: String,
}

pub async fn run(server_bin: &str, pg_admin: &str, sizes: Sizes) -> anyhow::Result<()> {
    let name = format!("flux_scale_{}", std::process::id());
    psql(pg_admin, &format!("CREATE DATABASE {name}"))?;
    let result = measure(server_bin, &db_url(pg_admin, &name), sizes).await;
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    result
}

async fn measure(server_bin: &str, database_url: &str, sizes: Sizes) -> anyhow::Result<()> {
    // A key of its own: no secrets key file is written where the bench runs.
    let secrets_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let env = [
        ("DATABASE_URL", database_url),
        ("FLUX_SECRETS_KEY", secrets_key.as_str()),
        ("RUST_LOG", "warn"),
        ("FLUX_NO_WORKER", "true"),
        ("FLUX_WEBHOOK_ALLOW_PRIVATE", "true"),
    ];
    let token = cli(server_bin, &env, &["admin-token", "create", "--name", "scale"], "")?;
    cli(
        server_bin,
        &env,
        &[
            "operator",
            "create",
            "--email",
            "scale-operator@example.com",
            "--name",
            "Scale",
        ],
        "scale-operator-password\n",
    )?;
    let (server, base) = serve(server_bin, &env).await?;
    let admin = Admin::new(&base, token.clone());
    let product = admin.product("Scale VPS", "scale-vps").await?;
    let probe = bench_partner(&admin, &base, "probe", &product, 9).await?;

    let sql = |statement: &str| psql(database_url, statement);
    let probe_user = psql_value(
        database_url,
        &format!("SELECT user_id FROM reseller_profiles WHERE id = '{}'", probe.reseller),
    )?;
    let credentials = Credentials {
        key: probe.key.to_string(),
        admin_token: token,
        portal_cookie: session(database_url, &probe_user, "scale-portal")?,
        operator_cookie: session(
            database_url,
            &psql_value(
                database_url,
                "SELECT id FROM users WHERE email = 'scale-operator@example.com'",
            )?,
            "scale-operator",
        )?,
    };

    println!(
        "FluxBilling at scale: lists for one reseller at 1k rows, then with {} services, {} API log rows \
         and {} deliveries for {} resellers",
        sizes.services, sizes.logs, sizes.deliveries, sizes.resellers
    );
    let per_reseller = PerReseller {
        services: sizes.services / sizes.resellers,
        logs: sizes.logs / sizes.resellers,
        deliveries: sizes.deliveries / sizes.resellers,
    };
    let started = Instant::now();
    sql(&seed(&format!("id = '{}'", probe.reseller), &product, per_reseller))?;
    sql(&seed_ledger(&probe.reseller, 0, 1_000))?;
    sql("ANALYZE")?;
    let probes = probes(database_url, &probe.reseller)?;
    let small = time_all(&base, &probes, &credentials).await?;
    println!("  1k rows seeded and timed in {:.0?}", started.elapsed());

    let started = Instant::now();
    create_resellers(&admin, sizes.resellers - 1).await?;
    println!(
        "  {} more resellers created in {:.0?}",
        sizes.resellers - 1,
        started.elapsed()
    );
    let started = Instant::now();
    sql(&seed(&format!("id <> '{}'", probe.reseller), &product, per_reseller))?;
    sql(&seed_ledger(&probe.reseller, 1_000, LEDGER_ENTRIES))?;
    sql("VACUUM ANALYZE")?;
    sql("CHECKPOINT")?;
    println!("  bulk-loaded in {:.0?}", started.elapsed());
    let (_server, base) = restart_for_the_sweep(server, server_bin, &env, database_url, &probe.reseller).await?;
    settle(database_url).await?;
    for table in [
        "services",
        "api_requests",
        "webhook_deliveries",
        "ledger_entries",
        "ledger_snapshots",
    ] {
        let rows = psql_value(database_url, &format!("SELECT count(*) FROM {table}"))?;
        println!("  {table}: {rows} rows");
    }
    let large = time_all(&base, &probes, &credentials).await?;

    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>7}",
        "list (probe reseller)", "1k rows", "full", "ratio"
    );
    let mut worst: f64 = 0.0;
    let mut rows = Vec::new();
    for ((probe, small), large) in probes.iter().zip(&small).zip(&large) {
        let ratio = large / small;
        worst = worst.max(ratio);
        let verdict = if ratio <= 2.0 { "ok" } else { "OVER 2x" };
        println!(
            "{:<44} {:>6.2} ms {:>6.2} ms {:>6.2}x  {verdict}",
            probe.name, small, large, ratio
        );
        rows.push(json!({ "list": probe.name, "small_ms": small, "full_ms": large, "ratio": (ratio * 100.0).round() / 100.0 }));
    }
    println!("worst ratio {worst:.2}x (target <= 2x)");
    println!(
        "{}",
        json!({ "sizes": format!("{sizes:?}"), "lists": rows, "worst_ratio": worst })
    );
    Ok(())
}

/// Ledger entries `from..to` of `reseller`'s account, spread evenly over
/// the last [`LEDGER_DAYS`] days: credits and adjustments of 10.00 in
/// turn, so the balance stays near zero.
fn seed_ledger(reseller: &str, from: u64, to: u64) -> String {
    let spread = LEDGER_DAYS * 86_400;
    format!(
        r#"
INSERT INTO ledger_entries (id, reseller_id, kind, amount, at, reason, created_at)
  SELECT 'txn_' || lpad(to_hex(g), 26, '0'), '{reseller}',
         CASE WHEN g % 2 = 0 THEN 'credit' ELSE 'adjustment' END,
         CASE WHEN g % 2 = 0 THEN 10.0000 ELSE -10.0000 END,
         now() - interval '{LEDGER_DAYS} days' + (g::bigint * {spread} / {LEDGER_ENTRIES}) * interval '1 second',
         'bench', now()
  FROM generate_series({from}, {to} - 1) g;
"#
    )
}

/// Stops the server and starts it again as the next hourly sweep would
/// find the loaded ledger: the sweep's lease is let go (the stopped process
/// cannot), and the new server's first pass writes the monthly snapshots.
/// Waits (at most five minutes) until the probe's months are closed.
async fn restart_for_the_sweep(
    server: Guard,
    server_bin: &str,
    env: &[(&str, &str)],
    database_url: &str,
    reseller: &str,
) -> anyhow::Result<(Guard, String)> {
    drop(server);
    psql(database_url, "DELETE FROM background_leases WHERE name = 'sweeps'")?;
    let started = Instant::now();
    let (server, base) = serve(server_bin, env).await?;
    let closed = format!("SELECT count(*) FROM ledger_snapshots WHERE reseller_id = '{reseller}'");
    for _ in 0..300 {
        if psql_value(database_url, &closed)?.trim().parse::<u64>().unwrap_or(0) >= 20 {
            println!("  months closed by the sweep in {:.0?}", started.elapsed());
            return Ok((server, base));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    bail!("the sweep wrote no ledger snapshots within five minutes")
}

/// Waits (at most a minute) until no autovacuum worker runs: on two cores
/// one vacuuming 5M rows would slow every request and be measured as the
/// lists' cost.
async fn settle(database_url: &str) -> anyhow::Result<()> {
    for _ in 0..60 {
        let running = psql_value(
            database_url,
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
        )?;
        if running == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

/// Runs a `fluxbilling` command with `input` on stdin; its last line.
fn cli(server_bin: &str, env: &[(&str, &str)], args: &[&str], input: &str) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new(server_bin)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    child.stdin.take().context("stdin")?.write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("fluxbilling {args:?} failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// A session for `user`, inserted as the sign-in would (SHA-256 of the
/// token); answers the cookie.
fn session(database_url: &str, user: &str, token: &str) -> anyhow::Result<String> {
    psql(
        database_url,
        &format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
             VALUES (encode(sha256('{token}'::bytea), 'hex'), '{user}', now(), now() + interval '1 day', now())"
        ),
    )?;
    Ok(format!("flux_session={token}"))
}

/// `count` active resellers through the admin API, eight at a time.
async fn create_resellers(admin: &Admin, count: u64) -> anyhow::Result<()> {
    let mut running = tokio::task::JoinSet::new();
    for n in 0..count {
        if running.len() == 8 {
            running.join_next().await.context("a task")???;
        }
        let admin = admin.clone();
        running.spawn(async move {
            let created = admin
                .call(
                    reqwest::Method::POST,
                    "/resellers",
                    json!({ "email": format!("scale-{n}@example.com"), "company_name": format!("Scale {n}") }),
                )
                .await?;
            let id = created["id"].as_str().context("reseller id")?.to_owned();
            admin
                .call(reqwest::Method::POST, &format!("/resellers/{id}/approve"), json!({}))
                .await?;
            anyhow::Ok(())
        });
    }
    while let Some(result) = running.join_next().await {
        result??;
    }
    Ok(())
}

/// Rows bulk-loaded for each reseller.
#[derive(Clone, Copy)]
struct PerReseller {
    services: u64,
    logs: u64,
    deliveries: u64,
}

/// The SQL that bulk-loads `per` rows for every reseller matching
/// `resellers` (a condition on `reseller_profiles`): a customer per ten
/// services, an order (one line) per service, log rows over the last 30
/// days (1 in 100,000 a 500, and one in the probe's, which ranks first), succeeded
/// deliveries of `order.created` events. Ids have the generated ids' shape
/// (prefix and 26 base-32 digits), numbered by the reseller's rank so the
/// two loads never collide.
fn seed(resellers: &str, product: &str, per: PerReseller) -> String {
    let PerReseller {
        services,
        logs,
        deliveries,
    } = per;
    let customers = services.div_ceil(10).max(1);
    format!(
        r#"
CREATE TEMP TABLE seed_resellers AS
  SELECT id, rank FROM (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM reseller_profiles) r
  WHERE {resellers};
CREATE TEMP TABLE seed_numbers AS SELECT g FROM generate_series(1, {services}) g;
INSERT INTO customers (id, reseller_id, external_id, created_at)
  SELECT 'cus_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), r.id, 'ext-' || g, now() - interval '30 days'
  FROM seed_resellers r, generate_series(1, {customers}) g;
INSERT INTO orders (id, reseller_id, customer_id, status, wholesale_total, currency, created_at)
  SELECT 'ord_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), r.id,
         'cus_' || lpad(to_hex(r.rank * 100000000 + 1 + g % {customers}), 26, '0'),
         'placed', 8.0000, 'EUR', now() - interval '30 days' + g * interval '1 second'
  FROM seed_resellers r, seed_numbers;
INSERT INTO order_lines (order_id, line_no, product_id, term, quantity, unit_price, setup_fee, line_total)
  SELECT 'ord_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), 1, '{product}', 'monthly', 1, 8.0000, 0, 8.0000
  FROM seed_resellers r, seed_numbers;
INSERT INTO services (id, reseller_id, order_id, customer_id, product_id, term, status, recurring_price,
                      started_at, next_renewal_at, updated_at)
  SELECT 'svc_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), r.id,
         'ord_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'),
         'cus_' || lpad(to_hex(r.rank * 100000000 + 1 + g % {customers}), 26, '0'),
         '{product}', 'monthly', 'active', 8.0000,
         now() - interval '30 days', now() + interval '300 days', now() - interval '30 days'
  FROM seed_resellers r, seed_numbers;
INSERT INTO api_requests (request_id, at, reseller_id, key_prefix, method, path, status, error_code,
                          duration_us, client_addr)
  SELECT 'req_' || r.rank || '_' || g, now() - interval '30 days' + (g::bigint * 2592000 / {logs}) * interval '1 second',
         r.id, 'fb_live_xxxx', 'GET', '/api/v1/services',
         CASE WHEN (r.rank * {logs} + g) % 100000 = 0 OR (r.rank = 1 AND g = {logs} / 2) THEN 500 ELSE 200 END,
         CASE WHEN (r.rank * {logs} + g) % 100000 = 0 OR (r.rank = 1 AND g = {logs} / 2) THEN 'internal' END,
         900, '203.0.113.7'
  FROM seed_resellers r, generate_series(1, {logs}) g;
INSERT INTO webhook_events (id, reseller_id, event_type, payload, created_at)
  SELECT 'evt_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), r.id, 'order.created',
         jsonb_build_object('type', 'order.created', 'data', jsonb_build_object('n', g)),
         now() - interval '30 days' + g * interval '1 second'
  FROM seed_resellers r, generate_series(1, {deliveries}) g;
INSERT INTO webhook_deliveries (id, event_id, reseller_id, event_type, status, attempts, last_status_code,
                                created_at, updated_at, completed_at)
  SELECT 'dlv_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'),
         'evt_' || lpad(to_hex(r.rank * 100000000 + g), 26, '0'), r.id, 'order.created', 'succeeded', 1, 204,
         now() - interval '30 days' + g * interval '1 second', now() - interval '30 days' + g * interval '1 second',
         now() - interval '30 days' + g * interval '1 second'
  FROM seed_resellers r, generate_series(1, {deliveries}) g;
DROP TABLE seed_resellers;
DROP TABLE seed_numbers;
"#
    )
}

/// The lists timed for `reseller`: what the issue names.
fn probes(database_url: &str, reseller: &str) -> anyhow::Result<Vec<Probe>> {
    // A cursor 900 rows deep into the probe's services (newest first).
    let deep = psql_value(
        database_url,
        &format!("SELECT id FROM services WHERE reseller_id = '{reseller}' ORDER BY id DESC OFFSET 899 LIMIT 1"),
    )?;
    let day = |days: i64| {
        (time::OffsetDateTime::now_utc() - time::Duration::days(days))
            .date()
            .to_string()
    };
    let (from, to) = (day(20), day(10));
    let last_month = {
        let first = time::OffsetDateTime::now_utc().date().replace_day(1)?;
        let last = first.previous_day().context("a day before the first")?;
        format!("{:04}-{:02}", last.year(), u8::from(last.month()))
    };
    Ok(vec![
        // The control: no list at all. If it is slower at full size, the
        // machine was, and the lists' ratios carry that.
        Probe {
            name: "GET /healthz (control)",
            path: "/healthz".into(),
            auth: Auth::AdminToken,
        },
        Probe {
            name: "partner GET /services?limit=50",
            path: "/api/v1/services?limit=50".into(),
            auth: Auth::PartnerKey,
        },
        Probe {
            name: "partner GET /services, page 19",
            path: format!("/api/v1/services?limit=50&cursor={deep}"),
            auth: Auth::PartnerKey,
        },
        Probe {
            name: "partner GET /orders?limit=50",
            path: "/api/v1/orders?limit=50".into(),
            auth: Auth::PartnerKey,
        },
        Probe {
            name: "portal Dashboard page",
            path: "/portal".into(),
            auth: Auth::PortalSession,
        },
        Probe {
            name: "portal Services page",
            path: "/portal/services".into(),
            auth: Auth::PortalSession,
        },
        Probe {
            name: "admin Resellers page",
            path: "/admin/resellers".into(),
            auth: Auth::OperatorSession,
        },
        Probe {
            name: "admin API logs page (reseller, 10 days)",
            path: format!("/admin/api-logs?reseller_id={reseller}&from={from}&to={to}"),
            auth: Auth::OperatorSession,
        },
        Probe {
            name: "admin API GET /api-logs?status=500",
            path: "/api/admin/v1/api-logs?status=500&limit=50".into(),
            auth: Auth::AdminToken,
        },
        Probe {
            name: "admin Webhooks page",
            path: "/admin/webhooks".into(),
            auth: Auth::OperatorSession,
        },
        // The account: the same sums an order's admission makes.
        Probe {
            name: "partner GET /balance",
            path: "/api/v1/balance".into(),
            auth: Auth::PartnerKey,
        },
        Probe {
            name: "partner GET /statements (last month)",
            path: format!("/api/v1/statements/{last_month}?limit=50"),
            auth: Auth::PartnerKey,
        },
        Probe {
            name: "portal Billing page",
            path: "/portal/billing".into(),
            auth: Auth::PortalSession,
        },
    ])
}

/// Each probe's median time in ms.
async fn time_all(base: &str, probes: &[Probe], credentials: &Credentials) -> anyhow::Result<Vec<f64>> {
    let client = reqwest::Client::new();
    let mut medians = Vec::new();
    for probe in probes {
        let request = || {
            let request = client.get(format!("{base}{}", probe.path));
            match probe.auth {
                Auth::PartnerKey => request.bearer_auth(&credentials.key),
                Auth::AdminToken => request.bearer_auth(&credentials.admin_token),
                Auth::PortalSession => request.header("cookie", &credentials.portal_cookie),
                Auth::OperatorSession => request.header("cookie", &credentials.operator_cookie),
            }
        };
        let mut times = Vec::new();
        for n in 0..26 {
            let started = Instant::now();
            let response = request().send().await?;
            let status = response.status();
            let body = response.text().await?;
            let elapsed = started.elapsed();
            if !status.is_success() {
                bail!("{}: {status} {body}", probe.name);
            }
            // A page that fell back to the sign-in form measured nothing.
            if matches!(probe.auth, Auth::PortalSession | Auth::OperatorSession) && !body.contains("Sign out") {
                bail!("{}: not signed in", probe.name);
            }
            if n >= 5 {
                times.push(elapsed);
            }
        }
        times.sort_unstable();
        medians.push(duration_ms(times[times.len() / 2]));
    }
    Ok(medians)
}

fn duration_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
