//! Step 5: state-changing requests (and GETs that carry a signature) must
//! be signed (DESIGN.md "Partner API"): `Flux-Timestamp: <unix seconds>`,
//! an `Idempotency-Key` (required on every state-changing request) and
//! `Flux-Signature: v2=<hex HMAC-SHA256(key, signed)>` with
//! `signed = "<ts>.<METHOD>.<path?query>.<Idempotency-Key>.<body>"`, the
//! key being the base64-decoded part of the reseller's `whsec_` secret.
//! Because the Idempotency-Key is signed, a captured request can only be
//! replayed as its own idempotent replay. Timestamps more than 300 s off
//! are refused. Up to four `v2=` candidates may be sent (secret rotation);
//! one matching is enough, and the request's HMAC is computed once however
//! many there are. The retired `v1` is refused with
//! `signature_version_unsupported`.

use super::{PartnerState, auth::Partner};
use crate::{idempotency::HEADER as IDEMPOTENCY_KEY, json::MAX_BODY_BYTES, problem::ApiError};
use app::{
    api_access::service as api_access,
    error::{AppError, ErrorCode},
    idempotency::IdempotencyKey,
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
/// The signature scheme requests are signed with.
pub const VERSION: &str = "v2";
/// Candidates one `Flux-Signature` header may carry.
pub const MAX_CANDIDATES: usize = 4;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// What the signature covers besides the body: the one place the signed
/// string is written, for signing and verifying alike.
fn signed_prefix(timestamp: i64, method: &str, path_and_query: &str, idempotency_key: &str) -> String {
    format!("{timestamp}.{method}.{path_and_query}.{idempotency_key}.")
}

fn mac_of(
    key: &[u8],
    timestamp: i64,
    method: &str,
    path_and_query: &str,
    idempotency_key: &str,
    body: &[u8],
) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signed_prefix(timestamp, method, path_and_query, idempotency_key).as_bytes());
    mac.update(body);
    mac
}

/// The signature of a request, as the partner computes it (lowercase hex;
/// the header carries it as `v2=<this>`). `idempotency_key` is the
/// header's value as sent, empty for a request without one.
pub fn sign(
    key: &[u8],
    timestamp: i64,
    method: &str,
    path_and_query: &str,
    idempotency_key: &str,
    body: &[u8],
) -> String {
    hex::encode(
        mac_of(key, timestamp, method, path_and_query, idempotency_key, body)
            .finalize()
            .into_bytes(),
    )
}

/// What a request says about its own signature.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

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

fn invalid(why: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidSignature, why)
}

/// The `v2` candidates of a `Flux-Signature` header, decoded: at most
/// [`MAX_CANDIDATES`], each 64 hex digits. Entries are separated by commas
/// or spaces; a header with only `v1` entries is refused as retired.
fn candidates(header: &str) -> Result<Vec<[u8; 32]>, ApiError> {
    let entries: Vec<&str> = header
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let v2: Vec<&str> = entries.iter().filter_map(|e| e.strip_prefix("v2=")).collect();
    if v2.is_empty() {
        if entries.iter().any(|e| e.starts_with("v1=")) {
            return Err(ApiError::new(
                ErrorCode::SignatureVersionUnsupported,
                "Signature v1 is retired: sign with v2, which covers the Idempotency-Key \
                 (`v2=<hex HMAC-SHA256 of \"<timestamp>.<METHOD>.<path and query>.<Idempotency-Key>.<raw body>\">`).",
            ));
        }
        return Err(invalid("Flux-Signature carries no `v2=` signature."));
    }
    if v2.len() > MAX_CANDIDATES {
        return Err(invalid(format!(
            "Flux-Signature carries more than {MAX_CANDIDATES} v2 signatures."
        )));
    }
    v2.into_iter()
        .map(|hex_sig| {
            let mut bytes = [0u8; 32];
            match hex::decode_to_slice(hex_sig, &mut bytes) {
                Ok(()) => Ok(bytes),
                Err(_) => Err(invalid("Each v2 signature is 64 hexadecimal digits.")),
            }
        })
        .collect()
}

