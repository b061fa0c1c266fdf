//! Typed, prefixed ids: `rsl_01jd...`, `prd_01jd...`.
//!
//! The part after the prefix is a ULID (lower case), so ids sort by creation
//! time and cursor pagination is "everything after this id". Each entity has
//! its own type: an `OrderId` cannot be passed where a `ServiceId` is
//! expected, and a `prd_` id sent where an order id belongs is refused with a
//! clear message instead of a silent miss.

use serde::{Deserialize, Serialize};

const ULID_LEN: usize = 26;

/// Why a string is not an id of the expected kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected an id like `{prefix}_01jd...`")]
pub struct IdError {
    pub prefix: &'static str,
}

/// Parses an id a caller sent, naming the field when it is malformed.
pub fn parse_id<T: std::str::FromStr<Err = IdError>>(field: &str, raw: &str) -> crate::error::AppResult<T> {
    raw.parse()
        .map_err(|e: IdError| crate::error::AppError::validation(field, format!("`{}`: {e}.", raw.trim())))
}

/// ULIDs from one generator per process: strictly increasing, even within
/// one millisecond, so ids sort in creation order.
#[cfg(feature = "ssr")]
fn next_ulid() -> String {
    use std::sync::{Mutex, OnceLock};
    static GENERATOR: OnceLock<Mutex<ulid::Generator>> = OnceLock::new();
    let generator = GENERATOR.get_or_init(|| Mutex::new(ulid::Generator::new()));
    let ulid = generator
        .lock()
        .ok()
        .and_then(|mut g| g.generate().ok())
        // Overflow within one millisecond (2^80 ids): fall back to a fresh one.
        .unwrap_or_else(|| ulid::Ulid::from_datetime(std::time::SystemTime::now()));
    ulid.to_string().to_ascii_lowercase()
}

fn valid_body(body: &str) -> bool {
    body.len() == ULID_LEN
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_lowercase() && !b"ilou".contains(&b)))
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let lower = raw.trim().to_ascii_lowercase();
                match lower.strip_prefix(concat!($prefix, "_")) {
                    Some(body) if valid_body(body) => Ok(Self(lower)),
                    _ => Err(IdError { prefix: $prefix }),
                }
            }

            /// A fresh id; only the server mints ids.
            #[cfg(feature = "ssr")]
            pub fn generate() -> Self {
                Self(format!(concat!($prefix, "_{}"), next_ulid()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        #[cfg(feature = "ssr")]
        crate::openapi::value_schema!(
            $name,
            crate::openapi::string(
                concat!("An id: `", $prefix, "_` and 26 characters (a lowercase ULID)."),
                Some(concat!("^", $prefix, "_[0-9a-hjkmnp-tv-z]{26}$")),
                concat!($prefix, "_01jd8x2m3n4p5q6r7s8t9v0w1x")
            )
        );
    };
}

prefixed_id!(
    /// A user account: operator or client.
    UserId,
    "usr"
);
prefixed_id!(
    /// A reseller profile (one per client that applied).
    ResellerId,
    "rsl"
);
prefixed_id!(ProductId, "prd");
prefixed_id!(
    /// A version of a price-book row's prices.
    PriceVersionId,
    "ppv"
);
prefixed_id!(OrderId, "ord");
prefixed_id!(ServiceId, "svc");
prefixed_id!(
    /// An end customer of a reseller.
    CustomerId,
    "cus"
);
prefixed_id!(
    /// A webhook event.
    EventId,
    "evt"
);
prefixed_id!(
    /// One webhook delivery (an event to one endpoint).
    DeliveryId,
    "dlv"
);
prefixed_id!(
    /// An operator admin API token.
    AdminTokenId,
    "atk"
);
prefixed_id!(
    /// A partner API key.
    ApiKeyId,
    "key"
);
prefixed_id!(
    /// A reseller account's ledger entry (a transaction).
    TransactionId,
    "txn"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_its_own_prefix_only() {
        let body = "01jd8x2m3n4p5q6r7s8t9v0w1x";
        assert!(ProductId::parse(&format!("prd_{body}")).is_ok());
        assert_eq!(ProductId::parse(&format!("ord_{body}")), Err(IdError { prefix: "prd" }));
        assert!(ProductId::parse("prd_short").is_err());
        assert!(ProductId::parse("prd_01jd8x2m3n4p5q6r7s8t9v0w1!").is_err());
    }

    #[test]
    fn parse_normalises_case() {
        let id = OrderId::parse("ORD_01JD8X2M3N4P5Q6R7S8T9V0W1X").unwrap();
        assert_eq!(id.as_str(), "ord_01jd8x2m3n4p5q6r7s8t9v0w1x");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_ids_parse_back_and_increase() {
        let ids: Vec<ServiceId> = (0..1000).map(|_| ServiceId::generate()).collect();
        assert_eq!(ServiceId::parse(ids[0].as_str()).unwrap(), ids[0]);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    }

    #[test]
    fn serde_refuses_foreign_prefixes() {
        let ok: Result<CustomerId, _> = serde_json::from_str("\"cus_01jd8x2m3n4p5q6r7s8t9v0w1x\"");
        assert!(ok.is_ok());
        let bad: Result<CustomerId, _> = serde_json::from_str("\"svc_01jd8x2m3n4p5q6r7s8t9v0w1x\"");
        assert!(bad.is_err());
    }
}
prefixed_id!(
    /// One provisioning action (`create`, `suspend`, ...) for one service;
    /// the endpoint's idempotency key.
    ActionId,
    "pac"
);

prefixed_id!(
    /// A plan or term change of one service: what its `proration` entries
    /// and its `service.changed` event refer to.
    ChangeId,
    "chg"
);
