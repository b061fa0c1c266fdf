//! The run: the set-up, then one function per phase in the order they run,
//! then the report ([`measure`] reads as that list).

use crate::{
    clients::{
        Admin, LIMITED_RATE_LIMIT, Partner, TwoInstances, bench_partner, first_load, load_orders, load_products,
        two_instances,
    },
    load::{Stats, load_bare},
    processes::{
        Guard, PerOrder, Statements, admin_token, db_url, pgbench, psql_value, serve, start_bare, start_worker,
    },
    receiver::{Received, Receiver, drain, paced_orders, provisioning_endpoint, receiver},
    report::{self, Results},
};
use base64::Engine;
use serde_json::json;
use std::{sync::Arc, time::Duration};

/// Connections: `clients` for every scenario, `wide` for the second
/// bare/products pair.
#[derive(Clone, Copy)]
pub(crate) struct Concurrency {
    pub(crate) clients: usize,
    pub(crate) wide: usize,
}

/// What the phases share: the server under test, its set-up, the baselines
/// and the webhook receiver.
struct Bench<'a> {
    server_bin: &'a str,
    env: &'a [(&'a str, &'a str)],
    database_url: &'a str,
    base: &'a str,
    partners: Partners,
    received: Receiver,
    bare_url: Arc<String>,
    pg_admin: &'a str,
    pgbench_db: &'a str,
    clients: usize,
    duration: Duration,
}

/// The resellers' software the scenarios run as.
struct Partners {
    /// The bench reseller ordering the `http` product instead.
    provisioned: Partner,
    /// Without a credit limit: its orders append entries, no account row
    /// locked. Its key reads the products.
    bench: Partner,
    /// Prepaid: its orders' admission is serialised on its account row.
    prepaid: Partner,
    /// Limited to [`LIMITED_RATE_LIMIT`] requests per window.
    limited: Partner,
}

/// `GET /api/v1/products` after the bare endpoint, at one concurrency.
pub(crate) struct BareAndProducts {
    pub(crate) bare: Stats,
    pub(crate) products: Stats,
}

/// The backlog the orders left, drained by the worker.
pub(crate) struct Drain {
    /// Deliveries pending when the worker started.
    pub(crate) backlog: u64,
    pub(crate) received: Received,
}

/// Orders of an `http` product at full load, the worker delivering their
/// events and completing their `create` actions against a local endpoint.
pub(crate) struct Provisioned {
    pub(crate) orders: Stats,
    /// Actions done.
    pub(crate) actions: u64,
    /// Actions done per second, from the first queued to the last done.
    pub(crate) per_second: f64,
    /// Order to active (the action queued to done), p50 and p99, ms.
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

/// Orders at full load while the worker delivers.
pub(crate) struct Delivering {
    pub(crate) orders: Stats,
    pub(crate) delivered_meanwhile: u64,
}

pub(crate) async fn measure(
    server_bin: &str,
    pg_admin: &str,
    app_db: &str,
    pgbench_db: &str,
    concurrency: Concurrency,
    duration: Duration,
) -> anyhow::Result<()> {
    let Concurrency { clients, wide } = concurrency;
    let database_url = db_url(pg_admin, app_db);
    let secrets_key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let env = server_env(&database_url, &secrets_key);
    let (receiver_port, received) = receiver().await?;
    let token = admin_token(server_bin, &env)?;
    let (_server, base) = serve(server_bin, &env).await?;
    let partners = set_up(&Admin::new(&base, token), &base, receiver_port).await?;
    let (_bare, bare_url) = start_bare().await?;
    let bench = Bench {
        server_bin,
        env: &env,
        database_url: &database_url,
        base: &base,
        partners,
        received,
        bare_url,
        pg_admin,
        pgbench_db,
        clients,
        duration,
    };

    println!(
        "FluxBilling partner API benchmark: {clients} clients, {} s per scenario, PostgreSQL",
        duration.as_secs()
    );
    let narrow = phase_bare_and_products(&bench, clients).await;
    let wide = phase_bare_and_products(&bench, wide).await;
    let two = phase_two_instances(&bench).await?;
    let (orders, statements) = phase_orders(&bench).await?;
    let prepaid = phase_prepaid_orders(&bench).await;
    // The worker keeps running to the end: the later phases time its
    // deliveries.
    let (_worker, drain) = phase_drain(&bench).await?;
    let paced = phase_paced(&bench).await?;
    let delivering = phase_orders_while_delivering(&bench).await;
    let provisioned = phase_provisioning(&bench).await?;
    let first_load = phase_first_load(&bench).await?;
    let tps = phase_pgbench(&bench)?;

    report::print(Results {
        concurrency,
        duration,
        narrow,
        wide,
        two,
        orders,
        statements,
        prepaid,
        drain,
        paced,
        delivering,
        provisioned,
        first_load,
        tps,
    });
    Ok(())
}

/// The environment of both `serve` processes and of the worker.
fn server_env<'a>(database_url: &'a str, secrets_key: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("DATABASE_URL", database_url),
        ("RUST_LOG", "warn"),
        ("FLUX_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("FLUX_SECRETS_KEY", secrets_key),
        // `serve` runs without its worker so the orders are measured alone;
        // `fluxbilling worker` is started for the webhook scenarios.
        ("FLUX_NO_WORKER", "true"),
    ]
}

