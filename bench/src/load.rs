//! The load generator: `clients` loops of one request for a measured span,
//! what each answer came to, and the bare axum endpoint it is compared with.

use serde_json::json;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// The baseline endpoint (`fluxbench bare`): a bare axum route returning a
/// small JSON body.
pub(crate) async fn bare(port: u16) -> anyhow::Result<()> {
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

/// The baseline scenario: `GET` of the bare endpoint.
pub(crate) async fn load_bare(clients: usize, duration: Duration, url: &Arc<String>) -> Stats {
    let url = url.clone();
    load(clients, duration, move |c, _| {
        let url = url.clone();
        async move { c.get(url.as_str()).send().await.is_ok_and(|r| r.status().is_success()) }
    })
    .await
}

/// What one request came to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
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
    pub(crate) fn of(response: reqwest::Result<reqwest::Response>) -> Self {
        match response {
            Ok(r) if r.status().is_success() => Outcome::Success,
            Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => Outcome::RateLimited,
            _ => Outcome::Failed,
        }
    }
}

/// Answers by outcome.
#[derive(Clone, Copy, Default)]
pub(crate) struct Tally {
    pub(crate) success: u64,
    pub(crate) rate_limited: u64,
    pub(crate) failed: u64,
}

impl Tally {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Success => self.success += 1,
            Outcome::RateLimited => self.rate_limited += 1,
            Outcome::Failed => self.failed += 1,
        }
    }

    pub(crate) fn add(&mut self, other: Tally) {
        self.success += other.success;
        self.rate_limited += other.rate_limited;
        self.failed += other.failed;
    }
}

/// What a scenario's clients measured.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) latencies_us: Vec<u64>,
    /// Requests without a 2xx (429s included) in the measured span.
    pub(crate) errors: u64,
    /// Of `errors`, the 429s.
    pub(crate) rate_limited: u64,
    /// Every answer, warm-up and the requests in flight at the end included:
    /// what a rate limiter counted.
    pub(crate) answered: Tally,
    pub(crate) elapsed: Duration,
}

impl Stats {
    pub(crate) fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Two scenarios run at the same time, as one.
    pub(crate) fn merge(mut self, other: Stats) -> Stats {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.rate_limited += other.rate_limited;
        self.answered.add(other.answered);
        self.elapsed = self.elapsed.max(other.elapsed);
        self
    }

    pub(crate) fn percentile(&mut self, p: f64) -> f64 {
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
pub(crate) async fn load<F, Fut>(clients: usize, duration: Duration, request: F) -> Stats
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
