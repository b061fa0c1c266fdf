//! Storage: every SQL statement of the product lives under this module.
//!
//! One [`Store`] type is the interface the services call. Underneath it holds
//! either a SQLite or a PostgreSQL pool. The SQL is written once, in the
//! portable subset both databases share (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`, timestamps passed in from Rust), and each method runs it on
//! whichever pool is present through [`with_pool!`], or in a use case's
//! transaction ([`StoreTx`], `on_tx!`). What
//! differs between the two databases is named in one place:
//! [`types`] (how money and time are stored) and [`Dialect`] (locking,
//! transaction start), plus one migrations folder per database.
//!
//! Each domain has its own file of queries (`accounts.rs`, `resellers.rs`...),
//! each an `impl Store` block.

mod accounts;
mod api_access;
mod api_log;
mod audit;
mod billing;
mod catalog;
mod changes;
mod customers;
mod dashboard;
mod idempotency;
pub mod instances;
mod orders;
mod price_book;
mod provisioning;
mod resellers;
mod retention;
mod services;
pub mod tx;
pub mod types;
mod webhooks;

use crate::clock::Clock;
use sqlx::{
    PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, time::Duration};

pub use accounts::{AdminTokenRecord, LoginFailures};
pub use api_access::ApiKeyRecord;
pub use audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use billing::{AccountRow, NewEntry};
pub use catalog::{ModuleRow, SealedProvisioning, StoredProvisioning};
pub use dashboard::DashboardStats;
pub use idempotency::{HeldClaim, SavedAnswer};
pub use instances::{ChangeSignal, QuotaLease};
pub use provisioning::{ActionCall, NewAction, SeqAction};
pub use resellers::NewReseller;
pub use retention::Purged;
pub use tx::StoreTx;
pub use webhooks::{DeliveryWork, WebhookTarget};

/// Errors the storage layer reports. `NotFound` and `Conflict` are expected
/// outcomes the services turn into domain errors; `Database` is a fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("row not found")]
    NotFound,
    /// A unique constraint refused the write (names the constraint).
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A value could not be encoded for storage (a JSON payload, a job).
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The job queue refused a job.
    #[error("queueing failed: {0}")]
    Queue(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An UPDATE of one row by its key: no row changed means there is no such
/// row (`NotFound`).
pub(crate) fn changed_one(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

impl StoreError {
    /// Turns unique violations into `Conflict`, keeping the constraint name
    /// for the service to decide what it means (never shown to users).
    pub(crate) fn from_write(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            let name = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned());
            return StoreError::Conflict(name);
        }
        StoreError::Database(err)
    }
}

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The few SQL fragments that differ between the two databases.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect {
    /// Appended to a SELECT that must lock the rows it reads until commit.
    /// SQLite has no row locks: its write transactions start with
    /// `BEGIN IMMEDIATE`, which already serialises writers.
    pub for_update: &'static str,
    /// Appended to a SELECT that takes rows other transactions have not
    /// locked (work queues): `FOR UPDATE SKIP LOCKED` on PostgreSQL.
    pub skip_locked: &'static str,
    /// Whether committed changes to what request-path caches hold are
    /// announced to other instances (`LISTEN/NOTIFY`, see `instances`).
    pub announces_changes: bool,
}

impl Dialect {
    /// Whether `FOR UPDATE` exists (PostgreSQL); SQLite's write
    /// transaction already excludes every other writer.
    pub fn has_row_locks(&self) -> bool {
        !self.for_update.is_empty()
    }

    /// The number of the `seconds`-long period since 1970 that the
    /// timestamp column `col` falls in (days, hours: chart buckets).
    pub fn bucket(&self, col: &str, seconds: i64) -> String {
        if self.has_row_locks() {
            format!("CAST(floor(extract(epoch FROM {col}) / {seconds}) AS BIGINT)")
        } else {
            format!("({col} / {})", seconds * 1_000_000)
        }
    }

    /// Locks only the rows of `alias` in a joined SELECT (PostgreSQL).
    pub fn for_update_of(&self, alias: &str) -> String {
        if self.for_update.is_empty() {
            String::new()
        } else {
            format!(" FOR UPDATE OF {alias}")
        }
    }
}

