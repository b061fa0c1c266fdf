//! The reseller account: settings rows, the ledger (immutable entries; a
//! balance is their sum) and its monthly snapshots.
//!
//! A snapshot is the balance at the end of a month whose statement is
//! final (nothing can be dated in it any more), so a balance is the
//! latest snapshot plus the entries since: what admission, the Billing
//! page and statements sum stays about a month of entries however long
//! the ledger grows. Snapshots are derived, never edited: the sweep writes
//! one per account and final month (`close_periods`), and an account
//! without one sums its whole ledger, as before.

use super::{Store, StoreError, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    billing::{AccountSettings, Entry, EntryFilter, EntryKind},
    ids::{OrderId, ResellerId, ServiceId, TransactionId},
    lists::Page,
    money::Amount,
    services::Service,
    timestamp::Timestamp,
};

const ENTRY_COLUMNS: &str = "id, kind, amount, at, order_id, service_id, reference, reason, recorded_by";
const SETTINGS_COLUMNS: &str = "credit_limit, low_balance_threshold, low_balance_notified";

/// An entry to write.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    pub kind: EntryKind,
    pub amount: Amount,
    pub at: Timestamp,
    pub order_id: Option<&'a OrderId>,
    pub service_id: Option<&'a ServiceId>,
    pub reference: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub recorded_by: Option<&'a str>,
    /// A payment's Idempotency-Key and the hash of what it asked for.
    pub idempotency: Option<(&'a str, &'a str)>,
}

impl<'a> NewEntry<'a> {
    pub fn new(kind: EntryKind, amount: Amount, at: Timestamp) -> Self {
        NewEntry {
            kind,
            amount,
            at,
            order_id: None,
            service_id: None,
            reference: None,
            reason: None,
            recorded_by: None,
            idempotency: None,
        }
    }
}

/// A reseller's figures for the operator's list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub reseller_id: ResellerId,
    #[sqlx(flatten)]
    pub settings: AccountSettings,
    pub balance: Amount,
}

/// The balance before `at` (everything, without `at`), in one statement:
/// the latest snapshot not after `at` plus the entries from its end, or
/// the sum of every entry for an account without one. `$1` the reseller,
/// `$2` the bound.
fn balance_sql(bounded: bool) -> sqlx::AssertSqlSafe<String> {
    let (snap_bound, entry_bound) = if bounded {
        (" AND period_end <= $2", " AND e.at < $2")
    } else {
        ("", "")
    };
    sqlx::AssertSqlSafe(format!(
        "WITH snap AS (SELECT balance, period_end FROM ledger_snapshots
                       WHERE reseller_id = $1{snap_bound} ORDER BY period_end DESC LIMIT 1)
         SELECT s.balance + (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
                             WHERE e.reseller_id = $1 AND e.at >= s.period_end{entry_bound}) AS balance
         FROM snap s
         UNION ALL
         SELECT (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
                 WHERE e.reseller_id = $1{entry_bound}) AS balance
         WHERE NOT EXISTS (SELECT 1 FROM snap)"
    ))
}

/// A statement's lines after `after` (time, id) in `[from, to)`, oldest
/// first.
const STATEMENT_PAGE: &str = "SELECT id, kind, amount, at, order_id, service_id, reference, reason, recorded_by
     FROM ledger_entries
     WHERE reseller_id = $1 AND at >= $2 AND at < $3
       AND ($4 IS NULL OR at > $4 OR (at = $4 AND id > $5))
     ORDER BY at, id LIMIT $6";

