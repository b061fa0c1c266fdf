//! The portal's API Settings: keys, the webhook endpoint and its secret,
//! and the rate limit (deliveries and requests have their own lists).

use super::{ApiKey, IssuedKey, WebhookEndpoint};
use crate::{error::AppError, resellers::ResellerStatus};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiSettingsView {
    pub reseller_id: String,
    pub status: ResellerStatus,
    pub api_enabled: bool,
    pub keys: Vec<ApiKey>,
    pub endpoint: WebhookEndpoint,
    pub rate_limit: i64,
    pub window_secs: u64,
}

/// Clients: their API set-up, for the Keys and Webhook tabs of API
/// Settings (the secret stays hidden).
#[server(prefix = "/api/fn")]
pub async fn my_api_settings() -> Result<ApiSettingsView, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let keys = super::service::list_keys(&state.store, &reseller.id).await?;
            let endpoint = super::service::endpoint(&state.store, &state.settings, &reseller.id, false).await?;
            Ok(ApiSettingsView {
                reseller_id: reseller.id.to_string(),
                status: reseller.status,
                api_enabled: reseller.api_enabled,
                keys,
                endpoint,
                rate_limit: reseller.rate_limit,
                window_secs: state.settings.rate_limit_window_secs,
            })
        }
        .await,
    )
}

/// The signed-in reseller, which must be active to change its API set-up.
#[cfg(feature = "ssr")]
async fn active_reseller() -> Result<
    (
        crate::state::AppState,
        crate::accounts::User,
        crate::resellers::Reseller,
    ),
    AppError,
> {
    let (state, client, reseller) = crate::accounts::session::require_reseller().await?;
    super::service::may_change_own_setup(&reseller)?;
    Ok((state, client, reseller))
}

/// Clients: a new API key, shown once.
#[server(prefix = "/api/fn")]
pub async fn generate_api_key(name: String, scope: String) -> Result<IssuedKey, AppError> {
    use crate::{accounts::session, audit::Actor};
    session::respond(
        async {
            let (state, client, reseller) = active_reseller().await?;
            let scope = super::KeyScope::parse(&scope)?;
            super::service::create_key(&state.store, &Actor::user(&client), &reseller, &name, scope).await
        }
        .await,
    )
}

/// Clients: revoke one of their keys.
#[server(prefix = "/api/fn")]
pub async fn revoke_api_key(prefix: String) -> Result<(), AppError> {
    use crate::{accounts::session, audit::Actor};
    session::respond(
        async {
            let (state, client, reseller) = session::require_reseller().await?;
            super::service::revoke_key(&state.store, &Actor::user(&client), &reseller.id, prefix.trim()).await
        }
        .await,
    )
}

/// Clients: set the webhook URL (creates the secret the first time and
/// reveals it).
#[server(prefix = "/api/fn")]
pub async fn save_webhook_url(url: String) -> Result<WebhookEndpoint, AppError> {
    use crate::{accounts::session, audit::Actor};
    session::respond(
        async {
            let (state, client, reseller) = active_reseller().await?;
            super::service::set_webhook_url(&state.store, &state.settings, &Actor::user(&client), &reseller.id, &url)
                .await
        }
        .await,
    )
}

/// Clients: show the secret.
#[server(prefix = "/api/fn")]
pub async fn reveal_webhook_secret() -> Result<WebhookEndpoint, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = active_reseller().await?;
            super::service::endpoint(&state.store, &state.settings, &reseller.id, true).await
        }
        .await,
    )
}

/// Clients: replace the secret; `confirm` must be ticked.
#[server(prefix = "/api/fn")]
pub async fn rotate_webhook_secret(confirm: Option<String>) -> Result<WebhookEndpoint, AppError> {
    use crate::{accounts::session, audit::Actor};
    session::respond(
        async {
            if confirm.is_none() {
                return Err(AppError::validation(
                    "confirm",
                    "Tick the box to confirm: requests signed with the old secret will be refused.",
                ));
            }
            let (state, client, reseller) = active_reseller().await?;
            super::service::rotate_secret(&state.store, &state.settings, &Actor::user(&client), &reseller.id).await
        }
        .await,
    )
}