/// The bench product and the resellers ordering it, through the admin API.
async fn set_up(admin: &Admin, base: &str, receiver_port: u16) -> anyhow::Result<Partners> {
    let product_id = admin.product("Bench VPS", "bench-vps").await?;
    let bench = bench_partner(admin, base, "bench", &product_id, receiver_port).await?;
    let endpoint = format!("http://127.0.0.1:{}/provision", provisioning_endpoint().await?);
    let auto = admin
        .http_product("Bench Auto VPS", "bench-auto-vps", &endpoint)
        .await?;
    admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{}/products/{auto}", bench.reseller),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await?;
    let provisioned = bench.ordering(&auto);
    let prepaid = prepaid_partner(admin, base, &product_id, receiver_port).await?;
    let limited = limited_partner(admin, base, &product_id, receiver_port).await?;
    Ok(Partners {
        provisioned,
        bench,
        prepaid,
        limited,
    })
}

/// A prepaid account (credit limit 0.00) with funds for every order the
/// run can place: its orders are admitted one at a time per reseller.
async fn prepaid_partner(admin: &Admin, base: &str, product_id: &str, receiver_port: u16) -> anyhow::Result<Partner> {
    let prepaid = bench_partner(admin, base, "prepaid", product_id, receiver_port).await?;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/resellers/{}", prepaid.reseller),
            json!({ "credit_limit": "0.00" }),
        )
        .await?;
    admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{}/payments", prepaid.reseller),
            json!({ "amount": "100000000.00", "reference": "bench" }),
        )
        .await?;
    Ok(prepaid)
}

/// Its own reseller for the two-instance rate-limit scenario: no request
/// has been counted for it yet in either process (the bench reseller's
/// windows already hold the products scenario's requests).
async fn limited_partner(admin: &Admin, base: &str, product_id: &str, receiver_port: u16) -> anyhow::Result<Partner> {
    let limited = bench_partner(admin, base, "limited", product_id, receiver_port).await?;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/resellers/{}", limited.reseller),
            json!({ "rate_limit": LIMITED_RATE_LIMIT }),
        )
        .await?;
    Ok(limited)
}

/// The bare endpoint, then `GET /api/v1/products`, at `clients`
/// connections: run at two concurrencies, whether the request path keeps
/// up as concurrency grows.
async fn phase_bare_and_products(bench: &Bench<'_>, clients: usize) -> BareAndProducts {
    let bare = load_bare(clients, bench.duration, &bench.bare_url).await;
    let products_url = Arc::new(format!("{}/api/v1/products", bench.base));
    let key = bench.partners.bench.key.clone();
    let products = load_products(clients, bench.duration, products_url, key, None).await;
    BareAndProducts { bare, products }
}

