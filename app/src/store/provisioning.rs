//! Provisioning actions, their attempts, and what a service shows of them.
//! A service's actions are ordered by `seq`; every change to them happens
//! with the service's row locked (`StoreTx::lock_service`), so the check
//! "is an earlier action still open" and the queueing of the next one
//! cannot interleave between two transactions.

use super::{OptionalExt, Store, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    ids::{ActionId, ProductId, ResellerId, ServiceId},
    lists::Page,
    provisioning::{
        Action, ActionFilter, ActionKind, ActionState, Details, PlanChange, ServiceProvisioning, WaitingService,
    },
    services::Service,
    timestamp::Timestamp,
    webhooks::{Attempt, AttemptRecord, Job},
};
use sqlx::types::Json;

const ACTION_COLUMNS: &str = "id, service_id, reseller_id, product_id, action, state, attempts, next_attempt_at, \
     last_error, note, created_at, updated_at, finished_at";

/// The SQL list of the states in which an action is still open.
fn open_states() -> String {
    ActionState::OPEN
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An action about to be written.
#[derive(Clone, Debug)]
pub struct NewAction {
    pub id: ActionId,
    pub service_id: ServiceId,
    pub reseller_id: ResellerId,
    pub product_id: ProductId,
    pub action: ActionKind,
    pub change: Option<PlanChange>,
}

/// An action with its place in its service's order.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SeqAction {
    #[sqlx(flatten)]
    pub action: Action,
    pub seq: i64,
}

/// What one attempt sends: the action, its service and customer, and the
/// product's endpoint with its sealed settings and secret.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ActionCall {
    #[sqlx(flatten)]
    pub service: Service,
    pub reseller_id: ResellerId,
    pub product_slug: String,
    pub customer_external_id: String,
    pub customer_name: Option<String>,
    pub module: Option<String>,
    pub url: Option<String>,
    pub sealed_settings: Option<String>,
    pub sealed_secret: Option<String>,
    pub change: Option<Json<PlanChange>>,
}

impl StoreTx {
    /// New actions (queued), one statement.
    pub async fn insert_actions(&mut self, actions: &[NewAction], now: Timestamp) -> StoreResult<()> {
        for chunk in actions.chunks(500) {
            on_tx!(self, t => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO provisioning_actions (id, service_id, reseller_id, product_id, action, state,
                        change, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, a| {
                    row.push_bind(&a.id)
                        .push_bind(&a.service_id)
                        .push_bind(&a.reseller_id)
                        .push_bind(&a.product_id)
                        .push_bind(a.action.as_str())
                        .push_bind(ActionState::Queued.as_str())
                        .push_bind(a.change.as_ref().map(Json))
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.build().execute(&mut **t).await?;
            });
        }
        Ok(())
    }

    /// Queues an attempt of each action (at its time, or now), one statement.
    pub async fn enqueue_actions(&mut self, actions: &[(ActionId, Option<Timestamp>)]) -> StoreResult<()> {
        let jobs: Vec<(Job, Option<Timestamp>)> = actions
            .iter()
            .map(|(id, at)| (Job::Provisioning { action_id: id.clone() }, *at))
            .collect();
        self.push_jobs(&jobs).await
    }

    /// Whether the service has an open action before `seq` (any, without).
    pub async fn open_action_before(&mut self, service: &ServiceId, seq: Option<i64>) -> StoreResult<bool> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM provisioning_actions
                            WHERE service_id = $1 AND state IN ({}) AND ($2 IS NULL OR seq < $2))",
            open_states()
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(sql).bind(service).bind(seq).fetch_one(&mut **t).await?
        }))
    }

    /// The action with its order (lock its service first).
    pub async fn action_for_update(&mut self, id: &ActionId) -> StoreResult<Option<SeqAction>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS}, seq FROM provisioning_actions WHERE id = $1"
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(id).fetch_optional(&mut **t).await?
        }))
    }

    /// The service an action belongs to (to lock it before the action).
    pub async fn action_service(&mut self, id: &ActionId) -> StoreResult<Option<ServiceId>> {
        Ok(on_tx!(self, t => {
            sqlx::query_scalar("SELECT service_id FROM provisioning_actions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?
        }))
    }

    /// Writes an action's new state.
    pub async fn update_action(&mut self, action: &Action) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "UPDATE provisioning_actions
                 SET state = $2, attempts = $3, next_attempt_at = $4, last_error = $5, note = $6,
                     updated_at = $7, finished_at = $8
                 WHERE id = $1",
            )
            .bind(&action.id)
            .bind(action.state.as_str())
            .bind(action.attempts)
            .bind(action.next_attempt_at)
            .bind(action.last_error.as_deref())
            .bind(action.note.as_deref())
            .bind(action.updated_at)
            .bind(action.finished_at)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    pub async fn insert_action_attempt(
        &mut self,
        action: &ActionId,
        attempt_no: i64,
        record: &AttemptRecord,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO provisioning_attempts
                    (action_id, attempt_no, at, url, status_code, duration_ms, error, response_body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(action)
            .bind(attempt_no)
            .bind(record.at)
            .bind(&record.url)
            .bind(record.status_code)
            .bind(record.duration_ms)
            .bind(record.error.as_deref())
            .bind(record.response_body.as_deref())
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// The service's first queued action after `seq` that waits for no
    /// time of its own (the next in line once `seq` ended).
    pub async fn next_queued_action(&mut self, service: &ServiceId, seq: i64) -> StoreResult<Option<ActionId>> {
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(
                "SELECT id FROM provisioning_actions
                 WHERE service_id = $1 AND seq > $2 AND state = 'queued'
                 ORDER BY seq LIMIT 1",
            )
            .bind(service)
            .bind(seq)
            .fetch_optional(&mut **t)
            .await?
        }))
    }

    /// Shows `provisioning` on the service, if the action at `seq` is still
    /// its latest (an older action finishing does not hide a newer one).
    pub async fn show_provisioning(
        &mut self,
        service: &ServiceId,
        seq: i64,
        provisioning: &ServiceProvisioning,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "UPDATE services SET provisioning = $3
                 WHERE id = $1 AND NOT EXISTS (
                     SELECT 1 FROM provisioning_actions WHERE service_id = $1 AND seq > $2)",
            )
            .bind(service)
            .bind(seq)
            .bind(Json(provisioning))
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// Shows `provisioning` on each service (new actions: theirs is the latest).
    pub async fn show_new_provisioning(
        &mut self,
        services: &[ServiceId],
        provisioning: &ServiceProvisioning,
    ) -> StoreResult<()> {
        for chunk in services.chunks(500) {
            on_tx!(self, t => {
                let mut update = sqlx::QueryBuilder::new("UPDATE services SET provisioning = ");
                update.push_bind(Json(provisioning)).push(" WHERE id IN (");
                let mut list = update.separated(", ");
                for s in chunk {
                    list.push_bind(s);
                }
                update.push(")");
                update.build().execute(&mut **t).await?;
            });
        }
        Ok(())
    }

    pub async fn set_details(&mut self, service: &ServiceId, details: &Details) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("UPDATE services SET details = $2 WHERE id = $1")
                .bind(service)
                .bind(Json(details))
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }
}

