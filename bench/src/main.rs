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
//!   8. orders for an `http` product, the worker delivering and provisioning
//!      (a local endpoint answers every action done): actions/s and order
//!      to active from the actions' own timestamps,
//!   9. the first load of each panel's first page: HTML and the `/pkg` files
//!      it links, as sent to a browser accepting brotli.
//!
//! It prints req/s, latency percentiles and the ratios the issue targets.
//!
//! Where each part lives:
//! - `phases.rs`: the run: its set-up, one function per phase above, in
//!   order, then the report;
//! - `processes.rs`: the server, its worker, the bare endpoint's process,
//!   the databases, `psql`, `pgbench` and `pg_stat_statements`;
//! - `load.rs`: the load generator and the bare axum endpoint;
//! - `clients.rs`: the API clients: set-up through the admin API, signed
//!   orders, the products scenarios (one instance and two), the first load;
//! - `receiver.rs`: the webhook receiver and the scenarios timed by it;
//! - `report.rs`: the table, the ratios and the JSON line;
//! - `scale.rs`: `fluxbench scale`, the lists at 1k rows and at full size.

mod clients;
mod load;
mod phases;
mod processes;
mod receiver;
mod report;
mod scale;

use clap::{Parser, Subcommand};
use phases::Concurrency;
use processes::psql;
use std::time::Duration;

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
        Cmd::Bare { port } => runtime.block_on(load::bare(port)),
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

async fn run(server_bin: &str, pg_admin: &str, concurrency: Concurrency, duration: Duration) -> anyhow::Result<()> {
    let id = std::process::id();
    let app_db = format!("flux_bench_{id}");
    let pgbench_db = format!("flux_bench_pgbench_{id}");
    psql(pg_admin, &format!("CREATE DATABASE {app_db}"))?;
    psql(pg_admin, &format!("CREATE DATABASE {pgbench_db}"))?;
    let result = phases::measure(server_bin, pg_admin, &app_db, &pgbench_db, concurrency, duration).await;
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {app_db} WITH (FORCE)"));
    let _ = psql(pg_admin, &format!("DROP DATABASE IF EXISTS {pgbench_db} WITH (FORCE)"));
    result
}
