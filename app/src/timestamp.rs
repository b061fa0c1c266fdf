//! Points in time: UTC, microsecond precision (what both databases keep),
//! RFC 3339 on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[cfg(feature = "ssr")]
crate::openapi::value_schema!(Timestamp, crate::openapi::date_time("A point in time, UTC (RFC 3339)."));

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(OffsetDateTime::UNIX_EPOCH);

    /// Now, truncated to microseconds so a value read back from either
    /// database equals the one written.
    #[cfg(feature = "ssr")]
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let at = at.to_offset(time::UtcOffset::UTC);
        let micros = at.microsecond();
        Self(at.replace_microsecond(micros).unwrap_or(at))
    }

    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .ok()
            .map(Self)
    }

    pub fn unix_micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        OffsetDateTime::parse(raw.trim(), &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }

    /// An RFC 3339 time, or a date alone (`2026-11-26`), which is the
    /// start of that day (UTC).
    pub fn parse_date_or_rfc3339(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.len() == 10 {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(raw, &format).ok()?;
            return Some(Self::from_datetime(date.midnight().assume_utc()));
        }
        Self::parse_rfc3339(raw)
    }

    pub fn rfc3339(self) -> String {
        self.0.format(&Rfc3339).unwrap_or_default()
    }

    pub fn plus(self, duration: time::Duration) -> Self {
        Self(self.0 + duration)
    }

    pub fn minus(self, duration: time::Duration) -> Self {
        Self(self.0 - duration)
    }

    /// `2026-11-26 14:05 UTC`, for tables.
    pub fn short(self) -> String {
        let d = self.0;
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute()
        )
    }

    /// `2026-11-26`, for dates without a time of day.
    pub fn date(self) -> String {
        let d = self.0;
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&raw).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-26T14:05:06.123456Z").unwrap();
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()), Some(t));
        assert_eq!(t.short(), "2026-11-26 14:05 UTC");
        assert_eq!(t.rfc3339(), "2026-11-26T14:05:06.123456Z");
    }

    #[test]
    fn dates_are_the_start_of_their_day() {
        let day = Timestamp::parse_date_or_rfc3339("2026-11-26").unwrap();
        assert_eq!(day.rfc3339(), "2026-11-26T00:00:00Z");
        assert!(Timestamp::parse_date_or_rfc3339("2026-11-26T10:00:00Z").is_some());
        for bad in ["2026-13-01", "0001-01-0", "26-11-2026", ""] {
            assert!(Timestamp::parse_date_or_rfc3339(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn nanoseconds_are_dropped() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let t = Timestamp::from_datetime(at);
        assert_eq!(t.unix_micros(), 1_700_000_000_123_456);
    }
}
