//! Idempotent requests (partner `POST /orders`, and the operator's
//! payments later): the same key with the same body answers the first
//! response again; the same key with another body is refused; while the
//! first request still runs, a second one with its key is told so.
//!
//! The claim lives in the transaction of the work it guards
//! ([`service`]): the saved response is written with the change, so a
//! replay exists exactly when the change does, and an unfinished claim
//! dies with its transaction (a crashed server leaves nothing "in flight").

pub mod service;

use crate::error::{AppError, AppResult, ErrorCode};

/// How long a key is remembered (expired keys are purged hourly).
pub const TTL: time::Duration = time::Duration::hours(24);

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: Option<&str>) -> AppResult<Self> {
        let key = raw.map(str::trim).unwrap_or_default();
        if key.is_empty() {
            return Err(AppError::new(
                ErrorCode::IdempotencyKeyMissing,
                "Send an Idempotency-Key header (a unique string per attempt, e.g. a UUID).",
            ));
        }
        if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::validation(
                "Idempotency-Key",
                "The Idempotency-Key is 1 to 255 visible ASCII characters.",
            ));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of an operator's request about a reseller's records (the
    /// admin API's renewals), kept apart from the reseller's own keys: the
    /// separator cannot appear in a key as sent.
    pub fn for_operator(&self) -> IdempotencyKey {
        IdempotencyKey(format!("operator\u{1f}{}", self.0))
    }
}

/// What a request claims: its key and a hash of its body (a replay must
/// carry the same body). The partner API's signature covers the key, so a
/// signature cannot be carried over to another key (see the server's
/// `partner_api::signature`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub key: IdempotencyKey,
    pub request_hash: String,
}

/// The HTTP answer of an idempotent request: as first sent, or replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// JSON (a 2xx) or problem+json (a refusal).
    pub body: String,
    pub replayed: bool,
}

pub(crate) fn in_flight() -> AppError {
    AppError::new(
        ErrorCode::IdempotencyKeyInFlight,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    )
    .retry_after(1)
}

pub(crate) fn reused() -> AppError {
    AppError::new(
        ErrorCode::IdempotencyKeyReused,
        "This Idempotency-Key was used with a different request body.",
    )
}

/// Whether a refusal is kept and replayed (the caller's mistake, the same
/// on every retry) or the claim released so a retry runs again (our side).
pub fn is_replayable(err: &AppError) -> bool {
    err.http_status() < 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(IdempotencyKey::parse(Some(" abc ")).unwrap().as_str(), "abc");
        assert_eq!(
            IdempotencyKey::parse(None).unwrap_err().code,
            ErrorCode::IdempotencyKeyMissing
        );
        assert_eq!(
            IdempotencyKey::parse(Some("a b")).unwrap_err().code,
            ErrorCode::ValidationFailed
        );
        assert!(IdempotencyKey::parse(Some(&"k".repeat(256))).is_err());
        assert!(!is_replayable(&AppError::internal("boom")));
        assert!(is_replayable(&reused()));
    }
}
