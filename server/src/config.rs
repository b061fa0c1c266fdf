//! Command line and configuration: flags with environment fall-backs, parsed
//! and validated once (DESIGN.md "Running it"; the README has the table).

use anyhow::{Context, bail};
use app::{money::Currency, secrets::SecretsKey};
use clap::{Args, Parser, Subcommand, ValueEnum, builder::BoolishValueParser};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://fluxbilling.db?mode=rwc";

/// Where the built site is unless `LEPTOS_SITE_ROOT` says otherwise at run
/// time. Set at build time (`scripts/lib.sh` sets it to the checkout's
/// `target/site`, where `cargo xtask site` builds; cargo-leptos does the
/// same), so the binary finds its site from any working directory;
/// otherwise `target/site` under the working directory.
pub const DEFAULT_SITE_ROOT: &str = match option_env!("LEPTOS_SITE_ROOT") {
    Some(root) => root,
    None => "target/site",
};

#[derive(Debug, Parser)]
#[command(
    name = "fluxbilling",
    version,
    about = "FluxBilling reseller program: web server, partner API, admin API and webhook workers.",
    long_about = None
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Database to use: a `sqlite://` file (created if missing) or a `postgres://` URL.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, global = true, env = "FLUX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (admin panel, portal, partner and admin APIs) and
    /// the webhook workers in one process. Applies migrations first.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage operator accounts.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Manage admin API tokens.
    AdminToken {
        #[command(subcommand)]
        command: AdminTokenCommand,
    },
    /// Seed realistic demo data (an operator, products, clients) and print
    /// how to sign in. Takes `serve`'s settings: the same secrets key and
    /// order rules apply.
    Demo(ServeArgs),
    /// Run only the webhook delivery worker and the renewal job (for a
    /// deployment that serves HTTP elsewhere with `serve --no-worker`).
    Worker(ServeArgs),
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator. The password is asked for on a terminal, or read
    /// from the first line of standard input when it is not a terminal.
    Create {
        /// The operator's email address (their sign-in name).
        #[arg(long)]
        email: String,
        /// Display name (defaults to the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Create a token for the admin API. Prints it once, alone on the last
    /// line of standard output; only its hash is stored.
    Create {
        /// What the token is for (shown in the audit log), e.g. `ci`.
        #[arg(long)]
        name: String,
    },
    /// Revoke a token by its prefix (`flux_admin_XXXXXXXX`).
    Revoke {
        #[arg(long)]
        prefix: String,
    },
    /// List tokens (prefixes only).
    List,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, env = "FLUX_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Public base URL people use to reach the server; `https://...` marks
    /// session cookies Secure. Defaults to `http://<addr>`.
    #[arg(long, env = "FLUX_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Length of the partner API rate-limit window, in seconds.
    #[arg(long, env = "FLUX_RATE_LIMIT_WINDOW_SECS", default_value_t = 60)]
    pub rate_limit_window_secs: u64,

    /// Webhook retry delays in seconds, comma-separated (jitter is added).
    #[arg(
        long,
        env = "FLUX_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5,300,1800,7200,18000,36000,36000"
    )]
    pub webhook_retry_schedule: String,

    /// Allow webhook URLs that resolve to loopback, private or link-local
    /// addresses, and plain http:// ones (tests and local development only).
    #[arg(long, env = "FLUX_WEBHOOK_ALLOW_PRIVATE", default_value = "false", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: bool,

    /// Seconds one webhook attempt may take before it counts as failed.
    #[arg(long, env = "FLUX_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    pub webhook_timeout_secs: u64,

    /// Seconds a provisioning endpoint may take to answer before the
    /// attempt counts as failed (and is retried).
    #[arg(long, env = "FLUX_PROVISIONING_TIMEOUT_SECS", default_value_t = 30)]
    pub provisioning_timeout_secs: u64,

    /// Webhook attempts in flight at once per worker.
    #[arg(long, env = "FLUX_WEBHOOK_CONCURRENCY", default_value_t = 64)]
    pub webhook_concurrency: usize,

    /// Worker heartbeat in seconds; a worker silent for 3 heartbeats is
    /// presumed dead and its deliveries are queued again.
    #[arg(long, env = "FLUX_WORKER_HEARTBEAT_SECS", default_value_t = 5)]
    pub worker_heartbeat_secs: u64,

    /// Serve without the webhook worker and renewals (run `fluxbilling
    /// worker` beside it instead).
    #[arg(long, env = "FLUX_NO_WORKER", default_value = "false", value_parser = BoolishValueParser::new(), action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub no_worker: bool,

    /// Days the partner API log, webhook attempts and finished deliveries
    /// are kept; the hourly sweep purges older ones.
    #[arg(long, env = "FLUX_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retention_days: u32,

    /// Days after a month's end its statement stays open: a payment may be
    /// dated in it until then; after, the statement is final.
    #[arg(long, env = "FLUX_STATEMENT_GRACE_DAYS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=27))]
    pub statement_grace_days: u32,

    /// What a cancellation `immediately` gives back: `prorated` (the
    /// unused part of the period, to the second) or `none`.
    #[arg(long, env = "FLUX_CANCEL_REFUND", default_value = "prorated", value_parser = ["prorated", "none"])]
    pub cancel_refund: String,

    /// Days' notice a price rise for services already sold needs: a
    /// version raising their prices takes effect at least this far ahead.
    #[arg(long, env = "FLUX_PRICE_NOTICE_DAYS", default_value_t = app::price_book::versions::DEFAULT_NOTICE_DAYS, value_parser = clap::value_parser!(u32).range(0..=365))]
    pub price_notice_days: u32,

    /// Units (services) one order may create in all its lines.
    #[arg(long, env = "FLUX_MAX_UNITS_PER_ORDER", default_value_t = app::orders::DEFAULT_MAX_UNITS_PER_ORDER, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_units_per_order: u32,

    /// Minutes of inactivity after which a panel session ends (sessions
    /// end after 14 days in any case).
    #[arg(long, env = "FLUX_SESSION_IDLE_MINUTES", default_value_t = 720, value_parser = clap::value_parser!(u32).range(1..=20_160))]
    pub session_idle_minutes: u32,

    /// Registrations (new client accounts) per client address per hour.
    #[arg(long, env = "FLUX_REGISTRATIONS_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub registrations_per_hour: u32,

    /// Failed partner API authentications (no key, unknown or revoked key)
    /// per client address per minute; beyond it, 429 without a look-up.
    #[arg(long, env = "FLUX_AUTH_FAILURES_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_failures_per_minute: u32,

    /// Seconds a client may take to send a request's headers (also how
    /// long an HTTP/1 connection waits for the next request's first bytes).
    #[arg(long, env = "FLUX_HTTP_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_header_timeout_secs: u64,

    /// Seconds one request may take, body and answer included (408 after).
    #[arg(long, env = "FLUX_HTTP_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_request_timeout_secs: u64,

    /// Seconds a connection may stay open without any traffic.
    #[arg(long, env = "FLUX_HTTP_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub http_idle_timeout_secs: u64,

    /// Open connections served at once; beyond it, new ones get 503.
    #[arg(long, env = "FLUX_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,

    /// Seconds in-flight requests get to finish on SIGTERM before the
    /// server closes their connections (the API log is flushed after).
    #[arg(long, env = "FLUX_SHUTDOWN_GRACE_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,

    /// Seconds `/readyz` answers 503 on SIGTERM before the server stops
    /// accepting connections, while it still serves: long enough for a
    /// load balancer's health check to take the instance out of rotation.
    #[arg(long, env = "FLUX_DRAIN_SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub drain_secs: u64,

    /// Proxies (load balancers) whose `X-Forwarded-For` names the client,
    /// as addresses or networks, comma-separated (`10.0.0.0/8,127.0.0.1`).
    /// Per-address throttles and the API log then see the client instead of
    /// the proxy. Unset: the TCP peer is the client.
    #[arg(long, env = "FLUX_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Bearer token `/metrics` requires (`Authorization: Bearer <token>`);
    /// unset, `/metrics` is open (keep it off the public listener then).
    #[arg(long, env = "FLUX_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// The installation's currency (ISO 4217); every amount is in it.
    #[arg(long, env = "FLUX_CURRENCY", default_value = "EUR")]
    pub currency: String,

    /// File holding the key that seals webhook secrets at rest (created,
    /// mode 0600, if missing). Default on SQLite: `fluxbilling.key` in the
    /// database file's folder; on PostgreSQL there is none: set this or
    /// FLUX_SECRETS_KEY. Keep it out of database backups.
    #[arg(long, env = "FLUX_SECRETS_KEY_FILE")]
    pub secrets_key_file: Option<PathBuf>,

    /// The secrets key itself (base64, 32 bytes); wins over the file.
    #[arg(long, env = "FLUX_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,

    /// Where the compiled site (wasm, js, css) is: what `cargo xtask site` built.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = DEFAULT_SITE_ROOT)]
    pub site_root: PathBuf,
}

