//! A write transaction that a use case holds: [`Store::begin`] opens it,
//! the use case calls small statement methods on it (each defined next to
//! the other queries of its domain, in `impl StoreTx` blocks) and commits.
//! Dropping it without `commit` rolls everything back.
//!
//! Every write of more than one statement, and every write an audit entry
//! or an event goes with, is a use case over one `StoreTx`: begin,
//! statements, audit, `finish`. SQLite transactions start with `BEGIN
//! IMMEDIATE`, so writers queue on SQLite's lock instead of failing to
//! upgrade a read lock.

use super::{Dialect, POSTGRES, SQLITE, Store, StoreResult};

pub(crate) enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// An open write transaction (see the module).
pub struct StoreTx {
    pub(crate) inner: TxInner,
    /// Set by statements that change what request-path caches hold; the
    /// store's epoch is bumped once the change is committed.
    pub(crate) bumps_epoch: bool,
    /// Locks that must live exactly as long as the transaction (SQLite's
    /// in-process idempotency claims); released on commit or drop.
    pub(crate) held: Vec<Box<dyn Send>>,
    store: Store,
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreTx")
    }
}

/// Runs a block with `$t` bound to the transaction of whichever database
/// the store uses (and `$d` to its [`Dialect`]); the block compiles once per
/// database, so it must only use what both support. Statements execute on
/// `&mut **$t`.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        $crate::store::tx::on_tx!($tx, $t, _dialect => $body)
    };
    ($tx:expr, $t:ident, $d:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::store::tx::TxInner::Sqlite($t) => {
                #[allow(unused_variables)]
                let $d = $crate::store::SQLITE;
                $body
            }
            $crate::store::tx::TxInner::Postgres($t) => {
                #[allow(unused_variables)]
                let $d = $crate::store::POSTGRES;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Store {
    /// Opens a write transaction for a use case.
    pub async fn begin(&self) -> StoreResult<StoreTx> {
        let inner = match &self.db {
            super::Db::Sqlite(pool) => TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            super::Db::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(StoreTx {
            inner,
            bumps_epoch: false,
            held: Vec::new(),
            store: self.clone(),
        })
    }
}

impl StoreTx {
    pub async fn commit(mut self) -> StoreResult<()> {
        if self.bumps_epoch {
            let (dialect, announcer) = (self.dialect(), self.store.announcer.clone());
            on_tx!(self, t => super::instances::announce_change!(dialect, &*announcer, &mut **t));
        }
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        if self.bumps_epoch {
            self.store.bump_epoch();
        }
        drop(self.held);
        Ok(())
    }

    /// Commits when `result` is a success, rolls back (at once) when it is
    /// not; passes `result` on. Use cases end with this.
    pub async fn finish<T, E: From<super::StoreError>>(self, result: Result<T, E>) -> Result<T, E> {
        match result {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(err) => {
                let _ = self.rollback().await;
                Err(err)
            }
        }
    }

    /// Rolls back now. Dropping the transaction also rolls back, but only
    /// when its connection is next used: the locks it holds (an idempotency
    /// claim) would outlive it until then.
    pub async fn rollback(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self.inner {
            TxInner::Sqlite(_) => SQLITE,
            TxInner::Postgres(_) => POSTGRES,
        }
    }

    /// The store the transaction belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Now, on the store's business clock.
    pub fn now(&self) -> crate::timestamp::Timestamp {
        self.store.now()
    }

    /// Waits for the lock named `name`, held until the transaction ends:
    /// on PostgreSQL a transaction-scoped advisory lock; on SQLite nothing
    /// more is needed (its write transactions already run one at a time).
    pub(crate) async fn lock(&mut self, name: &str) -> StoreResult<()> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock_number(name))
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    /// Takes the lock named `name` if no other transaction holds it (see
    /// [`StoreTx::lock`]); SQLite always succeeds.
    pub(crate) async fn try_lock(&mut self, name: &str) -> StoreResult<bool> {
        match &mut self.inner {
            TxInner::Postgres(t) => Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                .bind(lock_number(name))
                .fetch_one(&mut **t)
                .await?),
            TxInner::Sqlite(_) => Ok(true),
        }
    }
}

/// The advisory lock number of a name: 64 bits of its SHA-256.
fn lock_number(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}
