//! Test harness: a fresh database per test, the real application on port 0,
//! and clients that talk to it only over HTTP.
//!
//! `FLUX_TEST_DATABASE=postgres` runs the suite on PostgreSQL (a new
//! database per test, dropped afterwards); anything else runs it on a fresh
//! SQLite file. `.ci/run` runs the suite once per database.

use app::{
    accounts::{User, service as accounts},
    store::Store,
};
use leptos::server_fn::ServerFn;
use server::{config::Config, startup::Application};
use sqlx::Connection;
use std::{path::PathBuf, sync::Once};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("FLUX_TEST_DATABASE").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
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

static TRACING: Once = Once::new();

/// The application, running on port 0 over its own database.
pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub state: app::state::AppState,
    pub api_log: server::partner_api::audit::ApiLog,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Declared last: dropped (database deleted) after the server was told
    // to stop; shared by the instances of a pair (`spawn_pair_with`).
    _db: std::sync::Arc<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `configure` adjusted the default test configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::new().await;
    let mut config = Config::for_database(&db.url);
    config.webhook_allow_private = true;
    configure(&mut config);
    start(std::sync::Arc::new(db), config).await
}

/// Two instances on one database (PostgreSQL: several `fluxbilling serve`
/// behind a load balancer), with the same configuration and secrets key,
/// each on its own port.
pub async fn spawn_pair_with(configure: impl FnOnce(&mut Config)) -> (TestApp, TestApp) {
    let db = std::sync::Arc::new(TestDb::new().await);
    let mut config = Config::for_database(&db.url);
    config.webhook_allow_private = true;
    configure(&mut config);
    let first = start(db.clone(), config.clone()).await;
    let second = start(db, config).await;
    (first, second)
}

async fn start(db: std::sync::Arc<TestDb>, config: Config) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            server::telemetry::init(server::config::LogFormat::Pretty);
        }
    });
    let app = Application::build(config).await.expect("application builds");
    let address = format!("http://{}", app.address());
    let store = app.state().store.clone();
    let state = app.state().clone();
    let api_log = app.api_log().clone();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        store,
        state,
        api_log,
        shutdown: Some(tx),
        server: Some(server),
        _db: db,
    }
}

/// A client that keeps cookies (a browser session) and does not follow
/// redirects, so tests see them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

