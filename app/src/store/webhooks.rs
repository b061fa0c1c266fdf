//! Webhook events, deliveries and attempts, and the delivery jobs on the
//! apalis queue (in the same database, so they are queued in the same
//! transaction as the change: no event without its change, no change
//! without its event, no delivery without its job).

use super::{
    OptionalExt, Store, StoreError, StoreResult, StoreTx,
    tx::{TxInner, on_tx},
    with_pool,
};
use crate::{
    ids::{DeliveryId, EventId, ResellerId},
    lists::Page,
    resellers::ResellerStatus,
    timestamp::Timestamp,
    webhooks::{
        AfterAttempt, Attempt, Delivery, DeliveryDetail, DeliveryFilter, DeliveryStatus, EventPayload, FinishedAttempt,
        Job, NewEvent, QUEUE,
    },
};
use apalis_core::task::builder::TaskBuilder;
use sqlx::types::Json;
use std::collections::HashMap;

/// The SQL condition "the delivery of `alias` is final"
/// ([`DeliveryStatus::FINAL`], named there once).
pub(crate) fn is_final(alias: &str) -> String {
    let names: Vec<String> = DeliveryStatus::FINAL
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("{alias}.status IN ({})", names.join(", "))
}

/// Infrastructure failures of a delivery job are retried by the queue this
/// many times; delivery failures follow the webhook schedule instead.
const JOB_MAX_ATTEMPTS: usize = 5;

fn job(job: &Job, run_at: Option<Timestamp>) -> StoreResult<apalis_core::task::Task<Vec<u8>>> {
    let args = serde_json::to_vec(job).map_err(|e| StoreError::Encode(e.to_string()))?;
    let mut builder = TaskBuilder::new(args).max_attempts(JOB_MAX_ATTEMPTS);
    if let Some(at) = run_at {
        // The queue counts whole seconds: round up, so a retry never runs
        // before its delay.
        let secs = (at.unix_micros().max(0) + 999_999) / 1_000_000;
        builder = builder.run_at_timestamp(secs as u64);
    }
    Ok(builder.build())
}

async fn push_sqlite(
    conn: &mut sqlx::SqliteConnection,
    tasks: Vec<apalis_core::task::Task<Vec<u8>>>,
) -> StoreResult<()> {
    apalis_sqlite::queries::push_tasks(conn, QUEUE, &tasks)
        .await
        .map_err(|e| StoreError::Queue(format!("queueing a job: {e}")))
}

async fn push_postgres(conn: &mut sqlx::PgConnection, tasks: Vec<apalis_core::task::Task<Vec<u8>>>) -> StoreResult<()> {
    apalis_postgres::queries::push_tasks(conn, QUEUE, tasks)
        .await
        .map_err(|e| StoreError::Queue(format!("queueing a job: {e}")))
}

/// Where a reseller's webhooks go: its status and whether an endpoint (a
/// URL with a secret) is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookTarget {
    pub status: ResellerStatus,
    pub has_url: bool,
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    status: String,
    has_url: bool,
}

impl TargetRow {
    fn into_target(self) -> StoreResult<WebhookTarget> {
        Ok(WebhookTarget {
            status: ResellerStatus::parse(&self.status).ok_or(StoreError::NotFound)?,
            has_url: self.has_url,
        })
    }
}

const TARGET: &str = "SELECT status, (webhook_url IS NOT NULL AND webhook_secret_sealed IS NOT NULL) AS has_url \
     FROM reseller_profiles";

impl StoreTx {
    /// The reseller's webhook target as this transaction sees it.
    pub async fn webhook_target(&mut self, reseller: &ResellerId) -> StoreResult<WebhookTarget> {
        let sql = sqlx::AssertSqlSafe(format!("{TARGET} WHERE id = $1"));
        let row: TargetRow = on_tx!(self, t => sqlx::query_as(sql).bind(reseller).fetch_one(&mut **t).await?);
        row.into_target()
    }