/// Validated settings for `serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub public_url: String,
    pub rate_limit_window: Duration,
    pub webhook_retry_schedule: Vec<Duration>,
    pub webhook_allow_private: bool,
    pub currency: Currency,
    pub site_root: PathBuf,
    /// Where the key is read from (and made on the first run); `None` on
    /// PostgreSQL unless configured (see [`default_secrets_key_file`]).
    pub secrets_key_file: Option<PathBuf>,
    /// Given directly (flag, environment or tests); else read from the file.
    pub secrets_key: Option<SecretsKey>,
    pub webhook_timeout: Duration,
    pub provisioning_timeout: Duration,
    pub webhook_concurrency: usize,
    pub worker_heartbeat: Duration,
    pub run_worker: bool,
    pub retention: Duration,
    pub statement_grace_days: u32,
    pub max_units_per_order: u32,
    pub cancel_refund: app::changes::CancelRefund,
    pub price_notice_days: u32,
    pub session_idle: Duration,
    pub registrations_per_hour: u32,
    pub auth_failures_per_minute: u32,
    /// Not a flag: tests on a busy machine wait longer.
    pub password_hash_wait: Duration,
    /// Not a flag: how often renewals are due-checked (tests shorten it).
    pub housekeeping_every: Duration,
    pub drain: Duration,
    pub metrics_token: Option<String>,
    pub trusted_proxies: app::net::TrustedProxies,
    pub http: HttpLimits,
}

