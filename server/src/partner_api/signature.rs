//! Step 5: state-changing requests (and GETs that carry a signature) must
//! be signed: `Flux-Timestamp: <unix seconds>` and
//! `Flux-Signature: v1=<hex HMAC-SHA256(key, "<ts>.<METHOD>.<path?query>.<body>")>`,
//! the key being the base64-decoded part of the reseller's `whsec_` secret.
//! Timestamps more than 300 s off are refused. Several `v1=` values may be
//! sent (comma or space separated); one matching is enough.

use super::{PartnerState, auth::Partner};
use crate::{json::MAX_BODY_BYTES, problem::ApiError};
use app::{
    api_access::service as api_access,
    error::{AppError, ErrorCode},
};
use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use hmac::{KeyInit, Mac};

pub const TIMESTAMP_HEADER: &str = "flux-timestamp";
pub const SIGNATURE_HEADER: &str = "flux-signature";
pub const TOLERANCE_SECS: i64 = 300;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The signature of a request, as the partner computes it.
pub fn sign(key: &[u8], timestamp: i64, method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{method}.{path_and_query}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The signature that authorised a request (lowercase hex), for handlers
/// that must not accept it twice (`POST /orders`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature(pub String);

/// Whether `timestamp` (unix seconds, as sent) is within the tolerance of
/// `now`. Anything that is not a plain integer, or is too far off to
/// subtract, is out of range: no arithmetic here can overflow.
fn timestamp_in_range(timestamp: &str, now: i64) -> Result<i64, ApiError> {
    let out_of_range = || {
        ApiError::new(
            ErrorCode::TimestampOutOfRange,
            format!(
                "Flux-Timestamp must be the current unix time in seconds, within {TOLERANCE_SECS} s of the server's clock ({now})."
            ),
        )
    };
    let raw = timestamp.trim();
    if raw.is_empty() || raw.len() > 20 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range());
    }
    let ts: i64 = raw.parse().map_err(|_| out_of_range())?;
    match now.checked_sub(ts).and_then(i64::checked_abs) {
        Some(skew) if skew <= TOLERANCE_SECS => Ok(ts),
        _ => Err(out_of_range()),
    }
}

/// Checks the headers against the request; `now` in unix seconds. Returns
/// the signature that matched.
pub fn verify(
    key: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: i64,
) -> Result<VerifiedSignature, ApiError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(ApiError::new(
            ErrorCode::InvalidSignature,
            "Sign this request: send Flux-Timestamp and Flux-Signature headers.",
        ));
    };
    let ts = timestamp_in_range(timestamp, now)?;
    let signed = |candidate: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(format!("{ts}.{method}.{path_and_query}.").as_bytes());
        mac.update(body);
        // Constant-time comparison.
        mac.verify_slice(candidate).is_ok()
    };
    let matched = signature
        .split([',', ' '])
        .filter_map(|part| part.trim().strip_prefix("v1="))
        .filter_map(|hex_sig| hex::decode(hex_sig).ok())
        .find(|candidate| signed(candidate));
    if let Some(candidate) = matched {
        Ok(VerifiedSignature(hex::encode(candidate)))
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidSignature,
            "Flux-Signature does not match: sign \"<timestamp>.<METHOD>.<path and query>.<raw body>\" with your webhook secret.",
        ))
    }
}

pub async fn check(State(state): State<PartnerState>, request: Request, next: Next) -> Response {
    let must_sign = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || request.headers().contains_key(SIGNATURE_HEADER);
    if !must_sign {
        return next.run(request).await;
    }
    match verified(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

async fn verified(state: &PartnerState, request: Request) -> Result<Request, ApiError> {
    let partner = request
        .extensions()
        .get::<Partner>()
        .cloned()
        .ok_or_else(|| ApiError(AppError::internal("signature check before authentication")))?;
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            "The request body is too large or unreadable.",
        )
    })?;
    let key = signing_key(state, &partner.reseller.id).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidSignature,
            "Your account has no webhook secret yet: set a webhook URL in API Settings to get one, then sign with it.",
        )
    })?;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    // The path as the partner sent it (nesting under /api/v1 strips it from `uri`).
    let original = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let path_and_query = original.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let verified = verify(
        &key,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        parts.method.as_str(),
        path_and_query,
        &bytes,
        app::timestamp::Timestamp::now().unix_seconds(),
    )?;
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(verified);
    Ok(request)
}

