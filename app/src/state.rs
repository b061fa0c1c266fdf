//! What server functions and handlers share: the store and the settings.
//! Built once at start-up and handed to Leptos through context.

use crate::{
    error::{AppError, AppResult},
    money::Currency,
    secrets::{Passwords, SecretsKey},
    store::Store,
    throttle::Throttle,
};
use std::{sync::Arc, time::Duration};

/// Installation settings the domain needs (the server's `Config` holds the
/// rest: addresses, log format).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The one currency every amount is in.
    pub currency: Currency,
    /// Mark cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Where people reach the server, for links the CLI prints.
    pub public_url: String,
    /// Length of the partner API rate-limit window.
    pub rate_limit_window_secs: u64,
    /// Allow webhook URLs on loopback/private/link-local addresses.
    pub webhook_allow_private: bool,
    /// Seals the secrets the server must use again (webhook secrets).
    pub secrets_key: SecretsKey,
    /// Units (services) one order may create (`FLUX_MAX_UNITS_PER_ORDER`).
    pub max_units_per_order: u32,
    /// Days after its month a statement stays open for payments dated in
    /// it (`FLUX_STATEMENT_GRACE_DAYS`).
    pub statement_grace_days: u32,
    /// What an immediate cancellation gives back (`FLUX_CANCEL_REFUND`).
    pub cancel_refund: crate::changes::CancelRefund,
    /// Days' notice a price rise for services already sold needs
    /// (`FLUX_PRICE_NOTICE_DAYS`).
    pub price_notice_days: u32,
    /// A session unused this long ends (`FLUX_SESSION_IDLE_MINUTES`).
    pub session_idle: time::Duration,
    /// Registrations per client address per hour (`FLUX_REGISTRATIONS_PER_HOUR`).
    pub registrations_per_hour: u32,
    /// Failed partner API authentications per client address per minute
    /// (`FLUX_AUTH_FAILURES_PER_MINUTE`).
    pub auth_failures_per_minute: u32,
    /// How long a request waits for a password hashing turn before it is
    /// told the server is busy.
    pub password_hash_wait: Duration,
}

/// "Send test event" per reseller per minute.
pub const TEST_EVENTS_PER_MINUTE: u32 = 5;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency: Currency::default(),
            secure_cookies: false,
            public_url: "http://127.0.0.1:3000".to_owned(),
            rate_limit_window_secs: 60,
            webhook_allow_private: false,
            secrets_key: SecretsKey::random(),
            max_units_per_order: crate::orders::DEFAULT_MAX_UNITS_PER_ORDER,
            statement_grace_days: 5,
            cancel_refund: crate::changes::CancelRefund::Prorated,
            price_notice_days: crate::price_book::versions::DEFAULT_NOTICE_DAYS,
            session_idle: time::Duration::hours(12),
            registrations_per_hour: 20,
            auth_failures_per_minute: 30,
            password_hash_wait: Duration::from_secs(2),
        }
    }
}

/// What bounds abuse: password hashing turns (this process) and the
/// throttles that refuse before any other work (shared by every instance
/// on PostgreSQL, see `throttle`).
#[derive(Debug)]
pub struct Guards {
    pub passwords: Passwords,
    pub registrations: Throttle,
    pub failed_auth: Throttle,
    pub test_events: Throttle,
    /// Admin tokens that authenticated here (by the whole token's
    /// digest), with their last recorded use: known to work, so not held
    /// up by their address's failures.
    pub admin_tokens: crate::last_used::Recorded,
}

impl Guards {
    fn new(store: &Store, settings: &Settings) -> Self {
        let minute = Duration::from_secs(60);
        Guards {
            passwords: Passwords::new(Passwords::default_concurrency(), settings.password_hash_wait),
            registrations: Throttle::for_store(
                store,
                "registrations",
                settings.registrations_per_hour.into(),
                Duration::from_secs(3600),
            ),
            failed_auth: Throttle::for_store(store, "auth_failures", settings.auth_failures_per_minute.into(), minute),
            test_events: Throttle::for_store(store, "test_events", TEST_EVENTS_PER_MINUTE.into(), minute),
            admin_tokens: Default::default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub guards: Arc<Guards>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        let guards = Arc::new(Guards::new(&store, &settings));
        AppState {
            store,
            guards,
            settings: Arc::new(settings),
        }
    }

    pub fn passwords(&self) -> &Passwords {
        &self.guards.passwords
    }
}

/// The state from the current server function's context.
pub fn app_state() -> AppResult<AppState> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from server function context"))
}
