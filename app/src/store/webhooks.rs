//! Webhook events, deliveries and attempts, and the delivery jobs on the
//! apalis queue (in the same database, so they are queued in the same
//! transaction as the change: no event without its change, no change
//! without its event, no delivery without its job).

use super::{OptionalExt, Store, StoreError, StoreResult, with_pool, with_tx};
use crate::{
    ids::{DeliveryId, EventId, ResellerId},
    timestamp::Timestamp,
    webhooks::{
        Attempt, Delivery, DeliveryDetail, DeliveryFilter, DeliveryJob, DeliveryStatus, EventPayload, NewEvent, QUEUE,
        parking,
    },
};
use apalis_core::task::builder::TaskBuilder;
use sqlx::types::Json;

/// Infrastructure failures of a delivery job are retried by the queue this
/// many times; delivery failures follow the webhook schedule instead.
const JOB_MAX_ATTEMPTS: usize = 5;

fn job(delivery: &DeliveryId, run_at: Option<Timestamp>) -> StoreResult<apalis_core::task::Task<Vec<u8>>> {
    let args = serde_json::to_vec(&DeliveryJob {
        delivery_id: delivery.clone(),
    })
    .map_err(|e| StoreError::Encode(e.to_string()))?;
    let mut builder = TaskBuilder::new(args).max_attempts(JOB_MAX_ATTEMPTS);
    if let Some(at) = run_at {
        // The queue counts whole seconds: round up, so a retry never runs
        // before its delay.
        let secs = (at.unix_micros().max(0) + 999_999) / 1_000_000;
        builder = builder.run_at_timestamp(secs as u64);
    }
    Ok(builder.build())
}

/// What a transaction of either database can do for webhooks. The bodies
/// are the same for both (the macro below); only the queue insert differs.
pub(crate) trait WebhookTx {
    /// Queues a delivery job (at `run_at`, or now).
    async fn enqueue_delivery(&mut self, delivery: &DeliveryId, run_at: Option<Timestamp>) -> StoreResult<()> {
        self.enqueue_deliveries(std::slice::from_ref(delivery), run_at).await
    }

    /// Queues a job for each delivery in one statement (an order's events
    /// share one round trip).
    async fn enqueue_deliveries(&mut self, deliveries: &[DeliveryId], run_at: Option<Timestamp>) -> StoreResult<()>;

    /// Records `events` for `reseller` and, depending on the reseller's
    /// state, a delivery for each: active with a URL, queued; suspended with
    /// a URL, held; otherwise (no URL, pending, terminated) none: the event
    /// is kept, not delivered.
    async fn record_events(&mut self, reseller: &ResellerId, events: &[NewEvent], now: Timestamp) -> StoreResult<()>;

    /// Queues every held delivery of the reseller again (reactivation).
    async fn release_held(&mut self, reseller: &ResellerId, now: Timestamp) -> StoreResult<()>;
}

async fn push_sqlite(
    conn: &mut sqlx::SqliteConnection,
    tasks: Vec<apalis_core::task::Task<Vec<u8>>>,
) -> StoreResult<()> {
    apalis_sqlite::queries::push_tasks(conn, QUEUE, &tasks)
        .await
        .map_err(|e| StoreError::Queue(format!("queueing a delivery: {e}")))
}

async fn push_postgres(conn: &mut sqlx::PgConnection, tasks: Vec<apalis_core::task::Task<Vec<u8>>>) -> StoreResult<()> {
    apalis_postgres::queries::push_tasks(conn, QUEUE, tasks)
        .await
        .map_err(|e| StoreError::Queue(format!("queueing a delivery: {e}")))
}