/// Products on two `serve` processes at once, for the bench reseller and
/// then for the limited one.
async fn phase_two_instances(bench: &Bench<'_>) -> anyhow::Result<TwoInstances> {
    let Partners {
        bench: partner,
        limited,
        ..
    } = &bench.partners;
    two_instances(
        bench.server_bin,
        bench.env,
        bench.base,
        &partner.key,
        &limited.key,
        bench.clients,
        bench.duration,
    )
    .await
}

/// Orders of the reseller without a credit limit, with the statements
/// PostgreSQL ran for them when it loads `pg_stat_statements`.
async fn phase_orders(bench: &Bench<'_>) -> anyhow::Result<(Stats, Option<PerOrder>)> {
    let statements = Statements::start(bench.database_url);
    let orders = load_orders(bench.clients, bench.duration, &bench.partners.bench, 0).await;
    let statements = statements.map(|s| s.per_order(bench.database_url)).transpose()?;
    Ok((orders, statements))
}

/// Orders of the prepaid reseller.
async fn phase_prepaid_orders(bench: &Bench<'_>) -> Stats {
    load_orders(bench.clients, bench.duration, &bench.partners.prepaid, 0).await
}

/// Starts `fluxbilling worker` on the deliveries the orders left pending
/// and waits until they arrive; answers the worker, still running.
async fn phase_drain(bench: &Bench<'_>) -> anyhow::Result<(Guard, Drain)> {
    let backlog: u64 = psql_value(
        bench.database_url,
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'",
    )?
    .parse()?;
    let worker = start_worker(bench.server_bin, bench.env)?;
    let received = drain(&bench.received, backlog).await;
    Ok((worker, Drain { backlog, received }))
}

/// Commit-to-2xx latency: orders at a steady rate, the worker otherwise
/// idle.
async fn phase_paced(bench: &Bench<'_>) -> anyhow::Result<Stats> {
    paced_orders(&bench.partners.bench, &bench.received, bench.duration).await
}

/// Production's shape: orders while the worker delivers each one's
/// event to the receiver meanwhile (same machine, same database).
async fn phase_orders_while_delivering(bench: &Bench<'_>) -> Delivering {
    let delivered_before = bench.received.lock().expect("received").count;
    let orders = load_orders(bench.clients, bench.duration, &bench.partners.bench, 1 << 62).await;
    let delivered_meanwhile = bench.received.lock().expect("received").count - delivered_before;
    Delivering {
        orders,
        delivered_meanwhile,
    }
}

/// Orders of the `http` product while the worker delivers and provisions:
/// each order's `create` goes to the local endpoint. Waits (at most two
/// minutes) until every action is done, then reads the rate and the order
/// to active times from the actions' own timestamps.
async fn phase_provisioning(bench: &Bench<'_>) -> anyhow::Result<Provisioned> {
    let url = bench.database_url;
    let orders = load_orders(bench.clients, bench.duration, &bench.partners.provisioned, 3 << 61).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while psql_value(url, "SELECT count(*) FROM provisioning_actions WHERE state <> 'done'")? != "0"
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let figures = psql_value(
        url,
        "SELECT count(*) || ' ' ||
                COALESCE(count(*) / NULLIF(EXTRACT(EPOCH FROM max(finished_at) - min(created_at)), 0), 0) || ' ' ||
                COALESCE(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - created_at)), 0) || ' ' ||
                COALESCE(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - created_at)), 0)
         FROM provisioning_actions WHERE state = 'done'",
    )?;
    let parts: Vec<f64> = figures.split(' ').map(|p| p.parse().unwrap_or(0.0)).collect();
    let [actions, per_second, p50_ms, p99_ms] = parts[..] else {
        anyhow::bail!("unexpected provisioning figures: {figures}");
    };
    Ok(Provisioned {
        orders,
        actions: actions as u64,
        per_second,
        p50_ms,
        p99_ms,
    })
}

/// The bytes of each panel's first page, as a browser first loads it.
async fn phase_first_load(bench: &Bench<'_>) -> anyhow::Result<Vec<(&'static str, u64)>> {
    first_load(bench.base).await
}

/// The database baseline: pgbench TPC-B on a database of its own.
fn phase_pgbench(bench: &Bench<'_>) -> anyhow::Result<f64> {
    pgbench(bench.pg_admin, bench.pgbench_db, bench.clients, bench.duration)
}