pub(crate) const SQLITE: Dialect = Dialect {
    for_update: "",
    skip_locked: "",
    announces_changes: false,
};
pub(crate) const POSTGRES: Dialect = Dialect {
    for_update: " FOR UPDATE",
    skip_locked: " FOR UPDATE SKIP LOCKED",
    announces_changes: true,
};

#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The storage interface: cheap to clone (pools are shared).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    /// For writes that may be lost in a crash without harm (the API log,
    /// idempotency claims): on PostgreSQL a pool with
    /// `synchronous_commit = off`, so they do not wait for a disk flush.
    /// The next ordinary commit flushes them anyway. SQLite: the main pool.
    relaxed: Db,
    /// Bumped whenever something a partner request depends on changes
    /// (reseller status or settings, keys, webhook secret, price book,
    /// products), so request-path caches know when to reload.
    epoch: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Names this process in its change announcements, so its own listener
    /// skips them: the committing process has already moved its epoch on,
    /// and hearing itself a moment later would drop caches filled since.
    announcer: std::sync::Arc<str>,
    /// Idempotency keys claimed by transactions running in this process
    /// (used on SQLite; PostgreSQL holds advisory locks instead).
    claims: idempotency::LocalClaims,
    /// The business clock use cases read (see `crate::clock`).
    clock: Clock,
}

/// Runs a block with `$pool` bound to the store's pool (and optionally `$d`
/// to its [`Dialect`]). The block is compiled once per database, so it must
/// only use what both support.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
    ($store:expr, $pool:ident, $d:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => {
                let $d = $crate::store::SQLITE;
                $body
            }
            $crate::store::Db::Postgres($pool) => {
                let $d = $crate::store::POSTGRES;
                $body
            }
        }
    };
}

pub(crate) use with_pool;

/// The database file a `sqlite:` URL opens (as [`Store::connect`] reads
/// it); `None` for in-memory databases and other URLs.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let params = url.split_once('?').map_or("", |(_, params)| params);
    let in_memory = url::form_urlencoded::parse(params.as_bytes()).any(|(k, v)| k == "mode" && v == "memory");
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    // sqlx names `:memory:` databases `file:sqlx-in-memory-<n>`.
    let unnamed = file.as_os_str().is_empty() || file.to_string_lossy().starts_with("file:sqlx-in-memory-");
    (!in_memory && !unnamed).then(|| file.to_path_buf())
}

impl Store {
    /// Connects to `url`: `sqlite://...` or `postgres://...`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable in WAL mode except for the last commits
                // before a power cut; FULL halves write throughput.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            (Db::Sqlite(pool.clone()), Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(32)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await?;
            let relaxed = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.options([("synchronous_commit", "off")]))
                .await?;
            (Db::Postgres(pool), Db::Postgres(relaxed))
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let (db, relaxed) = db;
        Ok(Store {
            db,
            relaxed,
            epoch: Default::default(),
            announcer: ulid::Ulid::new().to_string().into(),
            claims: Default::default(),
            clock: Clock::system(),
        })
    }

    /// The same store over the relaxed pool (see the field).
    pub(crate) fn relaxed(&self) -> Store {
        Store {
            db: self.relaxed.clone(),
            relaxed: self.relaxed.clone(),
            epoch: self.epoch.clone(),
            announcer: self.announcer.clone(),
            claims: self.claims.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Now, on the business clock (see `crate::clock`).
    pub fn now(&self) -> crate::timestamp::Timestamp {
        self.clock.now()
    }

    /// The business clock, for tests and the demo to move.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current configuration epoch (see the field).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn bump_epoch(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this database's folder. Versions applied by
    /// other components sharing the table (a job queue) are tolerated.
    pub async fn migrate(&self) -> StoreResult<()> {
        // apalis keeps its migrations in the same `_sqlx_migrations` table:
        // each migrator ignores the other's versions. (apalis-sqlite's own
        // `setup()` also turns off synchronous writes: never called here.)
        match &self.db {
            Db::Sqlite(pool) => {
                let mut migrator = sqlx::migrate!("../migrations/sqlite");
                migrator.set_ignore_missing(true);
                migrator.run(pool).await?;
                let mut queue = apalis_sqlite::SqliteStorage::<()>::migrations();
                queue.set_ignore_missing(true);
                queue.run(pool).await?;
            }
            Db::Postgres(pool) => {
                let mut migrator = sqlx::migrate!("../migrations/postgres");
                migrator.set_ignore_missing(true);
                migrator.run(pool).await?;
                let mut queue = apalis_postgres::PostgresStorage::migrations();
                queue.set_ignore_missing(true);
                queue.run(pool).await?;
                // The worker polls (server/src/webhooks/job.rs), so apalis'
                // NOTIFY on each job insert is pure cost, and a transaction
                // that has notified takes a global lock to commit: every
                // order queueing deliveries would commit one at a time.
                sqlx::query("DROP TRIGGER IF EXISTS notify_workers ON apalis.jobs")
                    .execute(pool)
                    .await?;
                index_locked_jobs_only(pool).await?;
            }
        }
        Ok(())
    }

    /// Answers when the database does (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
        with_pool!(self.relaxed(), pool => pool.close().await)
    }

    /// The PostgreSQL pool, for components that need one (the job queue).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, for the job queue.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }
}

