//! Provisioning attempts: one call of an action to the operator's own
//! endpoint, run by the webhook worker (the actions are jobs on its queue).
//!
//! The call is a JSON POST signed per Standard Webhooks with the product's
//! own secret (`webhook-id` is the `action_id`, the same on every retry:
//! the endpoint's idempotency key). The URL is the operator's, so private
//! addresses are allowed; redirects are not followed; the answer is read
//! up to 64 KiB within the timeout (30 s by default). Ordering and the
//! outcome's effects are the use cases' (`app::provisioning::service`).

use crate::webhooks::signing;
use app::{
    error::AppResult,
    ids::ActionId,
    provisioning::{Answer, RESPONSE_KEPT, RESPONSE_LIMIT, read_answer, service as provisioning},
    secrets::SecretsKey,
    store::Store,
    timestamp::Timestamp,
    webhooks::AttemptRecord,
};
use std::time::{Duration, Instant};

/// What provisioning attempts need.
pub struct Provisioner {
    pub store: Store,
    pub secrets_key: SecretsKey,
    pub http: reqwest::Client,
    pub schedule: Vec<Duration>,
    pub metrics: crate::metrics::Metrics,
}

impl Provisioner {
    pub fn new(
        store: Store,
        secrets_key: SecretsKey,
        timeout: Duration,
        schedule: Vec<Duration>,
        metrics: crate::metrics::Metrics,
    ) -> anyhow::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("FluxBilling-Provisioning/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .build()?;
        Ok(Provisioner {
            store,
            secrets_key,
            http,
            schedule,
            metrics,
        })
    }

    /// One attempt of `id`, if it is its turn. Errors are ours (the
    /// database): the queue retries the job.
    pub async fn attempt(&self, id: &ActionId) -> AppResult<()> {
        let Some(action) = provisioning::begin_attempt(&self.store, id).await? else {
            return Ok(());
        };
        let at = self.store.now();
        let (record, answer) = match provisioning::call(&self.store, &self.secrets_key, id, action.action).await? {
            Ok(call) => self.send(id, &call).await,
            Err(why) => (
                AttemptRecord {
                    at,
                    url: String::new(),
                    status_code: None,
                    duration_ms: 0,
                    error: Some(why.clone()),
                    response_body: None,
                },
                Answer::Retry(why),
            ),
        };
        let jitter = rand::random::<f64>() * 2.0 - 1.0;
        let state = provisioning::finish_attempt(&self.store, id, record, answer, &self.schedule, jitter).await?;
        self.metrics.provisioning(action.action.as_str(), state.as_str());
        Ok(())
    }

    async fn send(&self, id: &ActionId, call: &provisioning::Call) -> (AttemptRecord, Answer) {
        // Recorded on the business clock; signed with the real one (the
        // endpoint checks the timestamp against its own clock).
        let at = self.store.now();
        let started = Instant::now();
        let timestamp = Timestamp::now().unix_seconds();
        let message_id = id.to_string();
        let response = self
            .http
            .post(&call.url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signing::sign(&call.key, &message_id, timestamp, &call.body),
            )
            .body(call.body.clone())
            .send()
            .await;
        let (status, body, error) = match response {
            Err(e) => (None, String::new(), Some(crate::webhooks::job::describe(&e))),
            Ok(response) => {
                let status = response.status().as_u16();
                (Some(status), read_limited(response).await, None)
            }
        };
        let answer = read_answer(status, &body, error.as_deref());
        let record = AttemptRecord {
            at,
            url: call.url.clone(),
            status_code: status.map(i64::from),
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            error: match &answer {
                Answer::Retry(why) => Some(why.clone()),
                _ => None,
            },
            response_body: (!body.is_empty()).then(|| kept(&body)),
        };
        (record, answer)
    }
}

/// The body, up to [`RESPONSE_LIMIT`]; the rest is dropped unread.
async fn read_limited(mut response: reqwest::Response) -> String {
    let mut kept: Vec<u8> = Vec::new();
    while kept.len() < RESPONSE_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_LIMIT - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The start of a body, as kept with the attempt.
fn kept(body: &str) -> String {
    let mut end = body.len().min(RESPONSE_KEPT);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}