/// Checks the headers against the request; `now` in unix seconds. A
/// state-changing request (`needs_key`) must carry an Idempotency-Key.
pub fn verify(
    key: &[u8],
    headers: SignedHeaders<'_>,
    needs_key: bool,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: i64,
) -> Result<(), ApiError> {
    let (Some(timestamp), Some(signature)) = (headers.timestamp, headers.signature) else {
        return Err(invalid(
            "Sign this request: send Flux-Timestamp and Flux-Signature headers.",
        ));
    };
    let idempotency_key = match headers.idempotency_key {
        // Checked before the signature: a missing or malformed key is the
        // caller's first problem, and the same on every retry.
        Some(raw) => IdempotencyKey::parse(Some(raw)).map(|_| raw).map_err(ApiError)?,
        None if needs_key => return Err(ApiError(IdempotencyKey::parse(None).unwrap_err())),
        None => "",
    };
    let ts = timestamp_in_range(timestamp, now)?;
    let candidates = candidates(signature)?;
    // One HMAC computation, compared with each candidate in constant time.
    let expected = mac_of(key, ts, method, path_and_query, idempotency_key, body)
        .finalize()
        .into_bytes();
    let matched = candidates.iter().fold(subtle::Choice::from(0), |any, c| {
        any | subtle::ConstantTimeEq::ct_eq(&expected[..], &c[..])
    });
    if bool::from(matched) {
        Ok(())
    } else {
        Err(invalid(
            "Flux-Signature does not match: sign \"<timestamp>.<METHOD>.<path and query>.<Idempotency-Key>.<raw body>\" \
             with your webhook secret (v2).",
        ))
    }
}

/// Whether a request changes state: it must be signed and carry an
/// Idempotency-Key.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn check(State(state): State<PartnerState>, request: Request, next: Next) -> Response {
    let must_sign = changes_state(request.method()) || request.headers().contains_key(SIGNATURE_HEADER);
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
    let signed = SignedHeaders {
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
        idempotency_key: header(IDEMPOTENCY_KEY),
    };
    verify(
        &key,
        signed,
        changes_state(&parts.method),
        parts.method.as_str(),
        path_and_query,
        &bytes,
        app::timestamp::Timestamp::now().unix_seconds(),
    )?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
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
    const NOW: i64 = 1_767_225_600;
    const PATH: &str = "/api/v1/orders";

    fn headers<'a>(ts: &'a str, signature: &'a str, key: Option<&'a str>) -> SignedHeaders<'a> {
        SignedHeaders {
            timestamp: Some(ts),
            signature: Some(signature),
            idempotency_key: key,
        }
    }

    fn code(r: Result<(), ApiError>) -> ErrorCode {
        r.unwrap_err().code()
    }

    fn good(key: &str) -> String {
        format!("v2={}", sign(KEY, NOW, "POST", PATH, key, b"{}"))
    }

    #[test]
    fn a_worked_example() {
        let header = good("k-1");
        assert_eq!(header.len(), 3 + 64);
        let ts = NOW.to_string();
        assert!(verify(KEY, headers(&ts, &header, Some("k-1")), true, "POST", PATH, b"{}", NOW).is_ok());
    }

    #[test]
    fn the_idempotency_key_is_signed() {
        let ts = NOW.to_string();
        let header = good("k-1");
        // The same body in the same second under another key: not this signature.
        assert_eq!(
            code(verify(
                KEY,
                headers(&ts, &header, Some("k-2")),
                true,
                "POST",
                PATH,
                b"{}",
                NOW
            )),
            ErrorCode::InvalidSignature
        );
        assert_ne!(good("k-1"), good("k-2"));
        assert_eq!(
            code(verify(KEY, headers(&ts, &header, None), true, "POST", PATH, b"{}", NOW)),
            ErrorCode::IdempotencyKeyMissing,
            "state-changing requests need a key"
        );
        // A signed GET has no key: the key part of the string is empty.
        let get = format!("v2={}", sign(KEY, NOW, "GET", "/api/v1/me", "", b""));
        assert!(verify(KEY, headers(&ts, &get, None), false, "GET", "/api/v1/me", b"", NOW).is_ok());
        assert_eq!(
            code(verify(
                KEY,
                headers(&ts, &good("a b"), Some("a b")),
                true,
                "POST",
                PATH,
                b"{}",
                NOW
            )),
            ErrorCode::ValidationFailed,
            "a malformed key"
        );
    }

    #[test]
    fn v1_is_retired() {
        let ts = NOW.to_string();
        let v1 = format!("v1={}", sign(KEY, NOW, "POST", PATH, "k", b"{}"));
        let refused = verify(KEY, headers(&ts, &v1, Some("k")), true, "POST", PATH, b"{}", NOW).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::SignatureVersionUnsupported);
        assert!(refused.0.message.contains("v2"), "{}", refused.0.message);
        // Beside a v2 signature a v1 entry is ignored.
        let both = format!("{v1},{}", good("k"));
        assert!(verify(KEY, headers(&ts, &both, Some("k")), true, "POST", PATH, b"{}", NOW).is_ok());
    }

    #[test]
    fn candidates_are_bounded_and_well_formed() {
        let ts = NOW.to_string();
        let wrong = format!("v2={}", "0".repeat(64));
        let four = format!("{wrong},{wrong},{wrong},{}", good("k"));
        assert!(
            verify(KEY, headers(&ts, &four, Some("k")), true, "POST", PATH, b"{}", NOW).is_ok(),
            "any one may match"
        );
        let five = format!("{wrong},{four}");
        assert_eq!(
            code(verify(
                KEY,
                headers(&ts, &five, Some("k")),
                true,
                "POST",
                PATH,
                b"{}",
                NOW
            )),
            ErrorCode::InvalidSignature
        );
        for bad in ["v2=deadbeef", "v2=zz", &format!("v2={}", "a".repeat(66)), "", "v3=00"] {
            assert_eq!(
                code(verify(
                    KEY,
                    headers(&ts, bad, Some("k")),
                    true,
                    "POST",
                    PATH,
                    b"{}",
                    NOW
                )),
                ErrorCode::InvalidSignature,
                "{bad}"
            );
        }
    }

    #[test]
    fn refusals() {
        let ts = NOW.to_string();
        let good = good("k");
        let check = |key: &[u8], ts: &str, method: &str, path: &str, body: &[u8], now: i64| {
            verify(key, headers(ts, &good, Some("k")), true, method, path, body, now)
        };
        assert_eq!(
            code(verify(
                KEY,
                SignedHeaders {
                    signature: Some(&good),
                    ..Default::default()
                },
                true,
                "POST",
                PATH,
                b"{}",
                NOW
            )),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(check(KEY, &ts, "POST", PATH, b"{ }", NOW)),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(check(KEY, &ts, "POST", "/api/v1/orders?x=1", b"{}", NOW)),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(check(KEY, &ts, "PUT", PATH, b"{}", NOW)),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(check(b"other key", &ts, "POST", PATH, b"{}", NOW)),
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            code(check(KEY, &ts, "POST", PATH, b"{}", NOW + 301)),
            ErrorCode::TimestampOutOfRange
        );
        assert!(check(KEY, &ts, "POST", PATH, b"{}", NOW + 300).is_ok());
        assert!(check(KEY, &ts, "POST", PATH, b"{}", NOW - 300).is_ok());
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
                code(check(KEY, extreme, "POST", PATH, b"{}", NOW)),
                ErrorCode::TimestampOutOfRange,
                "{extreme}"
            );
        }
        assert_eq!(
            code(check(KEY, "0", "POST", PATH, b"{}", i64::MIN)),
            ErrorCode::TimestampOutOfRange,
            "a clock at the edge does not overflow either"
        );
    }
}

