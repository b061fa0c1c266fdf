//! Starting and stopping the processes and databases a run measures: the
//! server, its worker, the bare endpoint, `psql` and `pgbench`.

use anyhow::{Context, bail};
use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

/// Kills the child process when dropped.
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `fluxbilling serve` on a free port with `env`; answers the process
/// (stopped when dropped) and its base URL once `/healthz` answers.
pub(crate) async fn serve(server_bin: &str, env: &[(&str, &str)]) -> anyhow::Result<(Guard, String)> {
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

/// Starts `fluxbilling worker` with `env`: it delivers the webhooks.
pub(crate) fn start_worker(server_bin: &str, env: &[(&str, &str)]) -> anyhow::Result<Guard> {
    Ok(Guard(
        Command::new(server_bin)
            .arg("worker")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()?,
    ))
}

/// Starts the baseline endpoint (`fluxbench bare`, this binary) on a free
/// port; answers the process and its URL once it answers.
pub(crate) async fn start_bare() -> anyhow::Result<(Guard, Arc<String>)> {
    let bare_port = free_port()?;
    let bare = Guard(
        Command::new(std::env::current_exe()?)
            .args(["bare", "--port", &bare_port.to_string()])
            .spawn()?,
    );
    let bare_url = Arc::new(format!("http://127.0.0.1:{bare_port}/bare"));
    wait_ready(&bare_url).await?;
    Ok((bare, bare_url))
}

/// A new admin API token, from `fluxbilling admin-token create` (the last
/// line it prints).
pub(crate) fn admin_token(server_bin: &str, env: &[(&str, &str)]) -> anyhow::Result<String> {
    let token_out = Command::new(server_bin)
        .args(["admin-token", "create", "--name", "bench"])
        .envs(env.iter().copied())
        .output()?;
    Ok(String::from_utf8_lossy(&token_out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

pub(crate) async fn wait_ready(url: &str) -> anyhow::Result<()> {
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

pub(crate) fn psql(admin: &str, sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql").args([admin, "-qAt", "-c", sql]).status()?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

/// The single value a query prints.
pub(crate) fn psql_value(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql").args([url, "-qAt", "-c", sql]).output()?;
    if !out.status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub(crate) fn db_url(admin: &str, name: &str) -> String {
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    format!("{base}/{name}")
}

/// What PostgreSQL ran during a phase, per order placed in it, from
/// `pg_stat_statements` when the server loads it (`shared_preload_libraries`;
/// the bench does not change the server's configuration). Every statement
/// of the database counts, the server's background work included: it is
/// part of what an order costs.
pub(crate) struct Statements {
    orders_before: u64,
}

pub(crate) struct PerOrder {
    pub(crate) total: f64,
    /// The most frequent statements: calls per order, the query's start.
    pub(crate) top: Vec<(f64, String)>,
}

impl Statements {
    pub(crate) fn start(url: &str) -> Option<Statements> {
        psql_value(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").ok()?;
        psql_value(url, "SELECT pg_stat_statements_reset()").ok()?;
        let orders_before = psql_value(url, "SELECT count(*) FROM orders").ok()?.parse().ok()?;
        Some(Statements { orders_before })
    }

    pub(crate) fn per_order(self, url: &str) -> anyhow::Result<PerOrder> {
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

pub(crate) fn pgbench(admin: &str, name: &str, clients: usize, duration: Duration) -> anyhow::Result<f64> {
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