macro_rules! impl_webhook_tx {
    ($db:ty, $push:path) => {
        impl WebhookTx for sqlx::Transaction<'_, $db> {
            async fn enqueue_deliveries(
                &mut self,
                deliveries: &[DeliveryId],
                run_at: Option<Timestamp>,
            ) -> StoreResult<()> {
                if deliveries.is_empty() {
                    return Ok(());
                }
                let tasks = deliveries
                    .iter()
                    .map(|d| job(d, run_at))
                    .collect::<StoreResult<Vec<_>>>()?;
                $push(&mut **self, tasks).await
            }

            async fn record_events(
                &mut self,
                reseller: &ResellerId,
                events: &[NewEvent],
                now: Timestamp,
            ) -> StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let (status, url): (String, Option<String>) =
                    sqlx::query_as("SELECT status, webhook_url FROM reseller_profiles WHERE id = $1")
                        .bind(reseller)
                        .fetch_one(&mut **self)
                        .await?;
                let delivery_status = match (status.as_str(), url.is_some()) {
                    ("active", true) => Some(DeliveryStatus::Pending),
                    ("suspended", true) => Some(DeliveryStatus::Held),
                    _ => None,
                };
                let mut queued = Vec::new();
                for event in events {
                    let event_id = EventId::generate();
                    let payload = EventPayload {
                        event_type: event.event_type,
                        timestamp: now,
                        data: event.data.clone(),
                    };
                    sqlx::query(
                        "INSERT INTO webhook_events (id, reseller_id, event_type, payload, created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&event_id)
                    .bind(reseller)
                    .bind(event.event_type.as_str())
                    .bind(Json(&payload))
                    .bind(now)
                    .execute(&mut **self)
                    .await?;
                    let Some(delivery_status) = delivery_status else {
                        continue;
                    };
                    let delivery_id = DeliveryId::generate();
                    sqlx::query(
                        "INSERT INTO webhook_deliveries (id, event_id, reseller_id, event_type, status, attempts,
                            next_attempt_at, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $6)",
                    )
                    .bind(&delivery_id)
                    .bind(&event_id)
                    .bind(reseller)
                    .bind(event.event_type.as_str())
                    .bind(delivery_status.as_str())
                    .bind(now)
                    .execute(&mut **self)
                    .await?;
                    if delivery_status == DeliveryStatus::Pending {
                        queued.push(delivery_id);
                    }
                }
                self.enqueue_deliveries(&queued, None).await
            }

            async fn release_held(&mut self, reseller: &ResellerId, now: Timestamp) -> StoreResult<()> {
                let held: Vec<DeliveryId> = sqlx::query_scalar(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2
                     WHERE reseller_id = $1 AND status = 'held' RETURNING id",
                )
                .bind(reseller)
                .bind(now)
                .fetch_all(&mut **self)
                .await?;
                self.enqueue_deliveries(&held, None).await
            }
        }
    };
}

impl_webhook_tx!(sqlx::Sqlite, push_sqlite);
impl_webhook_tx!(sqlx::Postgres, push_postgres);

impl super::StoreTx {
    /// See [`WebhookTx::record_events`].
    pub async fn record_events(
        &mut self,
        reseller: &ResellerId,
        events: &[NewEvent],
        now: Timestamp,
    ) -> StoreResult<()> {
        super::tx::on_tx!(self, t => t.record_events(reseller, events, now).await)
    }
}

/// What a delivery attempt needs to know.
#[derive(Clone, Debug)]
pub struct DeliveryWork {
    pub delivery: Delivery,
    pub payload: EventPayload,
    pub reseller_status: String,
    pub url: Option<String>,
    pub sealed_secret: Option<String>,
}

/// The outcome of one attempt, as recorded.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub url: String,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

/// Where the delivery goes after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterAttempt {
    Succeeded,
    RetryAt(Timestamp),
    Failed,
}

const DELIVERY_COLUMNS: &str = "id, event_id, reseller_id, event_type, status, attempts, next_attempt_at, \
     last_status_code, last_error, created_at, updated_at, completed_at";

