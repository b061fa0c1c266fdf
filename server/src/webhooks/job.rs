//! The delivery job: one attempt of one delivery, run by an apalis worker
//! (PostgreSQL or SQLite queue, in the same database as the events).
//!
//! An attempt re-reads the delivery and its reseller, so what changed since
//! the job was queued decides: suspended resellers' deliveries are held
//! (released on reactivation), terminated ones' cancelled, a missing URL
//! holds. Otherwise the event is signed (Standard Webhooks) and POSTed;
//! the attempt is recorded with the delivery's next state, and a failure
//! queues the next attempt per the retry schedule, in one transaction
//! shared with the other attempts that finished meanwhile (`bookkeeping`).
//! A crash mid-attempt leaves the job locked by a dead worker: apalis
//! re-queues it once the worker's heartbeats stop (at least once).

use super::{client, signing};
use apalis::prelude::{BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::ext::poll_strategy::{PollWith, Strategy};
use app::{
    api_access::service::secret_bytes,
    error::{AppError, AppResult},
    ids::DeliveryId,
    secrets::SecretsKey,
    store::{Store, StoreError},
    timestamp::Timestamp,
    webhooks::{
        AttemptOutcome, DeliveryStatus, FinishedAttempt, Gate, Job, QUEUE, RESPONSE_BODY_LIMIT, gate,
        service as webhooks, truncate_body,
    },
};
use std::{sync::Arc, time::Duration};

/// How often the PostgreSQL queue is asked for due jobs.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// What delivery attempts need.
pub struct Deliverer {
    pub store: Store,
    pub secrets_key: SecretsKey,
    pub http: reqwest::Client,
    pub schedule: Vec<Duration>,
    pub allow_private: bool,
    pub metrics: crate::metrics::Metrics,
    /// Records finished attempts in batches (see `bookkeeping`).
    pub bookkeeper: super::bookkeeping::Bookkeeper,
    /// Provisioning actions are jobs on the same queue, run by this worker.
    pub provisioner: Arc<crate::provisioning::Provisioner>,
}

/// Worker settings (from the configuration).
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub heartbeat: Duration,
    pub missed_heartbeats: usize,
}

impl Deliverer {
    /// One attempt of `delivery`. Errors are infrastructure failures (the
    /// database): the queue retries the job.
    pub async fn attempt(&self, delivery: &DeliveryId) -> AppResult<()> {
        // Parking re-checks the reseller under a lock; if its state moved on
        // since the read (a reactivation, a URL saved), read again.
        let (work, url, sealed) = loop {
            let work = match self.store.delivery_work(delivery).await {
                Ok(work) => work,
                Err(StoreError::NotFound) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            if work.delivery.status != DeliveryStatus::Pending {
                return Ok(()); // Succeeded, failed, held or cancelled meanwhile.
            }
            let seen = gate(work.reseller_status, work.url.is_some() && work.sealed_secret.is_some());
            if seen != Gate::Send {
                if webhooks::park(&self.store, delivery, seen).await? {
                    self.metrics.delivery("parked");
                    return Ok(());
                }
                continue;
            }
            if let (Some(url), Some(sealed)) = (work.url.clone(), work.sealed_secret.clone()) {
                break (work, url, sealed);
            }
        };
        let now = Timestamp::now();
        let key = self.secrets_key.open(&sealed).and_then(|s| secret_bytes(&s))?;
        let body = serde_json::to_string(&work.payload).map_err(AppError::internal)?;
        let message_id = work.delivery.event_id.to_string();
        let outcome = self.send(&url, &key, &message_id, &body).await;

        let attempts = usize::try_from(work.delivery.attempts).unwrap_or(0) + 1;
        let jitter = rand::random::<f64>() * 2.0 - 1.0;
        let after = outcome.after(&self.schedule, attempts, jitter, now);
        self.bookkeeper
            .record(FinishedAttempt {
                delivery: delivery.clone(),
                record: outcome.record(now, url),
                after,
            })
            .await?;
        self.metrics.delivery(after.label());
        Ok(())
    }

    async fn send(&self, url: &str, key: &[u8], message_id: &str, body: &str) -> AttemptOutcome {
        let started = std::time::Instant::now();
        let failed = |error: String| AttemptOutcome {
            status_code: None,
            error: Some(error),
            body: None,
            retry_after: None,
            duration: started.elapsed(),
        };
        let target = match client::check_url(url, self.allow_private) {
            Ok(target) => target,
            Err(why) => return failed(format!("refused: {why}")),
        };
        let timestamp = Timestamp::now().unix_seconds();
        let response = self
            .http
            .post(target)
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signing::sign(key, message_id, timestamp, body))
            .body(body.to_owned())
            .send()
            .await;
        match response {
            Err(e) => failed(describe(&e)),
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .filter(|_| status.as_u16() == 429 || status.as_u16() == 503);
                let text = first_bytes(response).await;
                AttemptOutcome {
                    status_code: Some(status.as_u16()),
                    error: (!status.is_success()).then(|| format!("HTTP {status}")),
                    body: Some(truncate_body(&text)),
                    retry_after,
                    duration: started.elapsed(),
                }
            }
        }
    }
}

