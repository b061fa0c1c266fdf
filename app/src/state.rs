//! What server functions and handlers share: the store and the settings.
//! Built once at start-up and handed to Leptos through context.

use crate::{
    error::{AppError, AppResult},
    money::{Currency, Money},
    secrets::SecretsKey,
    store::Store,
};
use std::sync::Arc;

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency: Currency::default(),
            secure_cookies: false,
            public_url: "http://127.0.0.1:3000".to_owned(),
            rate_limit_window_secs: 60,
            webhook_allow_private: false,
            secrets_key: SecretsKey::random(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        AppState {
            store,
            settings: Arc::new(settings),
        }
    }

    /// `12.50 EUR`.
    pub fn format_money(&self, amount: Money) -> String {
        self.settings.currency.format(amount)
    }
}

/// The state from the current server function's context.
pub fn app_state() -> AppResult<AppState> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from server function context"))
}
