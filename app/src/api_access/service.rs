//! API keys and the webhook endpoint: issue, list, revoke, authenticate;
//! set the URL, reveal and rotate the secret.

use super::{API_KEY_KIND, ApiKey, IssuedKey, KeyScope, WEBHOOK_SECRET_KIND, WebhookEndpoint, parse_key_name};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{ApiKeyId, ResellerId},
    last_used, net,
    resellers::{Reseller, ResellerStatus, service as resellers},
    secrets,
    state::Settings,
    store::{NewAuditEntry, NotFoundExt, Store, StoreError},
    timestamp::Timestamp,
};
use base64::Engine;

/// Issues a key. Terminated resellers get none.
pub async fn create_key(
    store: &Store,
    actor: &Actor,
    reseller: &Reseller,
    name: &str,
    scope: KeyScope,
) -> AppResult<IssuedKey> {
    if reseller.status == ResellerStatus::Terminated {
        return Err(AppError::new(
            ErrorCode::ResellerNotActive,
            "A terminated reseller cannot get API keys.",
        ));
    }
    let name = parse_key_name(name)?;
    let now = store.now();
    // A prefix is random: a collision is rare, and another try fixes it.
    for _ in 0..3 {
        let issued = secrets::issue(API_KEY_KIND);
        let key = ApiKey {
            id: ApiKeyId::generate(),
            reseller_id: reseller.id.clone(),
            name: name.clone(),
            prefix: issued.prefix,
            scope,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = store.begin().await?;
        let inserted = async {
            tx.insert_api_key(&key, &issued.hash).await?;
            let audit = NewAuditEntry {
                details: Some(serde_json::json!({ "prefix": key.prefix, "scope": scope.as_str() })),
                ..NewAuditEntry::new(actor, "api_key.create", "reseller", reseller.id.as_str(), now)
            };
            tx.insert_audit(&audit).await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match tx.finish(inserted).await {
            Ok(()) => {
                return Ok(IssuedKey {
                    key,
                    secret: issued.secret,
                });
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::internal("three API key prefix collisions in a row"))
}

pub async fn list_keys(store: &Store, reseller: &ResellerId) -> AppResult<Vec<ApiKey>> {
    Ok(store.api_keys(reseller).await?)
}

/// Revokes one of `reseller`'s keys; another reseller's prefix is not found.
pub async fn revoke_key(store: &Store, actor: &Actor, reseller: &ResellerId, prefix: &str) -> AppResult<()> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let revoked = async {
        tx.revoke_api_key(reseller, prefix, now).await.or_not_found("API key")?;
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({ "prefix": prefix })),
            ..NewAuditEntry::new(actor, "api_key.revoke", "reseller", reseller.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(revoked).await
}

/// A reseller changes its own keys and webhook only while active (an
/// operator may change any reseller's, through the admin API).
pub fn may_change_own_setup(reseller: &Reseller) -> AppResult<()> {
    reseller.status.must_be_active("change its API set-up")
}

/// The live key a presented credential names, with its hash checked in
/// constant time. `None` for malformed, unknown or revoked keys.
pub async fn authenticate(store: &Store, presented: &str) -> AppResult<Option<super::ApiKeyRecord>> {
    let Some(prefix) = secrets::prefix_of(API_KEY_KIND, presented) else {
        return Ok(None);
    };
    Ok(store
        .api_key_by_prefix(prefix)
        .await?
        .filter(|record| record.accepts(presented)))
}

/// Records that the key was used at `now`; the caller asks `last_used`
/// (through its cache's record) whether the use is due.
pub async fn record_use(store: &Store, key: &ApiKeyId, now: Timestamp) -> AppResult<()> {
    Ok(store.touch_api_key(key, now, last_used::stale_before(now)).await?)
}

/// A webhook URL that may be saved: `net::webhook_url`'s rules, and a host
/// that resolves to public addresses only, unless private ones are allowed.
pub async fn validate_webhook_url(raw: &str, allow_private: bool) -> AppResult<String> {
    let refuse = |why: &str| AppError::new(ErrorCode::WebhookUrlRejected, why.to_owned()).with_field("url");
    let url = net::webhook_url(raw, allow_private).map_err(refuse)?;
    if !allow_private && let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| refuse("The URL's host does not resolve."))?
            .collect();
        if addresses.is_empty() || addresses.iter().any(|a| !net::is_public(a.ip())) {
            return Err(refuse("The URL points to a private, loopback or link-local address."));
        }
    }
    Ok(url.to_string())
}

/// A new Standard Webhooks secret (`whsec_` + 32 random bytes, base64).
pub(crate) fn new_secret() -> String {
    format!(
        "{WEBHOOK_SECRET_KIND}{}",
        base64::engine::general_purpose::STANDARD.encode(secrets::random_bytes::<32>())
    )
}

/// The plaintext secret, if the reseller has one.
pub async fn secret(store: &Store, settings: &Settings, reseller: &ResellerId) -> AppResult<Option<String>> {
    match store.webhook_secret_sealed(reseller).await? {
        Some(sealed) => Ok(Some(settings.secrets_key.open(&sealed)?)),
        None => Ok(None),
    }
}

/// The secret's key bytes (base64-decoded part after `whsec_`), for HMAC.
pub fn secret_bytes(secret: &str) -> AppResult<Vec<u8>> {
    let encoded = secret.strip_prefix(WEBHOOK_SECRET_KIND).unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(AppError::internal)
}

/// Sets the URL; creates the secret on first use. Returns the endpoint with
/// the secret revealed.
pub async fn set_webhook_url(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
    url: &str,
) -> AppResult<WebhookEndpoint> {
    resellers::get(store, reseller).await?;
    let url = validate_webhook_url(url, settings.webhook_allow_private).await?;
    let existing = secret(store, settings, reseller).await?;
    let secret = existing.unwrap_or_else(new_secret);
    let details = serde_json::json!({ "url": url });
    save_webhook(
        store,
        actor,
        reseller,
        Some(&url),
        &settings.secrets_key.seal(&secret),
        "webhook.set_url",
        Some(details),
    )
    .await?;
    Ok(WebhookEndpoint {
        url: Some(url),
        secret: Some(secret),
        has_secret: true,
    })
}

/// Writes the endpoint and its audit entry in one transaction.
async fn save_webhook(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    url: Option<&str>,
    sealed_secret: &str,
    action: &str,
    details: Option<serde_json::Value>,
) -> AppResult<()> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let saved = async {
        tx.set_webhook(reseller, url, sealed_secret, now)
            .await
            .or_not_found("reseller")?;
        let audit = NewAuditEntry {
            details,
            ..NewAuditEntry::new(actor, action, "reseller", reseller.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(saved).await
}

/// Replaces the secret. Partner requests signed with the old one fail from
/// now on, as do webhook verifications: the page asks for confirmation.
pub async fn rotate_secret(
    store: &Store,
    settings: &Settings,
    actor: &Actor,
    reseller: &ResellerId,
) -> AppResult<WebhookEndpoint> {
    let profile = resellers::get(store, reseller).await?;
    let url = store.webhook_url(&profile.id).await?;
    let secret = new_secret();
    let sealed = settings.secrets_key.seal(&secret);
    save_webhook(
        store,
        actor,
        reseller,
        url.as_deref(),
        &sealed,
        "webhook.rotate_secret",
        None,
    )
    .await?;
    Ok(WebhookEndpoint {
        url,
        secret: Some(secret),
        has_secret: true,
    })
}

/// The endpoint, with the secret only when `reveal`.
pub async fn endpoint(
    store: &Store,
    settings: &Settings,
    reseller: &ResellerId,
    reveal: bool,
) -> AppResult<WebhookEndpoint> {
    let url = store.webhook_url(reseller).await?;
    let secret = secret(store, settings, reseller).await?;
    Ok(WebhookEndpoint {
        url,
        has_secret: secret.is_some(),
        secret: if reveal { secret } else { None },
    })
}
