//! `fluxbench`: load benchmarks that report ratios against baselines
//! measured in the same run, on the same machine, with the same load
//! generator (this one), so a noisy shared machine affects both sides.
//!
//! `fluxbench run` creates a fresh PostgreSQL database, starts the release
//! `fluxbilling serve` on it, sets up a reseller with a priced product, an
//! API key and a webhook secret through the admin API, then measures:
//!   1. a bare axum endpoint (a child process, `fluxbench bare`),
//!   2. `GET /api/v1/products`; both again at `--wide-clients` (64)
//!      connections; then products on two `serve` processes at once (a
//!      second one on the same database and secrets key, the clients split
//!      between them), for the bench reseller and then for one whose rate
//!      limit the load exceeds (allowed against the limit: each process
//!      counting alone allows up to twice the limit),
//!   3. signed, idempotent `POST /api/v1/orders`, for a reseller without a
//!      credit limit (entries appended, no account row locked) and for a
//!      prepaid one (admission serialised on its account row),
//!   4. pgbench TPC-B on a database of its own,
//!   5. webhook deliveries to a receiver in this process: the backlog the
//!      orders left (the server runs with `FLUX_NO_WORKER`, so orders are
//!      measured alone) drained by `fluxbilling worker`, in deliveries/s,
//!   6. commit-to-2xx latency: orders paced at a steady rate with the worker
//!      idle, each delivery timed from its event's `timestamp` (written in
//!      the order's transaction) to its arrival at the receiver,
//!   7. orders again at full load while the worker delivers each one's event
//!      meanwhile (production's shape),
//!   8. the first load of each panel's first page: HTML and the `/pkg` files
//!      it links, as sent to a browser accepting brotli.
//!
//! It prints req/s, latency percentiles and the ratios the issue targets.

mod scale;

use anyhow::{Context, bail};
use base64::Engine;
use clap::{Parser, Subcommand};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

#[derive(Parser)]
#[command(name = "fluxbench", about = "FluxBilling partner API benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every measurement and print the report.
    Run {
        /// The release `fluxbilling` binary.
        #[arg(long, env = "FLUX_BIN")]
        server_bin: String,
        /// A PostgreSQL URL of a database that may create others.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        pg_admin: String,
        /// Concurrent clients (connections).
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Seconds measured per scenario (after a 2 s warm-up).
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Connections of the second bare/products pair: whether the
        /// request path keeps up as concurrency grows.
        #[arg(long, default_value_t = 64)]
        wide_clients: usize,
    },
    /// The lists at 1k rows and at full size (see `scale.rs`).
    Scale {
        #[arg(long, env = "FLUX_BIN")]
        server_bin: String,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        pg_admin: String,
        #[arg(long, default_value_t = 1_000)]
        resellers: u64,
        #[arg(long, default_value_t = 1_000_000)]
        services: u64,
        #[arg(long, default_value_t = 5_000_000)]
        logs: u64,
        #[arg(long, default_value_t = 1_000_000)]
        deliveries: u64,
    },
    /// The baseline: a bare axum endpoint returning a small JSON body.
    Bare {
        #[arg(long)]
        port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Cmd::Bare { port } => runtime.block_on(bare(port)),
        Cmd::Scale {
            server_bin,
            pg_admin,
            resellers,
            services,
            logs,
            deliveries,
        } => runtime.block_on(scale::run(
            &server_bin,
            &pg_admin,
            scale::Sizes {
                resellers,
                services,
                logs,
                deliveries,
            },
        )),
        Cmd::Run {
            server_bin,
            pg_admin,
            clients,
            seconds,
            wide_clients,
        } => runtime.block_on(run(
            &server_bin,
            &pg_admin,
            Concurrency {
                clients,
                wide: wide_clients,
            },
            Duration::from_secs(seconds),
        )),
    }
}

