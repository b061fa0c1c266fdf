//! `fluxbench`: load benchmarks that report ratios against baselines
//! measured in the same run, on the same machine, with the same load
//! generator (this one), so a noisy shared machine affects both sides.
//!
//! `fluxbench run` creates a fresh PostgreSQL database, starts the release
//! `fluxbilling serve` on it, sets up a reseller with a priced product, an
//! API key and a webhook secret through the admin API, then measures:
//!   1. a bare axum endpoint (a child process, `fluxbench bare`),
//!   2. `GET /api/v1/products`,
//!   3. signed, idempotent `POST /api/v1/orders`,
//!   4. pgbench TPC-B on a database of its own,
//!
//! It prints req/s, latency percentiles and the ratios the issue targets.

use anyhow::{Context, bail};
use base64::Engine;
use clap::{Parser, Subcommand};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

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
    },
    /// The baseline: a bare axum endpoint returning a small JSON body.
    Bare {
        #[arg(long)]
        port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Cmd::Bare { port } => runtime.block_on(bare(port)),
        Cmd::Run {
            server_bin,
            pg_admin,
            clients,
            seconds,
        } => runtime.block_on(run(&server_bin, &pg_admin, clients, Duration::from_secs(seconds))),
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

struct Admin {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Admin {
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

/// What a scenario's clients measured.
#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    errors: u64,
    elapsed: Duration,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
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

/// Runs `clients` loops of `request` for `duration` (after a warm-up).
async fn load<F, Fut>(clients: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(reqwest::Client, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
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
                let ok = request(client.clone(), (worker as u64) << 32 | n).await;
                let t1 = Instant::now();
                if t0 >= measure_from && t1 <= end {
                    if ok {
                        stats.latencies_us.push((t1 - t0).as_micros() as u64);
                    } else {
                        stats.errors += 1;
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
            total.latencies_us.extend(s.latencies_us);
            total.errors += s.errors;
        }
    }
    total
}

fn sign(key: &[u8], ts: i64, method: &str, path: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("{ts}.{method}.{path}.{body}").as_bytes());
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

async fn run(server_bin: &str, pg_admin: &str, clients: usize, duration: Duration) -> anyhow::Result<()> {
    let id = std::process::id();
    let app_db = format!("flux_bench_{id}");
    let pgbench_db = format!("flux_bench_pgbench_{id}");
    psql(pg_admin, &format!("CREATE DATABASE {app_db}"))?;
    psql(pg_admin, &format!("CREATE DATABASE {pgbench_db}"))?;
    let result = measure(server_bin, pg_admin, &app_db, &pgbench_db, clients, duration).await;
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {app_db} WITH (FORCE)"));
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {pgbench_db} WITH (FORCE)"));
    result
}

async fn measure(
    server_bin: &str,
    pg_admin: &str,
    app_db: &str,
    pgbench_db: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let database_url = db_url(pg_admin, app_db);
    let secrets_key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("RUST_LOG", "warn"),
        ("FLUX_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("FLUX_SECRETS_KEY", secrets_key.as_str()),
    ];
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
    let port = free_port()?;
    let _server = Guard(
        Command::new(server_bin)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(env)
            .stdout(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/healthz")).await?;

    let admin = Admin {
        base: base.clone(),
        token,
        client: reqwest::Client::new(),
    };
    let product = admin
        .call(
            reqwest::Method::POST,
            "/products",
            json!({ "name": "Bench VPS", "slug": "bench-vps", "kind": "vps", "retail_monthly": "10.00" }),
        )
        .await?;
    let product_id = product["id"].as_str().unwrap_or_default().to_owned();
    let reseller = admin
        .call(
            reqwest::Method::POST,
            "/resellers",
            json!({ "email": "bench@example.com", "company_name": "Bench Co", "rate_limit": 1_000_000 }),
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
            &format!("/resellers/{reseller_id}/products/{product_id}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await?;
    let webhook = admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{reseller_id}/webhook"),
            json!({ "url": "http://127.0.0.1:9/hooks" }),
        )
        .await?;
    let secret = webhook["secret"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("whsec_")
        .to_owned();
    let secret = Arc::new(base64::engine::general_purpose::STANDARD.decode(secret)?);
    let key = admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{reseller_id}/api-keys"),
            json!({}),
        )
        .await?;
    let key = Arc::new(key["key"].as_str().unwrap_or_default().to_owned());

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
    let mut bare_stats = load(clients, duration, {
        let url = bare_url.clone();
        move |c, _| {
            let url = url.clone();
            async move { c.get(url.as_str()).send().await.is_ok_and(|r| r.status().is_success()) }
        }
    })
    .await;

    let products_url = Arc::new(format!("{base}/api/v1/products"));
    let mut products = load(clients, duration, {
        let (url, key) = (products_url.clone(), key.clone());
        move |c, _| {
            let (url, key) = (url.clone(), key.clone());
            async move {
                c.get(url.as_str())
                    .bearer_auth(key.as_str())
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        }
    })
    .await;

    let orders_url = Arc::new(format!("{base}/api/v1/orders"));
    let product_id = Arc::new(product_id);
    let mut orders = load(clients, duration, {
        let (url, key, secret, product) = (orders_url.clone(), key.clone(), secret.clone(), product_id.clone());
        move |c, n| {
            let (url, key, secret, product) = (url.clone(), key.clone(), secret.clone(), product.clone());
            async move {
                let body = json!({
                    "customer": { "external_id": format!("bench-{}", n % 1000) },
                    "lines": [{ "product_id": product.as_str(), "term": "monthly", "quantity": 1 }]
                })
                .to_string();
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                c.post(url.as_str())
                    .bearer_auth(key.as_str())
                    .header("content-type", "application/json")
                    .header("Flux-Timestamp", ts.to_string())
                    .header(
                        "Flux-Signature",
                        format!("v1={}", sign(&secret, ts, "POST", "/api/v1/orders", &body)),
                    )
                    .header("Idempotency-Key", format!("bench-{n}-{ts}"))
                    .body(body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().as_u16() == 201)
            }
        }
    })
    .await;

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
    let (orders_rate, orders_p99) = report("POST /api/v1/orders (signed)", &mut orders);
    println!("{:<28} {tps:>10.0} tps", "pgbench TPC-B");
    println!();
    let products_ratio = products_rate / bare_rate;
    let orders_ratio = orders_rate / tps;
    println!("products / bare endpoint     {products_ratio:.2}x   (target >= 0.40)");
    println!("orders / pgbench TPC-B       {orders_ratio:.2}x   (target >= 0.50)");
    println!("orders p99                   {orders_p99:.1} ms   (target < 50 ms at 16 clients)");
    println!(
        "{}",
        json!({
            "clients": clients, "seconds": duration.as_secs(),
            "bare_rps": bare_rate.round(), "products_rps": products_rate.round(), "orders_rps": orders_rate.round(),
            "pgbench_tps": tps.round(), "products_ratio": (products_ratio * 100.0).round() / 100.0,
            "orders_ratio": (orders_ratio * 100.0).round() / 100.0, "orders_p99_ms": (orders_p99 * 10.0).round() / 10.0,
            "errors": { "bare": bare_stats.errors, "products": products.errors, "orders": orders.errors }
        })
    );
    Ok(())
}
