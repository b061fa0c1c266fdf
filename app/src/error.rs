//! The one error type shared by pages, server functions and both REST APIs.
//!
//! An [`AppError`] carries a stable machine [`ErrorCode`] and a message that is
//! safe to show to whoever called. Causes that are not safe to show (SQL,
//! I/O, panics) are logged on the server by [`AppError::internal`] and replaced
//! by a generic message: the browser and the partner never see them.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Stable machine codes. The UI matches on these, problem+json carries them
/// as `code`, and partners build on them: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No (valid) session, token or API key.
    Unauthenticated,
    /// Signed in, but the role or scope does not allow this.
    Forbidden,
    /// An API key used beyond its scope (a `read` key placing an order).
    InsufficientScope,
    NotFound,
    /// Input that does not parse; `field` names the culprit.
    ValidationFailed,
    InvalidCredentials,
    /// Login throttling.
    TooManyAttempts,
    /// A state-changing browser request from another site.
    CsrfRejected,
    EmailTaken,
    SlugTaken,
    AlreadyApplied,
    InvalidTransition,
    ResellerNotActive,
    ResellerSuspended,
    ApiDisabled,
    InvalidSignature,
    TimestampOutOfRange,
    TermNotPriced,
    ProductNotAvailable,
    QuantityLimitExceeded,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    IdempotencyKeyInFlight,
    RateLimited,
    WebhookUrlRejected,
    /// A dependency (the database) is down; try again later.
    Unavailable,
    /// Something broke on our side; the cause is in the server log.
    Internal,
    /// The call never reached the function (network, encoding): client side.
    Transport,
}

impl ErrorCode {
    /// Every code, so the OpenAPI document and its test can list them.
    pub const ALL: &'static [ErrorCode] = &[
        Self::Unauthenticated,
        Self::Forbidden,
        Self::InsufficientScope,
        Self::NotFound,
        Self::ValidationFailed,
        Self::InvalidCredentials,
        Self::TooManyAttempts,
        Self::CsrfRejected,
        Self::EmailTaken,
        Self::SlugTaken,
        Self::AlreadyApplied,
        Self::InvalidTransition,
        Self::ResellerNotActive,
        Self::ResellerSuspended,
        Self::ApiDisabled,
        Self::InvalidSignature,
        Self::TimestampOutOfRange,
        Self::TermNotPriced,
        Self::ProductNotAvailable,
        Self::QuantityLimitExceeded,
        Self::IdempotencyKeyMissing,
        Self::IdempotencyKeyReused,
        Self::IdempotencyKeyInFlight,
        Self::RateLimited,
        Self::WebhookUrlRejected,
        Self::Unavailable,
        Self::Internal,
        Self::Transport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotFound => "not_found",
            Self::ValidationFailed => "validation_failed",
            Self::InvalidCredentials => "invalid_credentials",
            Self::TooManyAttempts => "too_many_attempts",
            Self::CsrfRejected => "csrf_rejected",
            Self::EmailTaken => "email_taken",
            Self::SlugTaken => "slug_taken",
            Self::AlreadyApplied => "already_applied",
            Self::InvalidTransition => "invalid_transition",
            Self::ResellerNotActive => "reseller_not_active",
            Self::ResellerSuspended => "reseller_suspended",
            Self::ApiDisabled => "api_disabled",
            Self::InvalidSignature => "invalid_signature",
            Self::TimestampOutOfRange => "timestamp_out_of_range",
            Self::TermNotPriced => "term_not_priced",
            Self::ProductNotAvailable => "product_not_available",
            Self::QuantityLimitExceeded => "quantity_limit_exceeded",
            Self::IdempotencyKeyMissing => "idempotency_key_missing",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            Self::RateLimited => "rate_limited",
            Self::WebhookUrlRejected => "webhook_url_rejected",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::Transport => "transport",
        }
    }

    /// The HTTP status for this code: the only place statuses are chosen,
    /// for server functions and problem+json alike.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidSignature | Self::TimestampOutOfRange => 401,
            Self::InvalidCredentials => 401,
            Self::Forbidden
            | Self::InsufficientScope
            | Self::CsrfRejected
            | Self::ResellerNotActive
            | Self::ResellerSuspended
            | Self::ApiDisabled => 403,
            Self::NotFound => 404,
            Self::EmailTaken
            | Self::SlugTaken
            | Self::AlreadyApplied
            | Self::InvalidTransition
            | Self::IdempotencyKeyInFlight => 409,
            Self::ValidationFailed
            | Self::TermNotPriced
            | Self::ProductNotAvailable
            | Self::QuantityLimitExceeded
            | Self::IdempotencyKeyReused
            | Self::WebhookUrlRejected => 422,
            Self::IdempotencyKeyMissing => 400,
            Self::TooManyAttempts | Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::Internal | Self::Transport => 500,
        }
    }

    /// A short human title (problem+json `title`).
    pub fn title(self) -> &'static str {
        match self {
            Self::Unauthenticated => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::InsufficientScope => "API key scope too narrow",
            Self::NotFound => "Not found",
            Self::ValidationFailed => "Invalid input",
            Self::InvalidCredentials => "Wrong email or password",
            Self::TooManyAttempts => "Too many sign-in attempts",
            Self::CsrfRejected => "Cross-site request refused",
            Self::EmailTaken => "Email already registered",
            Self::SlugTaken => "Slug already used",
            Self::AlreadyApplied => "Already applied",
            Self::InvalidTransition => "Transition not allowed",
            Self::ResellerNotActive => "Reseller not active",
            Self::ResellerSuspended => "Reseller suspended",
            Self::ApiDisabled => "API access disabled",
            Self::InvalidSignature => "Invalid signature",
            Self::TimestampOutOfRange => "Timestamp out of range",
            Self::TermNotPriced => "Billing term not priced",
            Self::ProductNotAvailable => "Product not available",
            Self::QuantityLimitExceeded => "Quantity limit exceeded",
            Self::IdempotencyKeyMissing => "Idempotency-Key required",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::IdempotencyKeyInFlight => "Request with this idempotency key in flight",
            Self::RateLimited => "Rate limit exceeded",
            Self::WebhookUrlRejected => "Webhook URL refused",
            Self::Unavailable => "Service unavailable",
            Self::Internal => "Internal error",
            Self::Transport => "Request failed",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that is safe to send to the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// "Not found" for one kind of thing. Also what another reseller's id
    /// answers, so that ids cannot be probed.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("No such {what}."))
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Please sign in first.")
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "Your account is not allowed to do this.")
    }

    /// Logs `cause` (with the caller's location) and returns an error that
    /// says nothing about it.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        #[cfg(feature = "ssr")]
        {
            let at = std::panic::Location::caller();
            tracing::error!(%cause, location = %at, "internal error");
        }
        #[cfg(not(feature = "ssr"))]
        let _ = cause;
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on our side. It has been logged; please try again.",
        )
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match &value {
            // The arguments the browser sent did not decode: the caller's fault.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                return Self::new(ErrorCode::ValidationFailed, value.to_string());
            }
            ServerFnErrorErr::Request(_) => {
                "Could not reach the server. Check your connection and try again.".to_owned()
            }
            _ => "The request failed. Please reload the page and try again.".to_owned(),
        };
        Self::new(ErrorCode::Transport, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_stable_strings() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn statuses_are_client_or_server_errors() {
        for code in ErrorCode::ALL {
            assert!((400..=599).contains(&code.http_status()), "{code}");
        }
    }
}