impl Store {
    /// Everything an attempt of `action` sends.
    pub async fn action_call(&self, action: &ActionId) -> StoreResult<ActionCall> {
        let columns = super::services::columns_of("s");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, s.reseller_id, p.slug AS product_slug, c.external_id AS customer_external_id,
                    c.name AS customer_name, pp.module, pp.url, pp.sealed_settings, pp.sealed_secret, a.change
             FROM provisioning_actions a
             JOIN services s ON s.id = a.service_id
             JOIN products p ON p.id = s.product_id
             JOIN customers c ON c.id = s.customer_id
             LEFT JOIN product_provisioning pp ON pp.product_id = a.product_id
             WHERE a.id = $1"
        ));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(action).fetch_optional(pool).await?
        })
        .found()
    }

    /// One action (operators).
    pub async fn action(&self, id: &ActionId) -> StoreResult<Action> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM provisioning_actions WHERE id = $1"
        ));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    /// An action's attempts, oldest first.
    pub async fn action_attempts(&self, id: &ActionId) -> StoreResult<Vec<Attempt>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT attempt_no, at, url, status_code, duration_ms, error, response_body
                 FROM provisioning_attempts WHERE action_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Actions, newest first, filtered, one page.
    pub async fn actions(&self, filter: &ActionFilter) -> StoreResult<Page<Action>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM provisioning_actions
             WHERE ($1 IS NULL OR state = $1)
               AND ($2 IS NULL OR reseller_id = $2)
               AND ($3 IS NULL OR product_id = $3)
               AND ($4 IS NULL OR service_id = $4)
               AND ($5 IS NULL OR id < $5)
             ORDER BY id DESC LIMIT $6"
        ));
        let rows: Vec<Action> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(filter.state.map(ActionState::as_str))
                .bind(filter.reseller_id.as_ref())
                .bind(filter.product_id.as_ref())
                .bind(filter.service_id.as_ref())
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |a| a.id.to_string()))
    }

    /// Services of `manual` products (or products without a module) still
    /// pending, oldest first: the operator's to set up.
    pub async fn waiting_manual_services(&self, limit: i64) -> StoreResult<Vec<WaitingService>> {
        let columns = super::services::columns_of("s");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, s.reseller_id, r.company_name, p.name AS product_name
             FROM services s
             JOIN products p ON p.id = s.product_id
             JOIN reseller_profiles r ON r.id = s.reseller_id
             LEFT JOIN product_provisioning pp ON pp.product_id = s.product_id
             WHERE s.status = 'pending' AND (pp.module IS NULL OR pp.module = 'manual')
             ORDER BY s.started_at, s.id LIMIT $1"
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).bind(limit).fetch_all(pool).await?
        }))
    }

    /// For metrics: open actions, and when the oldest failed one was made.
    pub async fn provisioning_backlog(&self) -> StoreResult<(i64, Option<Timestamp>)> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT COUNT(*) FROM provisioning_actions WHERE state IN ({})),
                    (SELECT MIN(created_at) FROM provisioning_actions WHERE state = 'failed')",
            open_states()
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).fetch_one(pool).await?
        }))
    }
}