#[cfg(test)]
mod guide_tests {
    use app::pages::portal::api_settings::{
        EXAMPLE_BODY, EXAMPLE_IDEMPOTENCY_KEY, EXAMPLE_SECRET, EXAMPLE_SIGNATURE, EXAMPLE_TIMESTAMP,
    };

    /// The worked example on the portal's API Settings page is right.
    #[test]
    fn the_signing_guide_example_verifies() {
        let key = app::api_access::service::secret_bytes(EXAMPLE_SECRET).unwrap();
        let sig = super::sign(
            &key,
            EXAMPLE_TIMESTAMP,
            "POST",
            "/api/v1/orders",
            EXAMPLE_IDEMPOTENCY_KEY,
            EXAMPLE_BODY.as_bytes(),
        );
        assert_eq!(sig, EXAMPLE_SIGNATURE);
    }

    /// So are its signed change and cancellation.
    #[test]
    fn the_guide_change_and_cancel_examples_verify() {
        use app::pages::portal::api_settings::{CANCEL_EXAMPLE, CHANGE_EXAMPLE};
        let key = app::api_access::service::secret_bytes(EXAMPLE_SECRET).unwrap();
        for e in [CHANGE_EXAMPLE, CANCEL_EXAMPLE] {
            let sig = super::sign(
                &key,
                EXAMPLE_TIMESTAMP,
                "POST",
                e.path,
                e.idempotency_key,
                e.body.as_bytes(),
            );
            assert_eq!(sig, e.signature, "{}", e.path);
        }
    }
}