    /// The target of a delivery's reseller, its row locked until commit
    /// (so a reactivation cannot commit between this read and a write that
    /// depends on it).
    pub async fn lock_delivery_target(&mut self, delivery: &DeliveryId) -> StoreResult<Option<WebhookTarget>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{TARGET} WHERE id = (SELECT reseller_id FROM webhook_deliveries WHERE id = $1){}",
            self.dialect().for_update
        ));
        let row: Option<TargetRow> =
            on_tx!(self, t => sqlx::query_as(sql).bind(delivery).fetch_optional(&mut **t).await?);
        row.map(TargetRow::into_target).transpose()
    }

    /// Records `events` for `reseller` (one statement), and when `delivery`
    /// says so a delivery for each (one statement), queueing the pending
    /// ones (one more). Which status, if any, is the caller's decision
    /// (`webhooks::new_delivery`).
    pub async fn insert_events(
        &mut self,
        reseller: &ResellerId,
        events: &[NewEvent],
        delivery: Option<DeliveryStatus>,
        now: Timestamp,
    ) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows: Vec<(EventId, Json<EventPayload>, &'static str)> = events
            .iter()
            .map(|e| {
                let payload = EventPayload {
                    event_type: e.event_type,
                    timestamp: now,
                    data: e.data.clone(),
                };
                (EventId::generate(), Json(payload), e.event_type.as_str())
            })
            .collect();
        // Chunks keep SQLite's 32,766-parameter limit.
        for chunk in rows.chunks(1000) {
            on_tx!(self, t => {
                let mut insert =
                    sqlx::QueryBuilder::new("INSERT INTO webhook_events (id, reseller_id, event_type, payload, created_at) ");
                insert.push_values(chunk, |mut row, (id, payload, event_type)| {
                    row.push_bind(id).push_bind(reseller).push_bind(*event_type).push_bind(payload).push_bind(now);
                });
                insert.build().execute(&mut **t).await?;
            });
        }
        let Some(status) = delivery else {
            return Ok(());
        };
        let deliveries: Vec<(DeliveryId, &EventId, &'static str)> = rows
            .iter()
            .map(|(id, _, event_type)| (DeliveryId::generate(), id, *event_type))
            .collect();
        for chunk in deliveries.chunks(1000) {
            on_tx!(self, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO webhook_deliveries (id, event_id, reseller_id, event_type, status, attempts,
                        next_attempt_at, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, (id, event, event_type)| {
                    row.push_bind(id)
                        .push_bind(*event)
                        .push_bind(reseller)
                        .push_bind(*event_type)
                        .push_bind(status.as_str())
                        .push_bind(0_i64)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.build().execute(&mut **t).await?;
            });
        }
        if status == DeliveryStatus::Pending {
            let ids: Vec<DeliveryId> = deliveries.into_iter().map(|(id, _, _)| id).collect();
            self.enqueue(&ids, None).await?;
        }
        Ok(())
    }

    /// Queues a job for each delivery (at `run_at`, or now), one statement.
    pub async fn enqueue(&mut self, deliveries: &[DeliveryId], run_at: Option<Timestamp>) -> StoreResult<()> {
        let jobs: Vec<(DeliveryId, Option<Timestamp>)> = deliveries.iter().map(|d| (d.clone(), run_at)).collect();
        self.enqueue_each(&jobs).await
    }

    /// Queues a job for each delivery at its own time (or now), one statement.
    pub async fn enqueue_each(&mut self, jobs: &[(DeliveryId, Option<Timestamp>)]) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let jobs: Vec<(Job, Option<Timestamp>)> = jobs
            .iter()
            .map(|(d, run_at)| (Job::Delivery { delivery_id: d.clone() }, *run_at))
            .collect();
        self.push_jobs(&jobs).await
    }

    /// Puts `jobs` on the queue (each at its time, or now), one statement.
    pub(crate) async fn push_jobs(&mut self, jobs: &[(Job, Option<Timestamp>)]) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let tasks = jobs
            .iter()
            .map(|(j, run_at)| job(j, *run_at))
            .collect::<StoreResult<Vec<_>>>()?;
        match &mut self.inner {
            TxInner::Sqlite(t) => push_sqlite(t, tasks).await,
            TxInner::Postgres(t) => push_postgres(t, tasks).await,
        }
    }

    /// Queues every held delivery of the reseller again (reactivation).
    pub async fn release_held(&mut self, reseller: &ResellerId, now: Timestamp) -> StoreResult<()> {
        let held: Vec<DeliveryId> = on_tx!(self, t => {
            sqlx::query_scalar(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2
                 WHERE reseller_id = $1 AND status = 'held' RETURNING id",
            )
            .bind(reseller)
            .bind(now)
            .fetch_all(&mut **t)
            .await?
        });
        self.enqueue(&held, None).await
    }

    /// Closes every delivery of the reseller that is still to be sent.
    pub async fn cancel_open_deliveries(
        &mut self,
        reseller: &ResellerId,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL,
                    last_error = $3, updated_at = $2, completed_at = $2
                 WHERE reseller_id = $1 AND status IN ('pending', 'held')",
            )
            .bind(reseller)
            .bind(now)
            .bind(why)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// Parks a pending delivery in `status` with the reason.
    pub async fn park_delivery(
        &mut self,
        id: &DeliveryId,
        status: DeliveryStatus,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, last_error = $3, next_attempt_at = NULL, updated_at = $4
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(why)
            .bind(now)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// A delivery's status and its reseller's, for "Retry now".
    pub async fn delivery_states(&mut self, id: &DeliveryId) -> StoreResult<(DeliveryStatus, ResellerStatus)> {
        let row: Option<(String, String)> = on_tx!(self, t => {
            sqlx::query_as(
                "SELECT d.status, r.status FROM webhook_deliveries d JOIN reseller_profiles r ON r.id = d.reseller_id
                 WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut **t)
            .await?
        });
        let (delivery, reseller) = row.found()?;
        Ok((
            DeliveryStatus::parse(&delivery).ok_or(StoreError::NotFound)?,
            ResellerStatus::parse(&reseller).ok_or(StoreError::NotFound)?,
        ))
    }

    /// Makes a delivery pending again and queues it now, if it is still in
    /// `from`; false when it moved on meanwhile.
    pub async fn requeue_delivery(
        &mut self,
        id: &DeliveryId,
        from: DeliveryStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let changed = on_tx!(self, t => {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, updated_at = $3, completed_at = NULL
                 WHERE id = $1 AND status = $2",
            )
            .bind(id)
            .bind(from.as_str())
            .bind(now)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        if changed == 1 {
            self.enqueue(std::slice::from_ref(id), None).await?;
        }
        Ok(changed == 1)
    }

    /// Records finished attempts and moves each delivery on (the next
    /// attempt's job queued when it is to be retried), in three statements
    /// per chunk whatever its size: one UPDATE of the deliveries, one INSERT
    /// of the attempts, one push of the retries' jobs. A delivery cancelled
    /// or held meanwhile keeps its status; its attempt is recorded all the
    /// same. Should a delivery appear twice (a job re-queued while its
    /// first run was still recording), its attempts go in separate rounds,
    /// in order, so each counts.
    pub async fn record_attempts(&mut self, attempts: &[FinishedAttempt]) -> StoreResult<()> {
        for round in rounds(attempts) {
            // 8 parameters a row: chunks keep SQLite's 32,766-parameter limit.
            for chunk in round.chunks(1000) {
                let moved = self.move_deliveries_on(chunk).await?;
                self.insert_attempts(chunk, &moved).await?;
                let retries: Vec<(DeliveryId, Option<Timestamp>)> = chunk
                    .iter()
                    .filter(|a| moved.contains_key(&a.delivery))
                    .filter_map(|a| match a.after {
                        AfterAttempt::RetryAt(at) => Some((a.delivery.clone(), Some(at))),
                        _ => None,
                    })
                    .collect();
                self.enqueue_each(&retries).await?;
            }
        }
        Ok(())
    }

    /// The UPDATE of `record_attempts`: the pending deliveries among
    /// `attempts`, with the attempt number each reached.
    async fn move_deliveries_on(&mut self, attempts: &[&FinishedAttempt]) -> StoreResult<HashMap<DeliveryId, i64>> {
        let moved: Vec<(DeliveryId, i64)> = on_tx!(self, t => {
            let mut update = sqlx::QueryBuilder::new(
                "WITH v (id, status, next_attempt_at, last_status_code, last_error, updated_at, completed_at) AS (",
            );
            update.push_values(attempts, |mut row, a| {
                let (status, next, completed) = a.after.delivery_moves(a.record.at);
                row.push_bind(&a.delivery)
                    .push_bind(status.as_str())
                    .push_bind(next)
                    .push_bind(a.record.status_code)
                    .push_bind(a.record.error.as_deref())
                    .push_bind(a.record.at)
                    .push_bind(completed);
            });
            update.push(
                ") UPDATE webhook_deliveries SET attempts = webhook_deliveries.attempts + 1, status = v.status,
                    next_attempt_at = v.next_attempt_at, last_status_code = v.last_status_code,
                    last_error = v.last_error, updated_at = v.updated_at, completed_at = v.completed_at
                 FROM v WHERE webhook_deliveries.id = v.id AND webhook_deliveries.status = 'pending'
                 RETURNING webhook_deliveries.id, webhook_deliveries.attempts",
            );
            update.build_query_as().fetch_all(&mut **t).await?
        });
        Ok(moved.into_iter().collect())
    }

    /// The INSERT of `record_attempts`. An attempt whose delivery did not
    /// move on (no longer pending) is numbered after the delivery's count.
    async fn insert_attempts(
        &mut self,
        attempts: &[&FinishedAttempt],
        moved: &HashMap<DeliveryId, i64>,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO webhook_attempts (delivery_id, attempt_no, at, url, status_code, duration_ms, error, response_body) ",
            );
            insert.push_values(attempts, |mut row, a| {
                let r = &a.record;
                row.push_bind(&a.delivery);
                match moved.get(&a.delivery) {
                    Some(attempt_no) => row.push_bind(*attempt_no),
                    None => row
                        .push("(SELECT attempts + 1 FROM webhook_deliveries WHERE id = ")
                        .push_bind_unseparated(&a.delivery)
                        .push_unseparated(")"),
                };
                row.push_bind(r.at)
                    .push_bind(&r.url)
                    .push_bind(r.status_code)
                    .push_bind(r.duration_ms)
                    .push_bind(r.error.as_deref())
                    .push_bind(r.response_body.as_deref());
            });
            insert.build().execute(&mut **t).await?;
        });
        Ok(())
    }
}

