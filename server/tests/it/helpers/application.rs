//! The application on port 0 over its own database, browsers and
//! server function calls.

use super::*;

pub const PASSWORD: &str = "correct horse battery";

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
    let mut config = test_config(&db.url);
    configure(&mut config);
    start(std::sync::Arc::new(db), config).await
}

/// Two instances on one database (PostgreSQL: several `fluxbilling serve`
/// behind a load balancer), with the same configuration and secrets key,
/// each on its own port.
pub async fn spawn_pair_with(configure: impl FnOnce(&mut Config)) -> (TestApp, TestApp) {
    let db = std::sync::Arc::new(TestDb::new().await);
    let mut config = test_config(&db.url);
    configure(&mut config);
    let first = start(db.clone(), config.clone()).await;
    let second = start(db, config).await;
    (first, second)
}

/// The test configuration: private webhook targets allowed, and the
/// housekeeping pass (renewals, closing statements, purges) only at start.
/// Tests run those passes themselves; a pass of the server's own at its
/// next tick could hold a due service (PostgreSQL's `SKIP LOCKED` lets the
/// test's pass skip it) or close a month first, and the test would read
/// before it commits (two flakes in fresh-clone runs). A test of the
/// housekeeping itself sets `housekeeping_every`.
fn test_config(url: &str) -> Config {
    let mut config = Config::for_database(url);
    config.webhook_allow_private = true;
    config.housekeeping_every = std::time::Duration::from_secs(24 * 3600);
    config
}

async fn start(db: std::sync::Arc<TestDb>, config: Config) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            server::telemetry::init(server::config::LogFormat::Pretty);
        }
    });
    let scrapable = config.metrics_token.is_none();
    let app = Application::build(config).await.expect("application builds");
    let address = format!("http://{}", app.address());
    let store = app.state().store.clone();
    let state = app.state().clone();
    let api_log = app.api_log().clone();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let app = TestApp {
        address,
        store,
        state,
        api_log,
        shutdown: Some(tx),
        server: Some(server),
        _db: db,
    };
    if backend() == Backend::Postgres && scrapable {
        // The change listener's first subscription drops every cache (what
        // was cached before it listened may be stale). Tests that count
        // cache hits start after it, not racing it.
        let subscribed = "fluxbilling_change_signals_total{outcome=\"reconnected\"}";
        eventually(10, || async { (metric(&app, subscribed).await >= 1.0).then_some(()) })
            .await
            .expect("the change listener subscribes");
    }
    app
}

/// For tests that read the day or the month: from 22:00 UTC on, runs the
/// business `clock` two hours behind, so the day (and month) the test reads
/// is the one the server stamps to the end of the test, even one started a
/// moment before midnight. Returns now by that clock. Such tests go back
/// to it with this call rather than `reset`.
pub fn clear_of_midnight(clock: &app::clock::Clock) -> app::timestamp::Timestamp {
    let now = app::timestamp::Timestamp::now();
    let second_of_day = (now.unix_micros() / 1_000_000).rem_euclid(86_400);
    clock.reset();
    if second_of_day >= 22 * 3600 {
        clock.set(now.minus(time::Duration::hours(2)));
    }
    clock.now()
}

/// The value of one sample of `/metrics` (0 when absent).
pub async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
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

impl TestApp {
    /// Renewal passes at `at` until nothing is due then. A pass skips a
    /// service whose row another transaction holds (a provisioning step of
    /// the worker; PostgreSQL's `SKIP LOCKED`), as the server's next pass
    /// would renew it: a test waits for that outcome, not for one pass.
    pub async fn renew_all(&self, at: app::timestamp::Timestamp) {
        const DUE: &str = "SELECT COUNT(*) FROM services
            WHERE (status = 'active' AND next_renewal_at <= $1) OR (cancel_at <= $1 AND status <> 'terminated')";
        let settled = super::eventually(30, || async {
            app::services::service::renew_due(&self.store, at)
                .await
                .expect("renewals run");
            (super::count_at(&self.store, DUE, at).await == 0).then_some(())
        })
        .await;
        assert!(settled.is_some(), "services still due after 30 s of renewal passes");
    }

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

/// A server-rendered page. Leptos 0.8 now and then leaves a page's
/// response open until the request timeout ends it with a 408 (a
/// `Suspense` that never sees its tasks finish: leptos-rs/leptos#4851 and
/// #4866; docs/ARCHITECTURE.md, "Pages and resources"). That defect is
/// the framework's and open; a test of what a page shows asks once more
/// after a 408 and says so, so it checks the page, not the framework's
/// race. Any other status is returned as it came.
pub async fn get_page(request: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
    let response = request().send().await.unwrap();
    if response.status() != reqwest::StatusCode::REQUEST_TIMEOUT {
        return response;
    }
    eprintln!("a page timed out (408) once; asking again");
    request().send().await.unwrap()
}