impl Store {
    /// The account's settings (the default without a row) and balance.
    pub async fn account(&self, reseller: &ResellerId) -> StoreResult<(AccountSettings, Amount)> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SETTINGS_COLUMNS} FROM reseller_accounts WHERE reseller_id = $1"
        ));
        let settings: Option<AccountSettings> = with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).fetch_optional(pool).await?
        });
        let balance = self.balance_before(reseller, None).await?;
        Ok((settings.unwrap_or_default(), balance))
    }

    /// The sum of the entries before `at` (all of them without), from the
    /// latest snapshot on.
    pub async fn balance_before(&self, reseller: &ResellerId, at: Option<Timestamp>) -> StoreResult<Amount> {
        let sql = balance_sql(at.is_some());
        Ok(with_pool!(self, pool => {
            let mut query = sqlx::query_scalar(sql).bind(reseller);
            if let Some(at) = at {
                query = query.bind(at);
            }
            query.fetch_one(pool).await?
        }))
    }

    /// The sum of each day's entries in `[from, to)`, by day number since
    /// 1970 (days without entries are missing), grouped by the database.
    pub async fn day_sums(
        &self,
        reseller: &ResellerId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(i64, Amount)>> {
        Ok(with_pool!(self, pool, dialect => {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {day} AS d, SUM(amount) FROM ledger_entries
                 WHERE reseller_id = $1 AND at >= $2 AND at < $3 GROUP BY d ORDER BY d",
                day = dialect.bucket("at", 86_400)
            ));
            sqlx::query_as(sql).bind(reseller).bind(from).bind(to).fetch_all(pool).await?
        }))
    }

    /// One page of a statement's lines: the entries in `[from, to)` after
    /// the cursor entry, oldest first.
    pub async fn statement_page(
        &self,
        reseller: &ResellerId,
        from: Timestamp,
        to: Timestamp,
        page: &crate::lists::PageRequest<TransactionId>,
    ) -> StoreResult<Page<Entry>> {
        let after = match &page.after {
            Some(id) => Some(self.entry_time(reseller, id).await?),
            None => None,
        };
        let rows: Vec<Entry> = with_pool!(self, pool => {
            sqlx::query_as(STATEMENT_PAGE)
                .bind(reseller)
                .bind(from)
                .bind(to)
                .bind(after)
                .bind(page.after.as_ref())
                .bind(page.fetch())
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, page.limit, |e| e.id.to_string()))
    }

    /// The sum of the entries in `[from, to)` up to and including the
    /// cursor entry (the running balance a statement page starts from).
    pub async fn sum_through(
        &self,
        reseller: &ResellerId,
        from: Timestamp,
        to: Timestamp,
        through: &TransactionId,
    ) -> StoreResult<Amount> {
        let at = self.entry_time(reseller, through).await?;
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries
                 WHERE reseller_id = $1 AND at >= $2 AND at < $3 AND (at < $4 OR (at = $4 AND id <= $5))",
            )
            .bind(reseller)
            .bind(from)
            .bind(to)
            .bind(at)
            .bind(through)
            .fetch_one(pool)
            .await?
        }))
    }

    // ---- snapshots ------------------------------------------------------------

    /// The accounts with entries before `period_end` and no snapshot at it:
    /// each with its latest snapshot (end, balance), if any.
    pub async fn accounts_to_close(
        &self,
        period_end: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(ResellerId, Option<Timestamp>, Option<Amount>)>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT p.id,
                        (SELECT MAX(s.period_end) FROM ledger_snapshots s WHERE s.reseller_id = p.id) AS last_end,
                        (SELECT s.balance FROM ledger_snapshots s WHERE s.reseller_id = p.id
                          ORDER BY s.period_end DESC LIMIT 1) AS last_balance
                 FROM reseller_profiles p
                 WHERE EXISTS (SELECT 1 FROM ledger_entries e WHERE e.reseller_id = p.id AND e.at < $1)
                   AND NOT EXISTS (SELECT 1 FROM ledger_snapshots s WHERE s.reseller_id = p.id AND s.period_end = $1)
                 ORDER BY p.id LIMIT $2",
            )
            .bind(period_end)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The time of the oldest entry, if any (the first month with a
    /// statement) before `before`.
    pub async fn first_entry_before(&self, reseller: &ResellerId, before: Timestamp) -> StoreResult<Option<Timestamp>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar("SELECT MIN(at) FROM ledger_entries WHERE reseller_id = $1 AND at < $2")
                .bind(reseller)
                .bind(before)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The sum of the entries in `[from, to)`.
    pub async fn sum_between(&self, reseller: &ResellerId, from: Timestamp, to: Timestamp) -> StoreResult<Amount> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COALESCE(SUM(amount), 0) FROM ledger_entries WHERE reseller_id = $1 AND at >= $2 AND at < $3",
            )
            .bind(reseller)
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Records the balance at `period_end` (written once: a concurrent
    /// sweep's equal row wins).
    pub async fn insert_snapshot(
        &self,
        reseller: &ResellerId,
        period_end: Timestamp,
        balance: Amount,
        now: Timestamp,
    ) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ledger_snapshots (reseller_id, period_end, balance, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (reseller_id, period_end) DO NOTHING",
            )
            .bind(reseller)
            .bind(period_end)
            .bind(balance)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Entries newest first (by time, then id), filtered, one page.
    pub async fn entries(&self, reseller: &ResellerId, filter: &EntryFilter) -> StoreResult<Page<Entry>> {
        // The cursor is an entry id; its time and id bound the next page.
        let after = match &filter.page.after {
            Some(id) => Some(self.entry_time(reseller, id).await?),
            None => None,
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries
             WHERE reseller_id = $1
               AND ($2 IS NULL OR kind = $2)
               AND ($3 IS NULL OR at >= $3)
               AND ($4 IS NULL OR at < $4)
               AND ($5 IS NULL OR at < $5 OR (at = $5 AND id < $6))
             ORDER BY at DESC, id DESC LIMIT $7"
        ));
        let rows: Vec<Entry> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(reseller)
                .bind(filter.kind.map(|k| k.as_str()))
                .bind(filter.since)
                .bind(filter.until)
                .bind(after)
                .bind(filter.page.after.as_ref())
                .bind(filter.page.fetch())
                .fetch_all(pool)
                .await?
        });
        Ok(Page::from_overfetch(rows, filter.page.limit, |e| e.id.to_string()))
    }

    async fn entry_time(&self, reseller: &ResellerId, id: &TransactionId) -> StoreResult<Timestamp> {
        let at: Option<Timestamp> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT at FROM ledger_entries WHERE reseller_id = $1 AND id = $2")
                .bind(reseller)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        // A cursor of another reseller's entry is as bad as a made-up one.
        at.ok_or(StoreError::NotFound)
    }

    /// The time of the oldest entry, if any (the first month with a
    /// statement).
    pub async fn first_entry_at(&self, reseller: &ResellerId) -> StoreResult<Option<Timestamp>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar("SELECT MIN(at) FROM ledger_entries WHERE reseller_id = $1")
                .bind(reseller)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Balances and settings of the given resellers (rows only for those
    /// with entries or settings).
    pub async fn accounts_of(&self, resellers: &[ResellerId]) -> StoreResult<Vec<AccountRow>> {
        if resellers.is_empty() {
            return Ok(Vec::new());
        }
        Ok(with_pool!(self, pool => {
            // Each account's latest snapshot plus its entries from the
            // snapshot's end (from the epoch without one): the bound is a
            // value per account, so the entries are an index range, never
            // the whole ledger.
            let mut query = sqlx::QueryBuilder::new(
                "SELECT p.id AS reseller_id, a.credit_limit, a.low_balance_threshold,
                        COALESCE(a.low_balance_notified, FALSE) AS low_balance_notified,
                        COALESCE(sn.balance, 0)
                        + COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.reseller_id = p.id
                                    AND l.at >= COALESCE(sn.period_end, ",
            );
            query.push_bind(Timestamp::EPOCH);
            query.push(
                ")), 0) AS balance
                 FROM reseller_profiles p LEFT JOIN reseller_accounts a ON a.reseller_id = p.id
                 LEFT JOIN ledger_snapshots sn ON sn.reseller_id = p.id
                     AND sn.period_end = (SELECT MAX(s.period_end) FROM ledger_snapshots s WHERE s.reseller_id = p.id)
                 WHERE p.id IN (",
            );
            let mut ids = query.separated(", ");
            for id in resellers {
                ids.push_bind(id);
            }
            query.push(")");
            query.build_query_as().fetch_all(pool).await?
        }))
    }
}

impl StoreTx {
    /// The account's settings, read without a lock (orders of a reseller
    /// without a limit must not queue on one row).
    pub async fn account_settings(&mut self, reseller: &ResellerId) -> StoreResult<AccountSettings> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SETTINGS_COLUMNS} FROM reseller_accounts WHERE reseller_id = $1"
        ));
        let row: Option<AccountSettings> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).fetch_optional(&mut **t).await?
        });
        Ok(row.unwrap_or_default())
    }

    /// The account's settings, its row locked until the transaction ends:
    /// the charges and payments of a reseller with a limit go one at a
    /// time. Read afresh, so what an earlier holder committed is seen.
    pub async fn lock_account(&mut self, reseller: &ResellerId) -> StoreResult<AccountSettings> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SETTINGS_COLUMNS} FROM reseller_accounts WHERE reseller_id = $1{}",
            self.dialect().for_update
        ));
        let row: Option<AccountSettings> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).fetch_optional(&mut **t).await?
        });
        Ok(row.unwrap_or_default())
    }

    /// The balance as this transaction sees it (the latest snapshot and
    /// the entries since).
    pub async fn balance(&mut self, reseller: &ResellerId) -> StoreResult<Amount> {
        let sql = balance_sql(false);
        Ok(on_tx!(self, t => {
            sqlx::query_scalar(sql).bind(reseller).fetch_one(&mut **t).await?
        }))
    }

    pub async fn insert_entry(&mut self, reseller: &ResellerId, entry: &NewEntry<'_>) -> StoreResult<Entry> {
        let id = TransactionId::generate();
        let (key, hash) = entry.idempotency.unzip();
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO ledger_entries (id, reseller_id, kind, amount, at, order_id, service_id, reference,
                reason, recorded_by, idempotency_key, request_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             RETURNING {ENTRY_COLUMNS}"
        ));
        let now = Timestamp::now();
        on_tx!(self, t => {
            sqlx::query_as(sql)
                .bind(&id)
                .bind(reseller)
                .bind(entry.kind.as_str())
                .bind(entry.amount)
                .bind(entry.at)
                .bind(entry.order_id)
                .bind(entry.service_id)
                .bind(entry.reference)
                .bind(entry.reason)
                .bind(entry.recorded_by)
                .bind(key)
                .bind(hash)
                .bind(now)
                .fetch_one(&mut **t)
                .await
                .map_err(StoreError::from_write)
        })
    }

    /// The entry recorded with this Idempotency-Key (a payment, credit or
    /// adjustment), and the hash of its request.
    pub async fn entry_by_key(&mut self, reseller: &ResellerId, key: &str) -> StoreResult<Option<(Entry, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            entry: Entry,
            request_hash: String,
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS}, request_hash FROM ledger_entries
             WHERE reseller_id = $1 AND idempotency_key = $2"
        ));
        let row: Option<Row> = on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).bind(key).fetch_optional(&mut **t).await?
        });
        Ok(row.map(|r| (r.entry, r.request_hash)))
    }

    /// Marks `balance.low` as sent (`true`) or re-arms it (`false`), if it
    /// is not so already; false when another transaction got there first.
    pub async fn set_low_balance_notified(&mut self, reseller: &ResellerId, notified: bool) -> StoreResult<bool> {
        let done = on_tx!(self, t => {
            sqlx::query(
                "UPDATE reseller_accounts SET low_balance_notified = $2
                 WHERE reseller_id = $1 AND low_balance_notified <> $2",
            )
            .bind(reseller)
            .bind(notified)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Creates or replaces the account's settings row.
    pub async fn save_account_settings(
        &mut self,
        reseller: &ResellerId,
        settings: &AccountSettings,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO reseller_accounts (reseller_id, credit_limit, low_balance_threshold,
                    low_balance_notified, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (reseller_id) DO UPDATE SET credit_limit = $2, low_balance_threshold = $3,
                    low_balance_notified = $4, updated_at = $5",
            )
            .bind(reseller)
            .bind(settings.credit_limit)
            .bind(settings.low_balance_threshold)
            .bind(settings.low_balance_notified)
            .bind(now)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// The reseller's services suspended for non-payment, oldest due first,
    /// locked (on PostgreSQL, those another transaction holds are skipped:
    /// it is renewing them).
    pub async fn unpaid_services(&mut self, reseller: &ResellerId) -> StoreResult<Vec<Service>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM services
             WHERE reseller_id = $1 AND status = 'suspended' AND suspension_reason = 'unpaid'
             ORDER BY next_renewal_at, id{}",
            super::services::COLUMNS,
            self.dialect().skip_locked
        ));
        Ok(on_tx!(self, t => {
            sqlx::query_as(sql).bind(reseller).fetch_all(&mut **t).await?
        }))
    }
}