/// `attempts` split so that no delivery appears twice in a round (its
/// second attempt must see what its first one wrote), in their order.
fn rounds(attempts: &[FinishedAttempt]) -> Vec<Vec<&FinishedAttempt>> {
    let mut rounds: Vec<Vec<&FinishedAttempt>> = Vec::new();
    let mut seen: HashMap<&DeliveryId, usize> = HashMap::new();
    for attempt in attempts {
        let round = seen.entry(&attempt.delivery).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(attempt);
        *round += 1;
    }
    rounds
}

/// What a delivery attempt needs to know.
#[derive(Clone, Debug)]
pub struct DeliveryWork {
    pub delivery: Delivery,
    pub payload: EventPayload,
    pub reseller_status: ResellerStatus,
    pub url: Option<String>,
    pub sealed_secret: Option<String>,
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
            reseller_status: ResellerStatus::parse(&row.reseller_status).ok_or(StoreError::NotFound)?,
            url: row.webhook_url,
            sealed_secret: row.webhook_secret_sealed,
        })
    }

    /// Newest first.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> StoreResult<Page<Delivery>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE ($1 IS NULL OR reseller_id = $1)
               AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR event_type = $3)
               AND ($4 IS NULL OR id < $4)
             ORDER BY id DESC LIMIT $5"
        ));
        let rows: Vec<Delivery> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(filter.reseller_id.as_ref())
                .bind(filter.status.map(DeliveryStatus::as_str))
                .bind(filter.event_type.map(|e| e.as_str()))
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |d| d.id.to_string()))
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

impl Store {
    /// Deliveries waiting for an attempt (`/metrics`; served by the index
    /// on status).
    pub async fn pending_deliveries(&self) -> StoreResult<i64> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
                .fetch_one(pool)
                .await?
        }))
    }
}
