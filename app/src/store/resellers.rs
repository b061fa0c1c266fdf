//! Reseller profiles: applications, lifecycle transitions, settings.

use super::{OptionalExt, Store, StoreError, StoreResult, StoreTx, escape_like, tx::on_tx, with_pool};
use crate::{
    ids::{ResellerId, UserId},
    lists::Page,
    money::Percent,
    resellers::{LifecycleAction, Reseller, ResellerFilter, ResellerPatch, ResellerStatus},
    timestamp::Timestamp,
};

const SELECT_RESELLER: &str = "SELECT r.id, r.user_id, u.email, u.name AS contact_name, r.company_name, \
     r.website, r.message, r.status, r.default_discount_rate, r.rate_limit, r.api_enabled, \
     r.applied_at, r.approved_at, r.approved_by, r.suspended_at, r.suspension_reason, \
     r.terminated_at, r.termination_reason, r.status_changed_at, r.updated_at \
     FROM reseller_profiles r JOIN users u ON u.id = r.user_id";

/// A profile about to be created (status pending).
#[derive(Clone, Debug)]
pub struct NewReseller<'a> {
    pub id: &'a ResellerId,
    pub user_id: &'a UserId,
    pub company_name: &'a str,
    pub website: Option<&'a str>,
    pub message: Option<&'a str>,
    pub default_discount_rate: Percent,
    pub rate_limit: i64,
    pub at: Timestamp,
}

impl StoreTx {
    /// Moves a profile from `from` to `action.target()` if, and only if, it
    /// is still in `from` (compare-and-set: two concurrent transitions
    /// cannot both win); `detail` is the approver or the reason. False when
    /// it moved on meanwhile.
    pub async fn transition_reseller(
        &mut self,
        id: &ResellerId,
        from: ResellerStatus,
        action: LifecycleAction,
        detail: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        // $1 id, $2 expected status, $3 new status, $4 time, $5 approver or reason.
        let sql = match (from, action) {
            (ResellerStatus::Pending, LifecycleAction::Approve) => {
                "UPDATE reseller_profiles SET status = $3, status_changed_at = $4, updated_at = $4,
                    approved_at = $4, approved_by = $5
                 WHERE id = $1 AND status = $2"
            }
            (_, LifecycleAction::Reactivate) | (_, LifecycleAction::Approve) => {
                "UPDATE reseller_profiles SET status = $3, status_changed_at = $4, updated_at = $4,
                    suspended_at = NULL, suspension_reason = NULL
                 WHERE id = $1 AND status = $2"
            }
            (_, LifecycleAction::Suspend) => {
                "UPDATE reseller_profiles SET status = $3, status_changed_at = $4, updated_at = $4,
                    suspended_at = $4, suspension_reason = $5
                 WHERE id = $1 AND status = $2"
            }
            (_, LifecycleAction::Terminate) => {
                "UPDATE reseller_profiles SET status = $3, status_changed_at = $4, updated_at = $4,
                    terminated_at = $4, termination_reason = $5
                 WHERE id = $1 AND status = $2"
            }
        };
        let binds_detail = sql.contains("$5");
        let changed = on_tx!(self, t => {
            let mut query = sqlx::query(sql).bind(id).bind(from.as_str()).bind(action.target().as_str()).bind(now);
            if binds_detail {
                query = query.bind(detail);
            }
            query.execute(&mut **t).await?.rows_affected()
        });
        self.bumps_epoch |= changed > 0;
        Ok(changed > 0)
    }

    /// The profile's status as this transaction sees it (request-path
    /// caches may be seconds behind another instance's change).
    pub async fn reseller_status(&mut self, id: &ResellerId) -> StoreResult<ResellerStatus> {
        let status: Option<String> = on_tx!(self, t => {
            sqlx::query_scalar("SELECT status FROM reseller_profiles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **t)
                .await?
        });
        status.as_deref().and_then(ResellerStatus::parse).found()
    }

    /// Creates a pending profile; a user with a profile already is `Conflict`.
    pub async fn insert_reseller(&mut self, new: &NewReseller<'_>) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_profiles (id, user_id, company_name, website, message, status,
                    default_discount_rate, rate_limit, api_enabled, applied_at, status_changed_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, TRUE, $8, $8, $8)",
            )
            .bind(new.id)
            .bind(new.user_id)
            .bind(new.company_name)
            .bind(new.website)
            .bind(new.message)
            .bind(new.default_discount_rate)
            .bind(new.rate_limit)
            .bind(new.at)
            .execute(&mut **t)
            .await
            .map_err(StoreError::from_write)?;
        });
        Ok(())
    }

    /// Applies the present fields of `patch`.
    pub async fn patch_reseller(&mut self, id: &ResellerId, patch: &ResellerPatch, now: Timestamp) -> StoreResult<()> {
        let changed = on_tx!(self, t => {
            sqlx::query(
                "UPDATE reseller_profiles SET
                    api_enabled = COALESCE($2, api_enabled),
                    rate_limit = COALESCE($3, rate_limit),
                    default_discount_rate = COALESCE($4, default_discount_rate),
                    updated_at = $5
                 WHERE id = $1",
            )
            .bind(id)
            .bind(patch.api_enabled)
            .bind(patch.rate_limit)
            .bind(patch.default_discount_rate)
            .bind(now)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        super::changed_one(changed)?;
        // Access, limits and discounts are read from request-path caches.
        self.bumps_epoch = true;
        Ok(())
    }
}

impl Store {
    pub async fn reseller(&self, id: &ResellerId) -> StoreResult<Reseller> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT_RESELLER} WHERE r.id = $1"));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    pub async fn reseller_for_user(&self, user: &UserId) -> StoreResult<Option<Reseller>> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT_RESELLER} WHERE r.user_id = $1"));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).bind(user).fetch_optional(pool).await?
        }))
    }

    /// Oldest first, after the cursor.
    pub async fn list_resellers(&self, filter: &ResellerFilter) -> StoreResult<Page<Reseller>> {
        // By balance: one page (the cursor is an id, which that order
        // does not follow).
        let order = if filter.by_balance {
            "COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.reseller_id = r.id), 0), r.id"
        } else {
            "r.id"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT_RESELLER}
             WHERE ($1 IS NULL OR r.status = $1)
               AND ($2 IS NULL OR lower(r.company_name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\')
               AND ($3 IS NULL OR r.id > $3)
             ORDER BY {order}
             LIMIT $4"
        ));
        let search = filter
            .search
            .as_deref()
            .map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
        let rows: Vec<Reseller> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(filter.status.map(ResellerStatus::as_str))
                .bind(search.as_deref())
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .fetch_all(pool)
                .await?
        });
        let mut page = Page::from_overfetch(rows, filter.page.limit, |r| r.id.to_string());
        if filter.by_balance {
            page.next_cursor = None;
        }
        Ok(page)
    }
}
