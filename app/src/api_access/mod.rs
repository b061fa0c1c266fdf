//! How a reseller's software reaches us: API keys (scoped, several at once
//! for rotation without downtime) and the webhook endpoint with its
//! `whsec_` secret, which also signs partner requests.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult},
    ids::{ApiKeyId, ResellerId},
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

/// Tag of partner API keys: `flux_key_` + 43 random characters.
pub const API_KEY_KIND: &str = "flux_key_";
/// Tag of webhook secrets (Standard Webhooks): `whsec_` + base64.
pub const WEBHOOK_SECRET_KIND: &str = "whsec_";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// GET requests only.
    Read,
    /// Read, and place orders.
    Orders,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Read => "read",
            KeyScope::Orders => "orders",
        }
    }

    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw.trim() {
            "read" => Ok(KeyScope::Read),
            "orders" | "" => Ok(KeyScope::Orders),
            _ => Err(AppError::validation("scope", "The scope is `read` or `orders`.")),
        }
    }

    /// Whether a request with `method` is within this scope.
    pub fn allows(self, method: &str) -> bool {
        match self {
            KeyScope::Orders => true,
            KeyScope::Read => matches!(method, "GET" | "HEAD" | "OPTIONS"),
        }
    }
}

impl TryFrom<String> for KeyScope {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).map_err(|e| e.message)
    }
}

/// A key as listed: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub reseller_id: ResellerId,
    pub name: String,
    pub prefix: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub scope: KeyScope,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A key with its hash, for authentication only (never sent anywhere).
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRecord {
    #[sqlx(flatten)]
    pub key: ApiKey,
    pub key_hash: String,
}

#[cfg(feature = "ssr")]
impl ApiKeyRecord {
    /// Whether `presented` is this key and the key is live: the hashes are
    /// compared in constant time. The one check, wherever a key is read
    /// from (the database or a request-path cache).
    pub fn accepts(&self, presented: &str) -> bool {
        self.key.revoked_at.is_none() && crate::secrets::matches_hash(presented, &self.key_hash)
    }
}

/// A new key, with its secret: shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The whole key. Never stored, never shown again.
    #[serde(rename = "key")]
    pub secret: String,
}

/// A key's display name: up to 64 characters (blank: "API key").
pub fn parse_key_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.chars().count() > 64 {
        return Err(AppError::validation("name", "Keep the key name under 64 characters."));
    }
    Ok(if name.is_empty() {
        "API key".to_owned()
    } else {
        name.to_owned()
    })
}

/// The reseller's webhook endpoint as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub url: Option<String>,
    /// Present when revealed (set-up, reveal, rotation); `None` in listings.
    pub secret: Option<String>,
    pub has_secret: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert!(KeyScope::Read.allows("GET"));
        assert!(!KeyScope::Read.allows("POST"));
        assert!(KeyScope::Orders.allows("POST"));
        assert_eq!(KeyScope::parse("").unwrap(), KeyScope::Orders, "orders is the default");
        assert!(KeyScope::parse("admin").is_err());
    }
}