/// How the HTTP server protects itself from slow or greedy clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Config {
    pub fn from_args(global: &GlobalArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        if serve.rate_limit_window_secs == 0 {
            bail!("FLUX_RATE_LIMIT_WINDOW_SECS must be at least 1");
        }
        let currency = Currency::parse(&serve.currency).map_err(anyhow::Error::msg)?;
        let public_url = serve
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", serve.addr))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("FLUX_PUBLIC_URL must start with http:// or https://");
        }
        Ok(Config {
            database_url: global.database_url.clone(),
            addr: serve.addr,
            public_url,
            rate_limit_window: Duration::from_secs(serve.rate_limit_window_secs),
            webhook_retry_schedule: parse_schedule(&serve.webhook_retry_schedule)?,
            webhook_allow_private: serve.webhook_allow_private,
            currency,
            site_root: serve.site_root.clone(),
            secrets_key_file: serve
                .secrets_key_file
                .clone()
                .or_else(|| default_secrets_key_file(&global.database_url)),
            webhook_timeout: Duration::from_secs(serve.webhook_timeout_secs.max(1)),
            provisioning_timeout: Duration::from_secs(serve.provisioning_timeout_secs.max(1)),
            webhook_concurrency: serve.webhook_concurrency.max(1),
            worker_heartbeat: Duration::from_secs(serve.worker_heartbeat_secs.max(1)),
            run_worker: !serve.no_worker,
            retention: Duration::from_secs(u64::from(serve.retention_days) * 86_400),
            statement_grace_days: serve.statement_grace_days,
            max_units_per_order: serve.max_units_per_order,
            cancel_refund: serve
                .cancel_refund
                .parse()
                .unwrap_or(app::changes::CancelRefund::Prorated),
            price_notice_days: serve.price_notice_days,
            session_idle: Duration::from_secs(u64::from(serve.session_idle_minutes) * 60),
            registrations_per_hour: serve.registrations_per_hour,
            auth_failures_per_minute: serve.auth_failures_per_minute,
            password_hash_wait: Duration::from_secs(2),
            housekeeping_every: Duration::from_secs(60),
            drain: Duration::from_secs(serve.drain_secs),
            metrics_token: serve.metrics_token.clone().filter(|t| !t.trim().is_empty()),
            trusted_proxies: app::net::TrustedProxies::parse(&serve.trusted_proxies)
                .map_err(|why| anyhow::anyhow!("FLUX_TRUSTED_PROXIES: {why}"))?,
            http: HttpLimits {
                header_timeout: Duration::from_secs(serve.http_header_timeout_secs),
                request_timeout: Duration::from_secs(serve.http_request_timeout_secs),
                idle_timeout: Duration::from_secs(serve.http_idle_timeout_secs),
                max_connections: serve.max_connections as usize,
                shutdown_grace: Duration::from_secs(serve.shutdown_grace_secs),
            },
            secrets_key: match &serve.secrets_key {
                Some(text) => Some(
                    SecretsKey::from_base64(text)
                        .ok_or_else(|| anyhow::anyhow!("FLUX_SECRETS_KEY must be 32 bytes in base64"))?,
                ),
                None => None,
            },
        })
    }

    /// Settings for tests and tools: defaults, the given database, port 0.
    pub fn for_database(database_url: &str) -> Self {
        let cli = Cli::parse_from(["fluxbilling", "serve", "--addr", "127.0.0.1:0"]);
        let Command::Serve(serve) = cli.command else {
            unreachable!("parsed a serve command")
        };
        let global = GlobalArgs {
            database_url: database_url.to_owned(),
            log_format: LogFormat::Pretty,
        };
        let mut config = Config::from_args(&global, &serve).expect("default configuration is valid");
        config.secrets_key = Some(SecretsKey::random());
        config
    }

    /// The secrets key: given, or read from its file, created on the first
    /// run. Refuses to start when the database holds values sealed with a
    /// key that is not the one found (or that is missing): a new key would
    /// silently make every webhook secret and provisioning setting
    /// unreadable.
    pub async fn load_secrets_key(&self, store: &app::store::Store) -> anyhow::Result<SecretsKey> {
        let sealed = store.any_sealed_secret().await.context("looking for sealed secrets")?;
        let file = self.secrets_key_file.as_deref();
        let key = match (&self.secrets_key, file) {
            (Some(key), _) => key.clone(),
            (None, None) => bail!(
                "the secrets key has no default place on PostgreSQL (no database file to keep it beside): \
                 set FLUX_SECRETS_KEY_FILE to a file every instance reads (it is created on the first run), \
                 or pass the key itself as FLUX_SECRETS_KEY"
            ),
            (None, Some(file)) if sealed.is_some() && !file.exists() => bail!(
                "the database holds secrets sealed with a key, but the secrets key file {} is missing: \
                 restore it (or pass the key as FLUX_SECRETS_KEY); a new key could not open them \
                 (before this version the default file was fluxbilling.key in the directory the server \
                 started in)",
                file.display()
            ),
            (None, Some(file)) => SecretsKey::load_or_create(file)
                .with_context(|| format!("reading the secrets key {}", file.display()))?,
        };
        if let Some(sealed) = sealed
            && key.open(&sealed).is_err()
        {
            let file = file.map_or_else(|| "no file".to_owned(), |f| f.display().to_string());
            bail!(
                "the secrets key (FLUX_SECRETS_KEY or {file}) does not open the secrets this database holds: \
                 is it the key this database was used with?"
            );
        }
        Ok(key)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn app_settings(&self, secrets_key: SecretsKey) -> app::state::Settings {
        app::state::Settings {
            currency: self.currency.clone(),
            secure_cookies: self.secure_cookies(),
            public_url: self.public_url.clone(),
            rate_limit_window_secs: self.rate_limit_window.as_secs(),
            webhook_allow_private: self.webhook_allow_private,
            secrets_key,
            max_units_per_order: self.max_units_per_order,
            statement_grace_days: self.statement_grace_days,
            cancel_refund: self.cancel_refund,
            price_notice_days: self.price_notice_days,
            session_idle: time::Duration::try_from(self.session_idle).unwrap_or(time::Duration::hours(12)),
            registrations_per_hour: self.registrations_per_hour,
            auth_failures_per_minute: self.auth_failures_per_minute,
            password_hash_wait: self.password_hash_wait,
        }
    }
}