/// Escapes `%`, `_` and `\` so user input matches literally in LIKE
/// (queries say `ESCAPE '\'`).
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Maps "no row" to `StoreError::NotFound` on fetches that expect one.
pub(crate) trait OptionalExt<T> {
    fn found(self) -> StoreResult<T>;
}

impl<T> OptionalExt<T> for Option<T> {
    fn found(self) -> StoreResult<T> {
        self.ok_or(StoreError::NotFound)
    }
}

/// What a use case says when a row it was asked for is missing:
/// `store.service(id).await.or_not_found("service")` is 404 "service not
/// found" (another reseller's row is missing too, by the scoping of the
/// query); any other store error is an internal fault.
pub trait NotFoundExt<T> {
    fn or_not_found(self, what: &'static str) -> crate::error::AppResult<T>;
}

impl<T> NotFoundExt<T> for StoreResult<T> {
    #[track_caller]
    fn or_not_found(self, what: &'static str) -> crate::error::AppResult<T> {
        match self {
            Ok(value) => Ok(value),
            Err(err) => Err(err.not_found_as(what)),
        }
    }
}

impl StoreError {
    /// See [`NotFoundExt`]: `NotFound` is "`what` not found".
    #[track_caller]
    pub fn not_found_as(self, what: &'static str) -> crate::error::AppError {
        match self {
            StoreError::NotFound => crate::error::AppError::not_found(what),
            other => crate::error::AppError::internal(other),
        }
    }
}

/// Store errors a service did not turn into something more specific: a
/// missing row is "not found", anything else is an internal fault (logged
/// with the location of the `?`, never shown).
impl From<StoreError> for crate::error::AppError {
    #[track_caller]
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => crate::error::AppError::not_found("record"),
            other => crate::error::AppError::internal(other),
        }
    }
}

/// apalis acknowledges finished jobs with a query that filters on `lock_by`
/// and joins on the job ids (its `handle_result.sql`). Its indexes on
/// `lock_by` alone (`lidx`, `idx_apalis_jobs_lock_by`) made PostgreSQL walk
/// every job the worker had ever finished on each acknowledgement (a new
/// worker's name is rare by the statistics): 42 ms per batch after 21,000
/// deliveries, growing with each one, which bounded the drain. Only the
/// queries about jobs still locked need `lock_by` (finding a dead worker's
/// jobs), so the index keeps those alone; acknowledgements then go by
/// primary key. Idempotent; skipped once done (`DROP INDEX` locks the table).
async fn index_locked_jobs_only(pool: &sqlx::PgPool) -> StoreResult<()> {
    let done: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'apalis' AND indexname = 'jobs_locked_by')
            AND NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'apalis'
                            AND indexname IN ('lidx', 'idx_apalis_jobs_lock_by'))",
    )
    .fetch_one(pool)
    .await?;
    if done {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    // Instances starting together: one changes the indexes, the others wait.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('fluxbilling: apalis indexes'))")
        .execute(&mut *tx)
        .await?;
    for statement in [
        "CREATE INDEX IF NOT EXISTS jobs_locked_by ON apalis.jobs (lock_by) WHERE status IN ('Queued', 'Running')",
        "DROP INDEX IF EXISTS apalis.lidx",
        "DROP INDEX IF EXISTS apalis.idx_apalis_jobs_lock_by",
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
