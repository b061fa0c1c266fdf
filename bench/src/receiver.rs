//! The webhook receiver: an endpoint in this process that times each
//! delivery from its event's `timestamp`, and the webhook scenarios read
//! from it.

use crate::{clients::Partner, load::Stats};
use serde_json::Value;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// What the webhook receiver saw since it was last reset.
#[derive(Default)]
pub(crate) struct Received {
    pub(crate) count: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Event `timestamp` to arrival, per delivery.
    latencies_us: Vec<u64>,
}

impl Received {
    /// Deliveries per second between the first and the last arrival.
    pub(crate) fn rate(&self) -> f64 {
        self.count.saturating_sub(1) as f64 / self.span().as_secs_f64()
    }

    pub(crate) fn span(&self) -> Duration {
        match (self.first, self.last) {
            (Some(first), Some(last)) => last - first,
            _ => Duration::ZERO,
        }
    }
}

pub(crate) type Receiver = Arc<Mutex<Received>>;

/// A webhook endpoint in this process, answering 204 to every delivery.
pub(crate) async fn receiver() -> anyhow::Result<(u16, Receiver)> {
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
pub(crate) async fn drain(received: &Receiver, expected: u64) -> Received {
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
pub(crate) async fn paced_orders(partner: &Partner, received: &Receiver, duration: Duration) -> anyhow::Result<Stats> {
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

/// The operator's provisioning endpoint, as fast as one can be: every
/// action `done` at once, with a detail. Answers its port.
pub(crate) async fn provisioning_endpoint() -> anyhow::Result<u16> {
    let app = axum::Router::new().route(
        "/provision",
        axum::routing::post(|| async { r#"{"status":"done","details":{"hostname":"bench.example"}}"# }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(port)
}