impl TestApp {
    /// Stops the server gracefully (as on SIGTERM) and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// Tells the server to stop (as SIGTERM does) without waiting: it
    /// drains for the configured time, then finishes.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub fn database_url(&self) -> &str {
        &self._db.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Calls server function `F` as the browser does (form-encoded POST).
    pub async fn call<F: ServerFn>(&self, client: &reqwest::Client, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(F::PATH))
            .form(form)
            .send()
            .await
            .expect("server function reachable")
    }

    pub async fn operator(&self, email: &str) -> User {
        accounts::create_operator(&self.store, self.state.passwords(), "Test Operator", email, PASSWORD)
            .await
            .expect("operator created")
    }

    pub async fn client_account(&self, email: &str) -> User {
        accounts::create_client(&self.store, self.state.passwords(), "Test Client", email, PASSWORD)
            .await
            .expect("client created")
    }

    /// A browser signed in to `panel` ("admin" or "portal").
    pub async fn signed_in(&self, panel: &str, email: &str) -> reqwest::Client {
        let client = browser();
        let response = self
            .call::<app::accounts::server_fns::SignIn>(
                &client,
                &[("panel", panel), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "sign-in failed: {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        client
    }
}

/// Reads a failed server function's `AppError` body: (status, code).
pub async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("JSON error body");
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// An admin API client holding a fresh admin token.
pub struct Admin {
    pub base: String,
    pub token: String,
    client: reqwest::Client,
}

impl TestApp {
    pub async fn admin(&self) -> Admin {
        let issued = accounts::create_admin_token(&self.store, &app::audit::Actor::cli(), "tests")
            .await
            .expect("admin token");
        Admin {
            base: self.url("/api/admin/v1"),
            token: issued.secret,
            client: reqwest::Client::new(),
        }
    }
}

impl Admin {
    /// A client of the admin API at `base` (…/api/admin/v1) with `token`.
    pub fn new(base: String, token: String) -> Self {
        Admin {
            base,
            token,
            client: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("admin API reachable");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// Creates a product with the given retail monthly and hourly prices.
    pub async fn product(&self, slug: &str, monthly: Option<&str>, hourly: Option<&str>) -> String {
        let (status, body) = self
            .post(
                "/products",
                serde_json::json!({
                    "name": format!("Product {slug}"),
                    "slug": slug,
                    "kind": "vps",
                    "retail_monthly": monthly,
                    "retail_hourly": hourly,
                    "retail_setup_fee": "5.00",
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Invites a reseller and moves it to `status` through allowed steps.
    pub async fn reseller(&self, email: &str, status: &str) -> String {
        let (code, body) = self
            .post(
                "/resellers",
                serde_json::json!({ "email": email, "company_name": format!("Co {email}") }),
            )
            .await;
        assert_eq!(code, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let steps: &[&str] = match status {
            "pending" => &[],
            "active" => &["approve"],
            "suspended" => &["approve", "suspend"],
            "terminated" => &["terminate"],
            other => panic!("unknown status {other}"),
        };
        for step in steps {
            let (code, body) = self
                .post(
                    &format!("/resellers/{id}/{step}"),
                    serde_json::json!({ "reason": "test setup" }),
                )
                .await;
            assert_eq!(code, 200, "{step}: {body}");
        }
        id
    }
}

/// A partner's software: an API key and the webhook secret to sign with.
pub struct PartnerClient {
    pub base: String,
    pub key: String,
    pub secret: Vec<u8>,
    pub reseller_id: String,
    client: reqwest::Client,
}

pub struct PartnerResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl PartnerResponse {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Admin {
    /// An active reseller with a webhook secret and an API key of `scope`.
    pub async fn partner(&self, app: &TestApp, email: &str, scope: &str) -> PartnerClient {
        let reseller_id = self.reseller(email, "active").await;
        self.partner_for(app, &reseller_id, scope).await
    }

    /// A key of `scope` (and a webhook secret) for an existing reseller.
    pub async fn partner_for(&self, app: &TestApp, reseller_id: &str, scope: &str) -> PartnerClient {
        self.partner_at(&app.url(""), reseller_id, scope).await
    }

    /// The same, for a server at `base` (`http://host:port`).
    pub async fn partner_at(&self, base: &str, reseller_id: &str, scope: &str) -> PartnerClient {
        let (status, webhook) = self
            .put(
                &format!("/resellers/{reseller_id}/webhook"),
                serde_json::json!({ "url": "http://127.0.0.1:9/hooks" }),
            )
            .await;
        assert_eq!(status, 200, "{webhook}");
        let secret = webhook["secret"].as_str().unwrap().to_owned();
        let (status, key) = self
            .post(
                &format!("/resellers/{reseller_id}/api-keys"),
                serde_json::json!({ "scope": scope }),
            )
            .await;
        assert_eq!(status, 201, "{key}");
        use base64::Engine;
        PartnerClient {
            base: base.to_owned(),
            key: key["key"].as_str().unwrap().to_owned(),
            secret: base64::engine::general_purpose::STANDARD
                .decode(secret.trim_start_matches("whsec_"))
                .unwrap(),
            reseller_id: reseller_id.to_owned(),
            client: reqwest::Client::new(),
        }
    }
}

impl PartnerClient {
    pub fn new(base: String, key: String, secret: Vec<u8>, reseller_id: String) -> Self {
        PartnerClient {
            base,
            key,
            secret,
            reseller_id,
            client: reqwest::Client::new(),
        }
    }

    pub fn with_key(&self, key: &str) -> PartnerClient {
        PartnerClient {
            base: self.base.clone(),
            key: key.to_owned(),
            secret: self.secret.clone(),
            reseller_id: self.reseller_id.clone(),
            client: self.client.clone(),
        }
    }

    pub fn signature(&self, timestamp: i64, method: &str, path: &str, body: &str) -> String {
        format!(
            "v1={}",
            server::partner_api::signature::sign(&self.secret, timestamp, method, path, body.as_bytes())
        )
    }

    /// Sends `method path` with `body`, signed unless `signed` is false,
    /// plus `headers`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        signed: bool,
        headers: &[(&str, String)],
    ) -> PartnerResponse {
        let full = format!("/api/v1{path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method.clone(), format!("{}{full}", self.base))
            .bearer_auth(&self.key);
        let body = body.unwrap_or("");
        if signed {
            let ts = time::OffsetDateTime::now_utc().unix_timestamp();
            request = request
                .header("Flux-Timestamp", ts.to_string())
                .header("Flux-Signature", self.signature(ts, method.as_str(), &full, body));
        }
        if !body.is_empty() {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("partner API reachable");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        PartnerResponse { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> PartnerResponse {
        self.send("GET", path, None, false, &[]).await
    }

    /// A signed order with a fresh idempotency key.
    pub async fn order(&self, body: &serde_json::Value) -> PartnerResponse {
        let key = ulid::Ulid::new().to_string();
        self.order_with_key(body, &key).await
    }

    pub async fn order_with_key(&self, body: &serde_json::Value, idempotency_key: &str) -> PartnerResponse {
        self.send(
            "POST",
            "/orders",
            Some(&body.to_string()),
            true,
            &[("Idempotency-Key", idempotency_key.to_owned())],
        )
        .await
    }
}

/// An order body for `product` on `term`.
pub fn order_body(external_id: &str, product: &str, term: &str, quantity: u32) -> serde_json::Value {
    serde_json::json!({
        "customer": { "external_id": external_id, "name": "End Customer", "email": "end@example.com" },
        "lines": [{ "product_id": product, "term": term, "quantity": quantity }]
    })
}

/// `secret` with its last character changed (never equal to the original).
pub fn tamper(secret: &str) -> String {
    let last = secret.chars().last().unwrap_or('a');
    let replacement = if last == 'A' { 'B' } else { 'A' };
    format!("{}{replacement}", &secret[..secret.len() - last.len_utf8()])
}

/// A webhook receiver: records every request and answers with the next
/// scripted status (200 once the script is used up), or never answers
/// while hanging.
pub struct Receiver {
    pub url: String,
    rx: tokio::sync::mpsc::UnboundedReceiver<Received>,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    hang: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: String,
    pub at: std::time::Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON webhook body")
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};
        use std::sync::{Arc, Mutex, atomic::AtomicBool};
        type Shared = (
            tokio::sync::mpsc::UnboundedSender<Received>,
            Arc<Mutex<std::collections::VecDeque<u16>>>,
            Arc<AtomicBool>,
        );
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let script = Arc::new(Mutex::new(std::collections::VecDeque::new()));
        let hang = Arc::new(AtomicBool::new(false));
        async fn hook(
            State((tx, script, hang)): State<Shared>,
            headers: HeaderMap,
            body: Bytes,
        ) -> (axum::http::StatusCode, String) {
            let _ = tx.send(Received {
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                at: std::time::Instant::now(),
            });
            if hang.load(std::sync::atomic::Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            let status = script.lock().unwrap().pop_front().unwrap_or(200);
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                format!("receiver says {status}"),
            )
        }
        let app = axum::Router::new()
            .route("/hooks", post(hook))
            .with_state((tx, script.clone(), hang.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, rx, script, hang }
    }

    /// The next statuses to answer with, in order.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses.iter().copied());
    }

    pub fn hang(&self, hang: bool) {
        self.hang.store(hang, std::sync::atomic::Ordering::SeqCst);
    }

    /// The next request, waiting at most `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Option<Received> {
        tokio::time::timeout(std::time::Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Collects requests until `n` arrived or `secs` passed.
    pub async fn collect(&mut self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        let mut got = Vec::new();
        while got.len() < n {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(r)) => got.push(r),
                _ => break,
            }
        }
        got
    }

    /// Nothing has arrived that was not taken yet. Tests call it once the
    /// database says nothing is left to send (waiting on state, not on a
    /// clock).
    pub fn nothing_more(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}

impl TestApp {
    /// A signed-in client whose application was approved: its browser and
    /// reseller id.
    pub async fn active_client(&self, email: &str) -> (reqwest::Client, String) {
        self.client_account(email).await;
        let client = self.signed_in("portal", email).await;
        let response = self
            .call::<app::resellers::server_fns::ApplyToProgram>(&client, &[("company_name", email)])
            .await;
        let status = response.status();
        let applied: serde_json::Value = response.json().await.expect("JSON");
        assert!(status.is_success(), "{status}: {applied}");
        let id = applied["id"].as_str().unwrap().to_owned();
        let (status, body) = self
            .admin()
            .await
            .post(&format!("/resellers/{id}/approve"), serde_json::json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        (client, id)
    }
}

/// The `fluxbilling` binary serving in a process of its own (for kill -9
/// and environment tests), on a free port, over `db`.
pub struct ServerProcess {
    pub base: String,
    child: std::process::Child,
    port: u16,
    env: Vec<(String, String)>,
}

/// A fixed secrets key for server processes (restarts must open what the
/// first run sealed).
pub const PROCESS_SECRETS_KEY: &str = "q2hGi2G0CzMPn4GYSqk5mWDXeFC3sWkGk+8KmEbAxJg=";

impl ServerProcess {
    /// The environment every run of the binary gets, then `extra`.
    fn command(db: &TestDb, extra: &[(String, String)]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fluxbilling"));
        command
            .env("DATABASE_URL", &db.url)
            .env("FLUX_SECRETS_KEY", PROCESS_SECRETS_KEY)
            .env("FLUX_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("FLUX_WORKER_HEARTBEAT_SECS", "1")
            .env("FLUX_WEBHOOK_RETRY_SCHEDULE", "1,1,1,1,1")
            .env("RUST_LOG", "warn");
        for (k, v) in extra {
            command.env(k, v);
        }
        command
    }

    /// An admin token for `db`, made by the binary.
    pub fn admin_token(db: &TestDb) -> String {
        let out = Self::command(db, &[])
            .args(["admin-token", "create", "--name", "process"])
            .output()
            .expect("binary runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("a token")
            .trim()
            .to_owned()
    }

    /// Starts `serve` and waits until it answers.
    pub async fn start(db: &TestDb, extra: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let child = Self::spawn(db, port, &env);
        let server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            port,
            env,
        };
        server.wait_up().await;
        server
    }

    fn spawn(db: &TestDb, port: u16, env: &[(String, String)]) -> std::process::Child {
        Self::command(db, env)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server starts")
    }

    async fn wait_up(&self) {
        let health = format!("{}/healthz", self.base);
        eventually(30, || async {
            reqwest::get(&health).await.ok().filter(|r| r.status().is_success())
        })
        .await
        .expect("server up");
    }

    /// SIGKILL: no graceful anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts again on the same port and database, after a kill.
    pub async fn restart(&mut self, db: &TestDb) {
        self.kill();
        self.child = Self::spawn(db, self.port, &self.env);
        self.wait_up().await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `sql` with one bound timestamp on the test's own database, as
/// another instance (or the passage of time) would change it.
pub async fn execute_at(store: &Store, sql: &str, at: app::timestamp::Timestamp) -> u64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(pool) = store.postgres_pool() {
        sqlx::query(sql)
            .bind(at)
            .execute(pool)
            .await
            .expect("SQL runs")
            .rows_affected()
    } else {
        let pool = store.sqlite_pool().expect("a SQLite or PostgreSQL store");
        sqlx::query(sql)
            .bind(at)
            .execute(pool)
            .await
            .expect("SQL runs")
            .rows_affected()
    }
}

/// Runs `sql` on the test's own database.
pub async fn execute(store: &Store, sql: &str) -> u64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(pool) = store.postgres_pool() {
        sqlx::query(sql).execute(pool).await.expect("SQL runs").rows_affected()
    } else {
        let pool = store.sqlite_pool().expect("a SQLite or PostgreSQL store");
        sqlx::query(sql).execute(pool).await.expect("SQL runs").rows_affected()
    }
}

/// Counts the rows `sql` (a `SELECT COUNT(*) ...`) finds.
pub async fn count(store: &Store, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if let Some(pool) = store.postgres_pool() {
        sqlx::query_scalar(sql).fetch_one(pool).await.expect("SQL runs")
    } else {
        let pool = store.sqlite_pool().expect("a SQLite or PostgreSQL store");
        sqlx::query_scalar(sql).fetch_one(pool).await.expect("SQL runs")
    }
}

/// Polls `check` until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
