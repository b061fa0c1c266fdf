//! A database of each test's own, on the backend the run names.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    // A misspelt backend must not silently run the suite on SQLite.
    match std::env::var("FLUX_TEST_DATABASE").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("FLUX_TEST_DATABASE={other:?}: use `sqlite` or `postgres`"),
    }
}

/// Stops a test asked for on SQLite: it would prove nothing there. Such
/// tests are `#[ignore = "PostgreSQL only"]`: `scripts/test` runs them on
/// PostgreSQL with `--include-ignored`, so on SQLite they report as
/// ignored instead of passing without having run.
pub fn require_postgres() {
    assert_eq!(
        backend(),
        Backend::Postgres,
        "PostgreSQL only: run with FLUX_TEST_DATABASE=postgres"
    );
}

fn postgres_admin_url() -> String {
    std::env::var("FLUX_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    sqlite_file: Option<PathBuf>,
    postgres_name: Option<String>,
}

impl TestDb {
    pub async fn new() -> Self {
        // Every test makes reqwest clients (rustls without a built-in
        // provider); a test whose server is another process would otherwise
        // depend on some other test having built a webhook client first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let unique = ulid::Ulid::new().to_string().to_lowercase();
        match backend() {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!("fluxbilling-test-{unique}.db"));
                TestDb {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    sqlite_file: Some(file),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                // The run id groups a run's databases so CI can sweep any a
                // crashed test left behind.
                let run = std::env::var("FLUX_TEST_RUN_ID").unwrap_or_else(|_| "local".to_owned());
                let name = format!("flux_t_{run}_{unique}");
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL reachable at FLUX_TEST_POSTGRES_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_owned();
                TestDb {
                    url: format!("{base}/{name}"),
                    sqlite_file: None,
                    postgres_name: Some(name),
                }
            }
        }
    }
}

impl TestDb {
    /// A secrets key file of this database's own (created on first use).
    pub fn key_file(&self) -> PathBuf {
        let name = self
            .url
            .rsplit(['/', '?'])
            .find(|part| !part.is_empty() && !part.starts_with("mode="))
            .unwrap_or("db")
            .to_owned();
        std::env::temp_dir().join(format!("{name}.key"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.key_file());
        if let Some(file) = self.sqlite_file.take() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Some(name) = self.postgres_name.take() {
            // Drop runs outside async context: use a private runtime on a
            // thread of its own.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await
                    .ok()
                })
            })
            .join();
        }
    }
}