/// The response body's first KiB, read chunk by chunk: a receiver that
/// answers with an endless body costs us one KiB, not memory or time.
/// Dropping the response with its body unread closes the connection.
async fn first_bytes(mut response: reqwest::Response) -> String {
    let mut kept: Vec<u8> = Vec::with_capacity(RESPONSE_BODY_LIMIT);
    while kept.len() < RESPONSE_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_BODY_LIMIT - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    truncate_body(&String::from_utf8_lossy(&kept))
}

/// A transport error in words, without the URL's query (which could hold
/// a token of the partner's).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    // The reseller reads this: the cause, not the host's error numbers.
    let detail = match detail.find(" (os error ") {
        Some(at) => &detail[..at],
        None => &detail,
    };
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// The job's handler. apalis polls every in-flight job from one task (a
/// `FuturesUnordered`), which kept the worker's CPU work (reading,
/// signing, the HTTP exchange, recording) on one core: each attempt runs
/// as a task of its own, so the runtime spreads them over every core.
async fn deliver(job: Job, deliverer: Data<Arc<Deliverer>>) -> Result<(), BoxDynError> {
    let deliverer = Arc::clone(&deliverer);
    let what = job.clone();
    let attempt = tokio::spawn(async move {
        match job {
            Job::Delivery { delivery_id } => deliverer.attempt(&delivery_id).await,
            Job::Provisioning { action_id } => deliverer.provisioner.attempt(&action_id).await,
        }
    });
    match attempt.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(job = ?what, error = %e, "an attempt failed on our side; the queue retries it");
            Err(Box::new(e))
        }
        Err(panicked) => {
            tracing::error!(job = ?what, error = %panicked, "an attempt panicked; the queue retries it");
            Err(Box::new(panicked))
        }
    }
}

/// Runs the delivery worker until `shutdown` completes. Worker names are
/// unique per process: a restart right after a crash must not collide with
/// the dead worker's registration.
pub async fn run(
    deliverer: Arc<Deliverer>,
    settings: WorkerSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let name = format!("webhooks-{}", ulid::Ulid::new().to_string().to_lowercase());
    let store = deliverer.store.clone();
    // The two backends are different types; the worker around them is the same.
    macro_rules! work {
        ($backend:expr) => {
            WorkerBuilder::new(name)
                .backend($backend)
                .concurrency(settings.concurrency)
                .data(deliverer)
                .build(deliver)
                .run_until(async move {
                    shutdown.await;
                    Ok::<(), std::io::Error>(())
                })
                .await?
        };
    }
    // Fetch as many jobs at once as may run at once (apalis' default batch
    // of 10 left most of the concurrency idle on a backlog).
    let batch = settings.concurrency.max(1);
    if let Some(pool) = store.postgres_pool() {
        let config = apalis_postgres::Config::default()
            .queue(QUEUE)
            .batch_size(batch)
            .heartbeat_interval(settings.heartbeat)
            .missed_heartbeats(settings.missed_heartbeats);
        // Polled every 50 ms for up to a batch of due jobs. apalis' LISTEN
        // stream (`with_pubsub`) wakes a fetch per notification, which under
        // a steady load of a few hundred events/s fell behind (deliveries
        // seconds late); polling takes whatever is due in one query, and
        // jobs queued with a later `run_at` (retries) are found the same way.
        work!(PollWith::new(
            apalis_postgres::PostgresStorage::<Job>::new(pool).with_config(config),
            Strategy::new().interval(POLL_EVERY),
        ));
    } else if let Some(pool) = store.sqlite_pool() {
        let config = apalis_sqlite::Config::default()
            .queue(QUEUE)
            .batch_size(batch)
            .heartbeat_interval(settings.heartbeat)
            .missed_heartbeats(settings.missed_heartbeats);
        work!(apalis_sqlite::SqliteStorage::<Job>::new(pool).with_config(config));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A failed attempt says what happened in words the reseller reads,
    /// without the host's error numbers.
    #[tokio::test]
    async fn a_failed_connection_is_described_without_os_error_numbers() {
        // Nothing listens on a port just released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let client = crate::webhooks::client::build(std::time::Duration::from_secs(5), true, 1).unwrap();
        let error = client
            .post(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        let described = super::describe(&error);
        assert!(described.starts_with("could not connect"), "{described}");
        assert!(!described.contains("os error"), "{described}");
    }
}
