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

crate::wire_enum! {
    /// Stable machine codes. The UI matches on these, problem+json carries them
    /// as `code`, and partners build on them: never rename one.
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
        /// A signature of a retired version (`v1`, which did not sign the
        /// Idempotency-Key).
        SignatureVersionUnsupported,
        TimestampOutOfRange,
        TermNotPriced,
        ProductNotAvailable,
        QuantityLimitExceeded,
        IdempotencyKeyMissing,
        IdempotencyKeyReused,
        IdempotencyKeyInFlight,
        RateLimited,
        WebhookUrlRejected,
        /// A charge beyond what a reseller with a credit limit has available.
        InsufficientFunds,
        /// A report or retry for a provisioning action that has finished.
        ActionFinished,
        /// A price-book row already has a version from that time.
        VersionExists,
        /// The price version has taken effect: history never changes.
        VersionInEffect,
        /// The route exists, but not for this HTTP method.
        MethodNotAllowed,
        /// The request line is longer than the server reads.
        UriTooLong,
        /// The request's headers are larger than the server reads.
        HeadersTooLarge,
        /// The request took longer than the server's request timeout.
        RequestTimeout,
        /// A dependency (the database) is down; try again later.
        Unavailable,
        /// Something broke on our side; the cause is in the server log.
        Internal,
        /// The call never reached the function (network, encoding): client side.
        Transport,
    }
}

impl ErrorCode {
    /// The HTTP status for this code: the only place statuses are chosen,
    /// for server functions and problem+json alike.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated
            | Self::InvalidSignature
            | Self::SignatureVersionUnsupported
            | Self::TimestampOutOfRange => 401,
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
            | Self::ActionFinished
            | Self::VersionExists
            | Self::VersionInEffect
            | Self::IdempotencyKeyInFlight => 409,
            Self::ValidationFailed
            | Self::TermNotPriced
            | Self::ProductNotAvailable
            | Self::QuantityLimitExceeded
            | Self::IdempotencyKeyReused
            | Self::WebhookUrlRejected => 422,
            Self::IdempotencyKeyMissing => 400,
            Self::InsufficientFunds => 402,
            Self::TooManyAttempts | Self::RateLimited => 429,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::UriTooLong => 414,
            Self::HeadersTooLarge => 431,
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
            Self::ActionFinished => "Provisioning action finished",
            Self::VersionExists => "Price version exists at that time",
            Self::VersionInEffect => "Price version in effect",
            Self::ResellerNotActive => "Reseller not active",
            Self::ResellerSuspended => "Reseller suspended",
            Self::ApiDisabled => "API access disabled",
            Self::InvalidSignature => "Invalid signature",
            Self::SignatureVersionUnsupported => "Signature version not supported",
            Self::TimestampOutOfRange => "Timestamp out of range",
            Self::TermNotPriced => "Billing term not priced",
            Self::ProductNotAvailable => "Product not available",
            Self::QuantityLimitExceeded => "Quantity limit exceeded",
            Self::IdempotencyKeyMissing => "Idempotency-Key required",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::IdempotencyKeyInFlight => "Request with this idempotency key in flight",
            Self::RateLimited => "Rate limit exceeded",
            Self::WebhookUrlRejected => "Webhook URL refused",
            Self::InsufficientFunds => "Insufficient funds",
            Self::MethodNotAllowed => "Method not allowed",
            Self::UriTooLong => "Request line too long",
            Self::HeadersTooLarge => "Request headers too large",
            Self::RequestTimeout => "Request timed out",
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

/// The `field` of a server function call whose arguments did not decode.
pub const ARGUMENTS: &str = "arguments";

/// An error that is safe to send to the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds after which a retry may succeed (429, 503): sent as
    /// `Retry-After` by the server functions and both APIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            message: message.into(),
            field: Some(field.to_owned()),
            retry_after: None,
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

    /// The HTTP status of this error: its code's, except for arguments that
    /// did not decode at all (a malformed request: 400, where a value that
    /// decoded but breaks a rule is 422).
    pub fn http_status(&self) -> u16 {
        if self.code == ErrorCode::ValidationFailed && self.field.as_deref() == Some(ARGUMENTS) {
            400
        } else {
            self.code.http_status()
        }
    }

    /// A refusal that a retry after `seconds` may get past (at least 1).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// The server is busy (password hashing at capacity): 503, retry soon.
    pub fn busy() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The server is busy right now; please try again in a moment.",
        )
        .retry_after(1)
    }
}

/// An error as both REST APIs send it: `application/problem+json`
/// (RFC 9457), with the stable `code` beside the standard members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem: `https://fluxbilling.dev/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code: match on this, not on the texts.
    #[cfg_attr(feature = "ssr", schema(value_type = ErrorCode))]
    pub code: String,
    /// The request field at fault, for `validation_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn from_error(err: &AppError) -> Self {
        Problem {
            kind: format!("https://fluxbilling.dev/problems/{}", err.code.as_str()),
            title: err.code.title().to_owned(),
            status: err.http_status(),
            detail: err.message.clone(),
            code: err.code.as_str().to_owned(),
            field: err.field.clone(),
        }
    }
}

impl AppError {
    /// The problem+json document of this error.
    pub fn problem_json(&self) -> String {
        serde_json::to_string(&Problem::from_error(self))
            .unwrap_or_else(|_| format!(r#"{{"status":{},"code":"{}"}}"#, self.http_status(), self.code.as_str()))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match &value {
            // The arguments the browser sent did not decode: the caller's fault.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                return Self::validation(ARGUMENTS, value.to_string());
            }
            ServerFnErrorErr::Request(_) => {
                "Could not reach the server. Check your connection and try again.".to_owned()
            }
            _ => "The request failed. Please reload the page and try again.".to_owned(),
        };
        Self::new(ErrorCode::Transport, message)
    }
}

/// `retail_monthly` -> `Retail monthly`: a field's name in a message.
pub fn field_label(field: &str) -> String {
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_client_or_server_errors() {
        for &code in ErrorCode::ALL {
            assert!((400..=599).contains(&code.http_status()), "{code}");
        }
    }
}