/// Where the secrets key is kept unless configured: `fluxbilling.key`
/// beside the SQLite database file (so it does not depend on the directory
/// the server starts in, and goes wherever the database goes). `None` for
/// PostgreSQL and in-memory SQLite: no file to keep it beside.
pub fn default_secrets_key_file(database_url: &str) -> Option<PathBuf> {
    let database = app::store::sqlite_file(database_url)?;
    Some(database.with_file_name("fluxbilling.key"))
}

/// `"5,300,1800"` -> delays; refuses empty lists and non-numbers.
pub fn parse_schedule(raw: &str) -> anyhow::Result<Vec<Duration>> {
    let delays = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u64>()
                .map(Duration::from_secs)
                .with_context(|| format!("FLUX_WEBHOOK_RETRY_SCHEDULE: `{s}` is not a number of seconds"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if delays.is_empty() {
        bail!("FLUX_WEBHOOK_RETRY_SCHEDULE needs at least one delay");
    }
    Ok(delays)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_design() {
        let config = Config::for_database(DEFAULT_DATABASE_URL);
        assert_eq!(config.rate_limit_window, Duration::from_secs(60));
        assert_eq!(config.webhook_retry_schedule.len(), 7);
        assert_eq!(config.webhook_retry_schedule[0], Duration::from_secs(5));
        assert!(!config.webhook_allow_private);
        assert_eq!(config.currency.code(), "EUR");
        assert!(!config.secure_cookies());
    }

    #[test]
    fn the_secrets_key_is_kept_beside_the_sqlite_database() {
        let place = |url: &str| default_secrets_key_file(url);
        assert_eq!(
            place("sqlite:///var/lib/flux/billing.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/flux/fluxbilling.key"))
        );
        assert_eq!(
            place("sqlite://data/billing.db"),
            Some(PathBuf::from("data/fluxbilling.key")),
            "a relative database: the key is relative the same way"
        );
        assert_eq!(place(DEFAULT_DATABASE_URL), Some(PathBuf::from("fluxbilling.key")));
        assert_eq!(place("sqlite::memory:"), None);
        assert_eq!(place("sqlite://:memory:"), None);
        assert_eq!(place("sqlite://x.db?mode=memory"), None);
        assert_eq!(place("postgres://postgres@127.0.0.1:5432/flux"), None);
        let config = Config::for_database("sqlite:///srv/flux/prod.db?mode=rwc");
        assert_eq!(
            config.secrets_key_file,
            Some(PathBuf::from("/srv/flux/fluxbilling.key"))
        );
    }

    #[test]
    fn boolean_flags_take_the_usual_spellings() {
        for (raw, expected) in [
            ("1", true),
            ("yes", true),
            ("on", true),
            ("true", true),
            ("0", false),
            ("off", false),
            ("no", false),
        ] {
            let cli = Cli::try_parse_from([
                "fluxbilling",
                "serve",
                "--webhook-allow-private",
                raw,
                "--no-worker",
                raw,
            ])
            .unwrap();
            let Command::Serve(serve) = cli.command else {
                unreachable!()
            };
            assert_eq!(
                (serve.webhook_allow_private, serve.no_worker),
                (expected, expected),
                "{raw}"
            );
        }
        assert!(Cli::try_parse_from(["fluxbilling", "serve", "--no-worker", "maybe"]).is_err());
    }

    #[test]
    fn schedules() {
        assert_eq!(parse_schedule("1, 2,3").unwrap().len(), 3);
        assert!(parse_schedule("").is_err());
        assert!(parse_schedule("1,x").is_err());
    }
}