async fn bare(port: u16) -> anyhow::Result<()> {
    let app = axum::Router::new().route(
        "/bare",
        axum::routing::get(|| async {
            axum::Json(json!({ "data": [{ "id": "prd_x", "name": "bare" }], "next_cursor": null }))
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `fluxbilling serve` on a free port with `env`; answers the process
/// (stopped when dropped) and its base URL once `/healthz` answers.
async fn serve(server_bin: &str, env: &[(&str, &str)]) -> anyhow::Result<(Guard, String)> {
    let port = free_port()?;
    let server = Guard(
        Command::new(server_bin)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/healthz")).await?;
    Ok((server, base))
}

/// The baseline scenario: `GET` of the bare endpoint.
async fn load_bare(clients: usize, duration: Duration, url: &Arc<String>) -> Stats {
    let url = url.clone();
    load(clients, duration, move |c, _| {
        let url = url.clone();
        async move { c.get(url.as_str()).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await
}

/// Kills the child process when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn psql(admin: &str, sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql").args([admin, "-qAt", "-c", sql]).status()?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

/// What PostgreSQL ran during a phase, per order placed in it, from
/// `pg_stat_statements` when the server loads it (`shared_preload_libraries`;
/// the bench does not change the server's configuration). Every statement
/// of the database counts, the server's background work included: it is
/// part of what an order costs.
struct Statements {
    orders_before: u64,
}

struct PerOrder {
    total: f64,
    /// The most frequent statements: calls per order, the query's start.
    top: Vec<(f64, String)>,
}

impl Statements {
    fn start(url: &str) -> Option<Statements> {
        psql_value(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").ok()?;
        psql_value(url, "SELECT pg_stat_statements_reset()").ok()?;
        let orders_before = psql_value(url, "SELECT count(*) FROM orders").ok()?.parse().ok()?;
        Some(Statements { orders_before })
    }

    fn per_order(self, url: &str) -> anyhow::Result<PerOrder> {
        let orders: u64 = psql_value(url, "SELECT count(*) FROM orders")?.parse()?;
        let placed = orders.saturating_sub(self.orders_before).max(1) as f64;
        let ours = "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'SELECT count(*) FROM orders'";
        let total: f64 = psql_value(url, &format!("SELECT COALESCE(sum(calls), 0) {ours}"))?.parse()?;
        let top = psql_value(
            url,
            &format!(
                "SELECT calls || '|' || regexp_replace(left(query, 200), '\\s+', ' ', 'g') {ours} ORDER BY calls DESC LIMIT 24"
            ),
        )?
        .lines()
        .filter_map(|line| {
            let (calls, query) = line.split_once('|')?;
            let calls = calls.parse::<f64>().ok()? / placed;
            Some((calls, query.chars().take(90).collect()))
        })
        .filter(|(calls, _)| *calls >= 0.05)
        .collect();
        Ok(PerOrder {
            total: total / placed,
            top,
        })
    }
}

/// The single value a query prints.
fn psql_value(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql").args([url, "-qAt", "-c", sql]).output()?;
    if !out.status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn db_url(admin: &str, name: &str) -> String {
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

async fn wait_ready(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not come up")
}

#[derive(Clone)]
struct Admin {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Admin {
    fn new(base: &str, token: String) -> Admin {
        Admin {
            base: base.to_owned(),
            token,
            client: reqwest::Client::new(),
        }
    }

    /// A VPS product with a retail monthly price of 10.00; its id.
    async fn product(&self, name: &str, slug: &str) -> anyhow::Result<String> {
        let product = self
            .call(
                reqwest::Method::POST,
                "/products",
                json!({ "name": name, "slug": slug, "kind": "vps", "retail_monthly": "10.00" }),
            )
            .await?;
        Ok(product["id"].as_str().context("product id")?.to_owned())
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .client
            .request(method, format!("{}/api/admin/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let value: Value = r.json().await?;
        if !status.is_success() {
            bail!("{path}: {status} {value}");
        }
        Ok(value)
    }
}

/// What one request came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    /// 429.
    RateLimited,
    /// Any other status than 2xx, or no answer.
    Failed,
}

impl From<bool> for Outcome {
    fn from(ok: bool) -> Self {
        if ok { Outcome::Success } else { Outcome::Failed }
    }
}

impl Outcome {
    fn of(response: reqwest::Result<reqwest::Response>) -> Self {
        match response {
            Ok(r) if r.status().is_success() => Outcome::Success,
            Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => Outcome::RateLimited,
            _ => Outcome::Failed,
        }
    }
}

/// Answers by outcome.
#[derive(Clone, Copy, Default)]
struct Tally {
    success: u64,
    rate_limited: u64,
    failed: u64,
}

impl Tally {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Success => self.success += 1,
            Outcome::RateLimited => self.rate_limited += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    fn add(&mut self, other: Tally) {
        self.success += other.success;
        self.rate_limited += other.rate_limited;
        self.failed += other.failed;
    }
}

/// What a scenario's clients measured.
#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    /// Requests without a 2xx (429s included) in the measured span.
    errors: u64,
    /// Of `errors`, the 429s.
    rate_limited: u64,
    /// Every answer, warm-up and the requests in flight at the end included:
    /// what a rate limiter counted.
    answered: Tally,
    elapsed: Duration,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Two scenarios run at the same time, as one.
    fn merge(mut self, other: Stats) -> Stats {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.rate_limited += other.rate_limited;
        self.answered.add(other.answered);
        self.elapsed = self.elapsed.max(other.elapsed);
        self
    }

    fn percentile(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// Runs `clients` loops of `request` for `duration` (after a warm-up);
/// `request` answers whether it succeeded (a `bool` or an [`Outcome`]).
async fn load<F, Fut>(clients: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(reqwest::Client, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future + Send,
    Fut::Output: Into<Outcome>,
{
    let request = Arc::new(request);
    let warmup = Duration::from_secs(2);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::new();
    for worker in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let mut stats = Stats::default();
            let mut n = 0u64;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                n += 1;
                let outcome: Outcome = request(client.clone(), (worker as u64) << 32 | n).await.into();
                let t1 = Instant::now();
                stats.answered.count(outcome);
                if t0 >= measure_from && t1 <= end {
                    match outcome {
                        Outcome::Success => stats.latencies_us.push((t1 - t0).as_micros() as u64),
                        Outcome::RateLimited => {
                            stats.errors += 1;
                            stats.rate_limited += 1;
                        }
                        Outcome::Failed => stats.errors += 1,
                    }
                }
            }
            stats
        }));
    }
    let mut total = Stats {
        elapsed: duration,
        ..Stats::default()
    };
    for task in tasks {
        if let Ok(s) = task.await {
            total = total.merge(s);
        }
    }
    total
}

/// For each allowed request, the end (Unix seconds) of the rate-limit
/// window it was counted in.
type WindowEnds = Arc<Mutex<Vec<i64>>>;

/// `GET /api/v1/products` with a partner's key: what the products
/// scenarios send. With `ends`, a 2xx's window end is recorded.
async fn get_products(c: reqwest::Client, url: Arc<String>, key: Arc<String>, ends: Option<WindowEnds>) -> Outcome {
    let response = c.get(url.as_str()).bearer_auth(key.as_str()).send().await;
    if let (Some(ends), Ok(r)) = (&ends, &response)
        && r.status().is_success()
    {
        ends.lock().expect("window ends").push(window_end(r));
    }
    Outcome::of(response)
}

/// When the rate-limit window of a response ends, in Unix seconds, from
/// `RateLimit: "reseller";r=998;t=42` (0 without the field).
fn window_end(response: &reqwest::Response) -> i64 {
    response
        .headers()
        .get("ratelimit")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .find_map(|part| part.trim().strip_prefix("t=")?.parse::<i64>().ok())
        })
        .map_or(0, |t| OffsetDateTime::now_utc().unix_timestamp() + t)
}

/// Allowed requests per rate-limit window, from their windows' ends: ends
/// less than half a window apart are one window (`t=` is rounded to whole
/// seconds, and windows counted in each process start apart).
fn per_window(mut ends: Vec<i64>, window_secs: u64) -> Vec<u64> {
    ends.sort_unstable();
    let apart = i64::try_from(window_secs / 2).unwrap_or(i64::MAX).max(1);
    let mut windows: Vec<(i64, u64)> = Vec::new();
    for end in ends {
        match windows.last_mut() {
            Some((first, count)) if end - *first < apart => *count += 1,
            _ => windows.push((end, 1)),
        }
    }
    windows.into_iter().map(|(_, count)| count).collect()
}

async fn load_products(
    clients: usize,
    duration: Duration,
    url: Arc<String>,
    key: Arc<String>,
    ends: Option<WindowEnds>,
) -> Stats {
    load(clients, duration, move |c, _| {
        get_products(c, url.clone(), key.clone(), ends.clone())
    })
    .await
}

/// The products scenario on both instances at once, the clients split
/// between them: each instance's stats.
async fn load_products_on_both(
    clients: usize,
    duration: Duration,
    urls: &[Arc<String>; 2],
    key: &Arc<String>,
    ends: Option<WindowEnds>,
) -> [Stats; 2] {
    let (first, second) = tokio::join!(
        load_products(
            clients - clients / 2,
            duration,
            urls[0].clone(),
            key.clone(),
            ends.clone()
        ),
        load_products(clients / 2, duration, urls[1].clone(), key.clone(), ends),
    );
    [first, second]
}

/// The rate limit of the reseller of the two-instance rate-limit scenario,
/// low enough for the load to exceed it early in one window.
const LIMITED_RATE_LIMIT: u64 = 3_000;

/// What the two-instance scenarios measured.
struct TwoInstances {
    /// `GET /api/v1/products` with the bench reseller's key, per instance.
    products: [Stats; 2],
    /// The same with the key of the reseller limited to
    /// [`LIMITED_RATE_LIMIT`] requests per window, per instance.
    limited: [Stats; 2],
    /// The limited reseller's allowed requests per rate-limit window the
    /// scenario touched, in order.
    limited_windows: Vec<u64>,
    /// The servers' rate-limit window (`GET /api/v1/me`).
    window_secs: u64,
    /// Warm-up and measured span of one scenario: what a window must hold.
    span: Duration,
}

/// Starts a second `fluxbilling serve` beside the first (same binary,
/// database and secrets key, another port, no worker either) and loads both
/// with `GET /api/v1/products`: first with the bench reseller's key, then
/// with `limited_key`, whose reseller's rate limit the load exceeds. The
/// second process is stopped on return.
async fn two_instances(
    server_bin: &str,
    env: &[(&str, &str)],
    first_base: &str,
    key: &Arc<String>,
    limited_key: &Arc<String>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<TwoInstances> {
    let (_second, second_base) = serve(server_bin, env).await?;
    let me: Value = reqwest::Client::new()
        .get(format!("{first_base}/api/v1/me"))
        .bearer_auth(key.as_str())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let window_secs = me["rate_limit_window_secs"]
        .as_u64()
        .context("GET /api/v1/me: no rate_limit_window_secs")?;
    let urls = [first_base, second_base.as_str()].map(|base| Arc::new(format!("{base}/api/v1/products")));
    let products = load_products_on_both(clients, duration, &urls, key, None).await;
    let ends = WindowEnds::default();
    let limited = load_products_on_both(clients, duration, &urls, limited_key, Some(ends.clone())).await;
    let ends = std::mem::take(&mut *ends.lock().expect("window ends"));
    Ok(TwoInstances {
        products,
        limited,
        limited_windows: per_window(ends, window_secs),
        window_secs,
        span: Duration::from_secs(2) + duration,
    })
}

/// Signature v2, as a partner's own code computes it (DESIGN.md "Partner
/// API"): written here from the contract rather than taken from the
/// server, so the benchmark talks to it as an outside client does.
fn sign(key: &[u8], ts: i64, method: &str, path: &str, idempotency_key: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("{ts}.{method}.{path}.{idempotency_key}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn pgbench(admin: &str, name: &str, clients: usize, duration: Duration) -> anyhow::Result<f64> {
    let url = db_url(admin, name);
    let init = Command::new("pgbench")
        .args(["-i", "-s", "4", "-q", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !init.success() {
        bail!("pgbench -i failed");
    }
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &duration.as_secs().to_string(),
            &url,
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse::<f64>().ok())
        .context("pgbench printed no tps")?;
    Ok(tps)
}

/// Connections: `clients` for every scenario, `wide` for the second
/// bare/products pair.
#[derive(Clone, Copy)]
struct Concurrency {
    clients: usize,
    wide: usize,
}

async fn run(server_bin: &str, pg_admin: &str, concurrency: Concurrency, duration: Duration) -> anyhow::Result<()> {
    let id = std::process::id();
    let app_db = format!("flux_bench_{id}");
    let pgbench_db = format!("flux_bench_pgbench_{id}");
    psql(pg_admin, &format!("CREATE DATABASE {app_db}"))?;
    psql(pg_admin, &format!("CREATE DATABASE {pgbench_db}"))?;
    let result = measure(server_bin, pg_admin, &app_db, &pgbench_db, concurrency, duration).await;
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {app_db} WITH (FORCE)"));
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {pgbench_db} WITH (FORCE)"));
    result
}

async fn measure(
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
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("RUST_LOG", "warn"),
        ("FLUX_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("FLUX_SECRETS_KEY", secrets_key.as_str()),
        // `serve` runs without its worker so the orders are measured alone;
        // `fluxbilling worker` is started for the webhook scenarios.
        ("FLUX_NO_WORKER", "true"),
    ];
    let (receiver_port, received) = receiver().await?;
    let token_out = Command::new(server_bin)
        .args(["admin-token", "create", "--name", "bench"])
        .envs(env)
        .output()?;
    let token = String::from_utf8_lossy(&token_out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let (_server, base) = serve(server_bin, &env).await?;

    let admin = Admin::new(&base, token);
    let product_id = admin.product("Bench VPS", "bench-vps").await?;
    let partner = bench_partner(&admin, &base, "bench", &product_id, receiver_port).await?;
    // A prepaid account (credit limit 0.00) with funds for every order the
    // run can place: its orders are admitted one at a time per reseller.
    let prepaid = bench_partner(&admin, &base, "prepaid", &product_id, receiver_port).await?;
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
    // Its own reseller for the two-instance rate-limit scenario: no request
    // has been counted for it yet in either process (the bench reseller's
    // windows already hold the products scenario's requests).
    let limited = bench_partner(&admin, &base, "limited", &product_id, receiver_port).await?;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/resellers/{}", limited.reseller),
            json!({ "rate_limit": LIMITED_RATE_LIMIT }),
        )
        .await?;
    let key = partner.key.clone();

    let bare_port = free_port()?;
    let _bare = Guard(
        Command::new(std::env::current_exe()?)
            .args(["bare", "--port", &bare_port.to_string()])
            .spawn()?,
    );
    let bare_url = Arc::new(format!("http://127.0.0.1:{bare_port}/bare"));
    wait_ready(&bare_url).await?;

    println!(
        "FluxBilling partner API benchmark: {clients} clients, {} s per scenario, PostgreSQL",
        duration.as_secs()
    );
    let mut bare_stats = load_bare(clients, duration, &bare_url).await;

    let products_url = Arc::new(format!("{base}/api/v1/products"));
    let mut products = load_products(clients, duration, products_url.clone(), key.clone(), None).await;
    let mut bare_wide = load_bare(wide, duration, &bare_url).await;
    let mut products_wide = load_products(wide, duration, products_url.clone(), key.clone(), None).await;
    let two = two_instances(server_bin, &env, &base, &key, &limited.key, clients, duration).await?;

    let statements = Statements::start(&database_url);
    let mut orders = load(clients, duration, {
        let partner = partner.clone();
        move |c, n| {
            let partner = partner.clone();
            async move { partner.order(&c, n).await }
        }
    })
    .await;
    let statements = statements.map(|s| s.per_order(&database_url)).transpose()?;
    let mut prepaid_orders = load(clients, duration, {
        let prepaid = prepaid.clone();
        move |c, n| {
            let prepaid = prepaid.clone();
            async move { prepaid.order(&c, n).await }
        }
    })
    .await;

    let backlog: u64 = psql_value(
        &database_url,
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'",
    )?
    .parse()?;
    let _worker = Guard(
        Command::new(server_bin)
            .arg("worker")
            .envs(env)
            .stdout(Stdio::null())
            .spawn()?,
    );
    let drain = drain(&received, backlog).await;
    let mut paced = paced_orders(&partner, &received, duration).await?;
    // Production's shape: orders while the worker delivers each one's
    // event to the receiver meanwhile (same machine, same database).
    let delivered_before = received.lock().expect("received").count;
    let mut orders_delivering = load(clients, duration, {
        let partner = partner.clone();
        move |c, n| {
            let partner = partner.clone();
            async move { partner.order(&c, (1 << 62) | n).await }
        }
    })
    .await;
    let delivered_meanwhile = received.lock().expect("received").count - delivered_before;
    let first_load = first_load(&base).await?;

    let tps = pgbench(pg_admin, pgbench_db, clients, duration)?;

    let report = |name: &str, s: &mut Stats| {
        let (rate, p50, p99) = (s.rate(), s.percentile(0.50), s.percentile(0.99));
        println!(
            "{name:<28} {rate:>10.0} req/s   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   errors {}",
            s.errors
        );
        (rate, p99)
    };
    println!();
    let (bare_rate, _) = report("bare axum GET", &mut bare_stats);
    let (products_rate, _) = report("GET /api/v1/products", &mut products);
    let (bare_wide_rate, _) = report(&format!("bare axum GET, {wide} conns"), &mut bare_wide);
    let (products_wide_rate, _) = report(&format!("  products, {wide} conns"), &mut products_wide);
    let [first, second] = two.products;
    let mut products_two = first.merge(second);
    let (two_rate, two_p50, two_p99) = (
        products_two.rate(),
        products_two.percentile(0.50),
        products_two.percentile(0.99),
    );
    println!(
        "{:<28} {two_rate:>10.0} req/s   p50 {two_p50:>7.2} ms   p99 {two_p99:>7.2} ms   errors {}   429s {}",
        "  the same, two instances", products_two.errors, products_two.rate_limited
    );
    let limited_per_instance = two.limited.each_ref().map(|s| s.answered.success);
    let mut limited_answers = Tally::default();
    for s in &two.limited {
        limited_answers.add(s.answered);
    }
    let limited_allowed = limited_answers.success;
    // Held: no window allowed more than the limit (the load may straddle two
    // windows aligned on the database's clock; in one window, as almost
    // always, that is allowed <= limit).
    let limited_max = two.limited_windows.iter().copied().max().unwrap_or(0);
    let held = limited_max <= LIMITED_RATE_LIMIT;
    let limit_held = if held { "yes" } else { "no" };
    println!(
        "{:<28} {limited_allowed:>10} allowed   429s {}   errors {}   limit held: {limit_held}   \
         ({} + {} per instance; at most {limited_max} in one {} s window, {} window(s) in {} s)",
        format!("  two instances, limit {LIMITED_RATE_LIMIT}"),
        limited_answers.rate_limited,
        limited_answers.failed,
        limited_per_instance[0],
        limited_per_instance[1],
        two.window_secs,
        two.limited_windows.len(),
        two.span.as_secs()
    );
    let (orders_rate, orders_p99) = report("POST /api/v1/orders (signed)", &mut orders);
    let (prepaid_rate, _) = report("  the same, prepaid account", &mut prepaid_orders);
    let (delivering_rate, delivering_p99) = report("  the same, worker delivering", &mut orders_delivering);
    println!("{:<28} {delivered_meanwhile:>10} deliveries arrived meanwhile", "");
    match &statements {
        Some(per_order) => {
            println!(
                "{:<28} {:>10.1} statements per order (pg_stat_statements)",
                "", per_order.total
            );
            for (calls, query) in &per_order.top {
                println!("{:<28} {calls:>10.2}   {query}", "");
            }
        }
        None => println!("{:<28} statements per order: load pg_stat_statements to see them", ""),
    }
    println!("{:<28} {tps:>10.0} tps", "pgbench TPC-B");
    println!(
        "{:<28} {:>10.0} deliveries/s   ({} of {backlog} delivered in {:.1} s)",
        "webhook backlog drain",
        drain.rate(),
        drain.count,
        drain.span().as_secs_f64()
    );
    let (delivery_p50, delivery_p99) = (paced.percentile(0.50), paced.percentile(0.99));
    println!(
        "{:<28} {:>10} deliveries     p50 {delivery_p50:>7.2} ms   p99 {delivery_p99:>7.2} ms",
        "webhook commit-to-2xx",
        paced.latencies_us.len()
    );
    println!();
    let products_ratio = products_rate / bare_rate;
    let orders_ratio = orders_rate / tps;
    println!("products / bare endpoint     {products_ratio:.2}x   (target >= 0.50)");
    let products_wide_ratio = products_wide_rate / bare_wide_rate;
    println!("  at {wide} connections        {products_wide_ratio:.2}x   (target >= 0.50)");
    let two_ratio = two_rate / bare_rate;
    let two_scale = two_rate / products_rate;
    println!(
        "products, 2 instances / bare {two_ratio:.2}x   ({two_scale:.2}x one instance; 429s {}, other errors {})",
        products_two.rate_limited,
        products_two.errors - products_two.rate_limited
    );
    println!(
        "rate limit, 2 instances      {limited_max} of {LIMITED_RATE_LIMIT} in one window   limit held: {limit_held}   \
         ({limited_allowed} allowed: {} + {} per instance; {} 429s)",
        limited_per_instance[0], limited_per_instance[1], limited_answers.rate_limited
    );
    println!("orders / pgbench TPC-B       {orders_ratio:.2}x   (target >= 0.50; no credit limit)");
    let prepaid_ratio = prepaid_rate / tps;
    println!("prepaid orders / pgbench     {prepaid_ratio:.2}x   (admission serialised per reseller)");
    println!("orders p99                   {orders_p99:.1} ms   (target < 50 ms at 16 clients)");
    let delivering_ratio = delivering_rate / tps;
    println!(
        "orders, worker delivering    {delivering_ratio:.2}x   p99 {delivering_p99:.1} ms   (target >= 0.50, p99 < 50 ms)"
    );
    println!("webhook deliveries/s         {:.0}   (target >= 2500)", drain.rate());
    println!("webhook commit-to-2xx p50    {delivery_p50:.1} ms   p99 {delivery_p99:.1} ms   (target p50 < 100 ms)");
    for (page, bytes) in &first_load {
        println!(
            "first load {page:<17} {:>7.0} KB   (html + js + wasm + css, brotli; target <= 300 KB)",
            *bytes as f64 / 1024.0
        );
    }
    println!(
        "{}",
        json!({
            "clients": clients, "seconds": duration.as_secs(),
            "bare_rps": bare_rate.round(), "products_rps": products_rate.round(), "orders_rps": orders_rate.round(),
            "pgbench_tps": tps.round(), "products_ratio": (products_ratio * 100.0).round() / 100.0,
            "orders_ratio": (orders_ratio * 100.0).round() / 100.0,
            "prepaid_orders_rps": prepaid_rate.round(), "prepaid_orders_ratio": (prepaid_ratio * 100.0).round() / 100.0, "orders_p99_ms": (orders_p99 * 10.0).round() / 10.0,
            "webhook_backlog": backlog, "webhook_delivered": drain.count, "webhook_deliveries_per_s": drain.rate().round(),
            "webhook_p50_ms": (delivery_p50 * 10.0).round() / 10.0, "webhook_p99_ms": (delivery_p99 * 10.0).round() / 10.0,
            "wide_clients": wide, "bare_wide_rps": bare_wide_rate.round(), "products_wide_rps": products_wide_rate.round(),
            "products_wide_ratio": (products_wide_ratio * 100.0).round() / 100.0,
            "orders_delivering_rps": delivering_rate.round(), "orders_delivering_ratio": (delivering_ratio * 100.0).round() / 100.0,
            "orders_delivering_p99_ms": (delivering_p99 * 10.0).round() / 10.0,
            "statements_per_order": statements.as_ref().map(|s| (s.total * 10.0).round() / 10.0), "delivered_meanwhile": delivered_meanwhile,
            "first_load_bytes": first_load.iter().map(|(page, bytes)| (page.to_string(), json!(bytes))).collect::<serde_json::Map<_, _>>(),
            "products_two_instances_rps": two_rate.round(), "products_two_instances_ratio": (two_ratio * 100.0).round() / 100.0,
            "products_two_instances_scale": (two_scale * 100.0).round() / 100.0,
            "rate_limit_two_instances": {
                "limit": LIMITED_RATE_LIMIT, "window_secs": two.window_secs, "load_secs": two.span.as_secs(),
                "allowed": limited_allowed, "per_instance": limited_per_instance, "per_window": two.limited_windows,
                "rate_limited": limited_answers.rate_limited, "errors": limited_answers.failed, "held": held
            },
            "errors": {
                "bare": bare_stats.errors, "products": products.errors, "orders": orders.errors,
                "products_two_instances": products_two.errors, "products_two_instances_429": products_two.rate_limited
            }
        })
    );
    Ok(())
}

/// The first page of each panel.
const FIRST_PAGES: [&str; 2] = ["/admin/login", "/portal/login"];

/// What a browser with an empty cache downloads for each first page,
/// accepting brotli as browsers do: the HTML and every `/pkg` file it links
/// (bodies as sent; this reqwest has no decompression, so `bytes()` is the
/// wire size less headers).
async fn first_load(base: &str) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let client = reqwest::Client::new();
    let get = |url: String| {
        let request = client.get(url).header("accept-encoding", "br, gzip");
        async move { anyhow::Ok(request.send().await?.error_for_status()?.bytes().await?) }
    };
    let mut sizes = Vec::new();
    for page in FIRST_PAGES {
        let html = get(format!("{base}{page}")).await?;
        let text = String::from_utf8_lossy(&html);
        let mut files: Vec<&str> = text
            .split("\"/pkg/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        files.sort_unstable();
        files.dedup();
        if !files.iter().any(|f| f.ends_with(".wasm")) {
            bail!("{page} links no wasm: is the site built (cargo xtask site --release)?");
        }
        let mut total = html.len() as u64;
        for file in files {
            total += get(format!("{base}/pkg/{file}")).await?.len() as u64;
        }
        sizes.push((page, total));
    }
    Ok(sizes)
}

/// An active reseller `name` with `product` in its book, a key and a
/// webhook to the receiver: its software, ready to order.
async fn bench_partner(
    admin: &Admin,
    base: &str,
    name: &str,
    product: &str,
    receiver_port: u16,
) -> anyhow::Result<Partner> {
    let reseller = admin
        .call(
            reqwest::Method::POST,
            "/resellers",
            json!({ "email": format!("{name}@example.com"), "company_name": format!("{name} Co"), "rate_limit": 1_000_000 }),
        )
        .await?;
    let reseller_id = reseller["id"].as_str().unwrap_or_default().to_owned();
    admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{reseller_id}/approve"),
            json!({}),
        )
        .await?;
    admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{reseller_id}/products/{product}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await?;
    let webhook = admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{reseller_id}/webhook"),
            json!({ "url": format!("http://127.0.0.1:{receiver_port}/hooks") }),
        )
        .await?;
    let secret = webhook["secret"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("whsec_")
        .to_owned();
    let key = admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{reseller_id}/api-keys"),
            json!({}),
        )
        .await?;
    Ok(Partner {
        url: Arc::new(format!("{base}/api/v1/orders")),
        key: Arc::new(key["key"].as_str().unwrap_or_default().to_owned()),
        secret: Arc::new(base64::engine::general_purpose::STANDARD.decode(secret)?),
        product: Arc::new(product.to_owned()),
        reseller: reseller_id,
    })
}

/// A reseller's software placing signed, idempotent orders.
#[derive(Clone)]
struct Partner {
    reseller: String,
    url: Arc<String>,
    key: Arc<String>,
    secret: Arc<Vec<u8>>,
    product: Arc<String>,
}

impl Partner {
    /// Places order `n` (one line, one service): true on 201.
    async fn order(&self, c: &reqwest::Client, n: u64) -> bool {
        let body = json!({
            // Each order its own customer, as a shop's orders mostly are.
            "customer": { "external_id": format!("bench-{n:x}") },
            "lines": [{ "product_id": self.product.as_str(), "term": "monthly", "quantity": 1 }]
        })
        .to_string();
        let ts = OffsetDateTime::now_utc().unix_timestamp();
        let key = format!("bench-{n}-{ts}");
        let signature = sign(&self.secret, ts, "POST", "/api/v1/orders", &key, &body);
        c.post(self.url.as_str())
            .bearer_auth(self.key.as_str())
            .header("content-type", "application/json")
            .header("Flux-Timestamp", ts.to_string())
            .header("Flux-Signature", format!("v2={signature}"))
            .header("Idempotency-Key", key)
            .body(body)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 201)
    }
}

/// What the webhook receiver saw since it was last reset.
#[derive(Default)]
struct Received {
    count: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Event `timestamp` to arrival, per delivery.
    latencies_us: Vec<u64>,
}

impl Received {
    /// Deliveries per second between the first and the last arrival.
    fn rate(&self) -> f64 {
        self.count.saturating_sub(1) as f64 / self.span().as_secs_f64()
    }

    fn span(&self) -> Duration {
        match (self.first, self.last) {
            (Some(first), Some(last)) => last - first,
            _ => Duration::ZERO,
        }
    }
}

type Receiver = Arc<Mutex<Received>>;

/// A webhook endpoint in this process, answering 204 to every delivery.
async fn receiver() -> anyhow::Result<(u16, Receiver)> {
    let received = Receiver::default();
    let app = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((port, received))
}

async fn receive(
    axum::extract::State(received): axum::extract::State<Receiver>,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    let now = Instant::now();
    let lag_us = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v["timestamp"]
                .as_str()
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        })
        .map(|t| (OffsetDateTime::now_utc() - t).whole_microseconds().max(0) as u64);
    let mut r = received.lock().expect("receiver lock");
    r.count += 1;
    r.first.get_or_insert(now);
    r.last = Some(now);
    r.latencies_us.extend(lag_us);
    axum::http::StatusCode::NO_CONTENT
}

/// Waits until `expected` deliveries arrived (or none arrive for 30 s) and
/// returns what the receiver saw; it starts afresh for the next scenario.
async fn drain(received: &Receiver, expected: u64) -> Received {
    let mut seen = 0;
    let mut quiet_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let count = received.lock().expect("receiver lock").count;
        if count >= expected || quiet_since.elapsed() > Duration::from_secs(30) {
            break;
        }
        if count > seen {
            seen = count;
            quiet_since = Instant::now();
        }
    }
    std::mem::take(&mut *received.lock().expect("receiver lock"))
}

/// Orders at a steady 100/s (4 clients, one each 40 ms) for `duration`,
/// with the worker otherwise idle; returns each delivery's
/// commit-to-arrival latency.
async fn paced_orders(partner: &Partner, received: &Receiver, duration: Duration) -> anyhow::Result<Stats> {
    let end = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..4u64 {
        let partner = partner.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_millis(40));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut placed, mut n) = (0u64, 0u64);
            while Instant::now() < end {
                tick.tick().await;
                n += 1;
                placed += u64::from(partner.order(&client, (1 << 40) | (worker << 32) | n).await);
            }
            placed
        }));
    }
    let mut placed = 0;
    for task in tasks {
        placed += task.await?;
    }
    // Each order makes two deliveries: order.created and service.created.
    let seen = drain(received, placed * 2).await;
    Ok(Stats {
        latencies_us: seen.latencies_us,
        elapsed: duration,
        ..Stats::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_requests_are_grouped_by_window() {
        // Both processes counting alone: one window, ends a second apart.
        assert_eq!(per_window(vec![1060, 1061, 1060, 1061], 60), vec![4]);
        // A shared window straddled: two windows.
        assert_eq!(per_window(vec![1060, 1120, 1061, 1120, 1120], 60), vec![2, 3]);
        // No `RateLimit` field: all in one.
        assert_eq!(per_window(vec![0, 0, 0], 60), vec![3]);
        assert!(per_window(Vec::new(), 60).is_empty());
    }

    #[test]
    fn the_window_end_is_read_from_the_ratelimit_field() {
        let response = |value: &str| {
            reqwest::Response::from(
                axum::http::Response::builder()
                    .header("ratelimit", value)
                    .body(Vec::<u8>::new())
                    .expect("response"),
            )
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let end = window_end(&response("\"reseller\";r=998;t=42"));
        assert!((now + 42..=now + 43).contains(&end), "{end}");
        assert_eq!(window_end(&response("\"reseller\";r=998")), 0);
    }
}