impl Store {
    /// The delivery with everything its attempt needs.
    pub async fn delivery_work(&self, id: &DeliveryId) -> StoreResult<DeliveryWork> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            delivery: Delivery,
            payload: Json<EventPayload>,
            reseller_status: String,
            webhook_url: Option<String>,
            webhook_secret_sealed: Option<String>,
        }
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, d.event_id, d.reseller_id, d.event_type, d.status, d.attempts, d.next_attempt_at,
                        d.last_status_code, d.last_error, d.created_at, d.updated_at, d.completed_at,
                        e.payload, r.status AS reseller_status, r.webhook_url, r.webhook_secret_sealed
                 FROM webhook_deliveries d
                 JOIN webhook_events e ON e.id = d.event_id
                 JOIN reseller_profiles r ON r.id = d.reseller_id
                 WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let row = row.found()?;
        Ok(DeliveryWork {
            delivery: row.delivery,
            payload: row.payload.0,
            reseller_status: row.reseller_status,
            url: row.webhook_url,
            sealed_secret: row.webhook_secret_sealed,
        })
    }

    /// Records an attempt and moves the delivery on, in one transaction
    /// (with the next attempt's job when it is to be retried).
    pub async fn record_attempt(
        &self,
        id: &DeliveryId,
        attempt: &AttemptRecord,
        after: AfterAttempt,
    ) -> StoreResult<()> {
        let (status, next, completed) = match after {
            AfterAttempt::Succeeded => (DeliveryStatus::Succeeded, None, Some(attempt.at)),
            AfterAttempt::RetryAt(at) => (DeliveryStatus::Pending, Some(at), None),
            AfterAttempt::Failed => (DeliveryStatus::Failed, None, Some(attempt.at)),
        };
        with_tx!(self, tx => {
            let attempt_no: i64 = sqlx::query_scalar(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, next_attempt_at = $3,
                    last_status_code = $4, last_error = $5, updated_at = $6, completed_at = $7
                 WHERE id = $1 AND status = 'pending' RETURNING attempts",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(next)
            .bind(attempt.status_code)
            .bind(attempt.error.as_deref())
            .bind(attempt.at)
            .bind(completed)
            .fetch_optional(&mut *tx)
            .await?
            // Cancelled or held meanwhile: the attempt is still recorded below.
            .unwrap_or(-1);
            let attempt_no = if attempt_no < 0 {
                sqlx::query_scalar::<_, i64>("SELECT attempts FROM webhook_deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                    + 1
            } else {
                attempt_no
            };
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt_no, at, url, status_code, duration_ms, error, response_body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(attempt_no)
            .bind(attempt.at)
            .bind(&attempt.url)
            .bind(attempt.status_code)
            .bind(attempt.duration_ms)
            .bind(attempt.error.as_deref())
            .bind(attempt.response_body.as_deref())
            .execute(&mut *tx)
            .await?;
            if let (Some(at), DeliveryStatus::Pending) = (next, status) {
                tx.enqueue_delivery(id, Some(at)).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Parks a pending delivery (`held`: reseller suspended, no URL) or
    /// closes it (`cancelled`: reseller terminated), with the reason, if the
    /// reseller still calls for it. The reseller row is read under a lock:
    /// a reactivation committing between the attempt's read and this write
    /// would otherwise leave the delivery held after its release. Returns
    /// false (nothing changed) when the reseller's state moved on.
    pub async fn park_delivery(&self, id: &DeliveryId, status: DeliveryStatus, now: Timestamp) -> StoreResult<bool> {
        Ok(with_tx!(self, tx, d => {
            let reseller: Option<(String, bool)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT status, webhook_url IS NOT NULL AND webhook_secret_sealed IS NOT NULL FROM reseller_profiles
                 WHERE id = (SELECT reseller_id FROM webhook_deliveries WHERE id = $1){}",
                d.for_update
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((reseller_status, has_url)) = reseller else {
                return Ok(false);
            };
            let Some((now_status, reason)) = parking(&reseller_status, has_url) else {
                return Ok(false);
            };
            if now_status != status {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, last_error = $3, next_attempt_at = NULL, updated_at = $4
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            true
        }))
    }

    /// "Retry now": a delivery of an active reseller that is waiting, failed
    /// or even succeeded (a receiver that lost it) is attempted again at
    /// once. Held and cancelled ones are not. Returns false if refused.
    pub async fn retry_delivery_now(&self, id: &DeliveryId, now: Timestamp) -> StoreResult<bool> {
        with_tx!(self, tx => {
            let retried = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2, completed_at = NULL
                 WHERE id = $1 AND status IN ('pending', 'failed', 'succeeded')
                   AND (SELECT status FROM reseller_profiles r WHERE r.id = webhook_deliveries.reseller_id) = 'active'",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if retried == 0 {
                return Ok(false);
            }
            tx.enqueue_delivery(id, None).await?;
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Records a `webhook.test` event for the reseller (delivered like any).
    pub async fn record_test_event(&self, reseller: &ResellerId, event: NewEvent, now: Timestamp) -> StoreResult<()> {
        with_tx!(self, tx => {
            tx.record_events(reseller, std::slice::from_ref(&event), now).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Newest first.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> StoreResult<Vec<Delivery>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE ($1 IS NULL OR reseller_id = $1)
               AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR event_type = $3)
               AND ($4 IS NULL OR id < $4)
             ORDER BY id DESC LIMIT $5"
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(filter.reseller_id.as_ref())
                .bind(filter.status.map(DeliveryStatus::as_str))
                .bind(filter.event_type.map(|e| e.as_str()))
                .bind(filter.before.as_ref())
                .bind(i64::from(filter.limit))
                .fetch_all(pool)
                .await?
        }))
    }

    /// One delivery with its attempts and payload; scoped to `reseller`
    /// when given (another reseller's delivery is not found).
    pub async fn delivery_detail(&self, id: &DeliveryId, reseller: Option<&ResellerId>) -> StoreResult<DeliveryDetail> {
        let work = self.delivery_work(id).await?;
        if reseller.is_some_and(|r| *r != work.delivery.reseller_id) {
            return Err(StoreError::NotFound);
        }
        let attempts: Vec<Attempt> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT attempt_no, at, url, status_code, duration_ms, error, response_body
                 FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        Ok(DeliveryDetail {
            delivery: work.delivery,
            attempts,
            payload: work.payload,
        })
    }

    /// Events recorded for a reseller, oldest first (tests, support).
    pub async fn events(&self, reseller: &ResellerId) -> StoreResult<Vec<(EventId, EventPayload)>> {
        let rows: Vec<(EventId, Json<EventPayload>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, payload FROM webhook_events WHERE reseller_id = $1 ORDER BY id")
                .bind(reseller)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(id, p)| (id, p.0)).collect())
    }
}