/// The reseller's HMAC key (its `whsec_` secret's bytes), cached.
async fn signing_key(state: &PartnerState, reseller: &app::ids::ResellerId) -> Result<Option<Vec<u8>>, ApiError> {
    let epoch = state.app.store.epoch();
    if let Some(key) = state.cache.signing_key(reseller, epoch) {
        return Ok(key);
    }
    let key = match api_access::secret(&state.app.store, &state.app.settings, reseller).await? {
        Some(secret) => Some(api_access::secret_bytes(&secret)?),
        None => None,
    };
    state.cache.put_signing_key(reseller, key.clone(), epoch);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_worked_example() {
        // The example printed on the API Settings page.
        let sig = sign(KEY, 1_767_225_600, "POST", "/api/v1/orders", b"{}");
        assert_eq!(sig.len(), 64);
        let header = format!("v1={sig}");
        assert!(
            verify(
                KEY,
                Some("1767225600"),
                Some(&header),
                "POST",
                "/api/v1/orders",
                b"{}",
                1_767_225_600
            )
            .is_ok()
        );
    }

    #[test]
    fn refusals() {
        let now = 1_767_225_600;
        let good = format!("v1={}", sign(KEY, now, "POST", "/api/v1/orders", b"{}"));
        let code = |r: Result<VerifiedSignature, ApiError>| r.unwrap_err().code();
        let ts = now.to_string();
        assert_eq!(
            code(verify(KEY, None, Some(&good), "POST", "/api/v1/orders", b"{}", now)),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(verify(
                KEY,
                Some(&ts),
                Some(&good),
                "POST",
                "/api/v1/orders",
                b"{ }",
                now
            )),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(verify(
                KEY,
                Some(&ts),
                Some(&good),
                "POST",
                "/api/v1/orders?x=1",
                b"{}",
                now
            )),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(verify(
                b"other key",
                Some(&ts),
                Some(&good),
                "POST",
                "/api/v1/orders",
                b"{}",
                now
            )),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(verify(
                KEY,
                Some(&ts),
                Some(&good),
                "POST",
                "/api/v1/orders",
                b"{}",
                now + 301
            )),
            ErrorCode::TimestampOutOfRange
        );
        assert!(verify(KEY, Some(&ts), Some(&good), "POST", "/api/v1/orders", b"{}", now + 300).is_ok());
        for extreme in [
            "-9223372036854775808",
            "9223372036854775807",
            "99999999999999999999999",
            "-1",
            "1e9",
            " ",
            "0x10",
        ] {
            assert_eq!(
                code(verify(
                    KEY,
                    Some(extreme),
                    Some(&good),
                    "POST",
                    "/api/v1/orders",
                    b"{}",
                    now
                )),
                ErrorCode::TimestampOutOfRange,
                "{extreme}"
            );
        }
        assert_eq!(
            code(verify(
                KEY,
                Some("0"),
                Some(&good),
                "POST",
                "/api/v1/orders",
                b"{}",
                i64::MIN
            )),
            ErrorCode::TimestampOutOfRange,
            "a clock at the edge does not overflow either"
        );
        let two = format!("v1=deadbeef, {good}");
        assert!(
            verify(KEY, Some(&ts), Some(&two), "POST", "/api/v1/orders", b"{}", now).is_ok(),
            "any one may match"
        );
    }
}

#[cfg(test)]
mod guide_tests {
    use app::pages::portal::api_settings::{EXAMPLE_BODY, EXAMPLE_SECRET, EXAMPLE_SIGNATURE, EXAMPLE_TIMESTAMP};

    /// The worked example on the portal's API Settings page is right.
    #[test]
    fn the_signing_guide_example_verifies() {
        let key = app::api_access::service::secret_bytes(EXAMPLE_SECRET).unwrap();
        let sig = super::sign(
            &key,
            EXAMPLE_TIMESTAMP,
            "POST",
            "/api/v1/orders",
            EXAMPLE_BODY.as_bytes(),
        );
        assert_eq!(sig, EXAMPLE_SIGNATURE);
    }
}
