//! How domain values are stored, per database. This is where the two
//! databases differ in representation, and the only place:
//!
//! | value       | SQLite                          | PostgreSQL      |
//! |-------------|---------------------------------|-----------------|
//! | `Money`     | INTEGER, ten-thousandths        | NUMERIC(18,4)   |
//! | `Percent`   | INTEGER, hundredths             | NUMERIC(5,2)    |
//! | `Timestamp` | INTEGER, microseconds since 1970 | TIMESTAMPTZ    |
//!
//! SQLite has no exact decimal type (its NUMERIC affinity rounds through
//! floating point), so money is a scaled integer there: exact, and `SUM`
//! stays exact. Timestamps as integers sort and compare correctly, which
//! SQLite's text dates with variable fractional seconds do not.

use crate::{
    money::{Amount, Money, Percent},
    timestamp::Timestamp,
};
use rust_decimal::Decimal;
use sqlx::{
    Decode, Encode, Postgres, Sqlite, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef},
    sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef},
};
use time::OffsetDateTime;

// ---- Money -----------------------------------------------------------------

impl Type<Sqlite> for Money {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Money {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.to_ten_thousandths(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Money {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let units = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Money::from_ten_thousandths(units))
    }
}

impl Type<Postgres> for Money {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Money {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<Postgres>>::encode(self.amount(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Money {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let amount = <Decimal as Decode<Postgres>>::decode(value)?;
        Ok(Money::new(amount)?)
    }
}

// ---- Amount (sums; SQLite: ten-thousandths, PostgreSQL: NUMERIC) ----------

impl Type<Sqlite> for Amount {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Amount {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        // Checked: an amount beyond what the column holds is an error the
        // write reports, never a panic (inputs are bounded before this).
        let scaled = self
            .value()
            .checked_mul(Decimal::from(10_000))
            .ok_or("amount too large to store")?;
        let units = i64::try_from(scaled.trunc())?;
        <i64 as Encode<Sqlite>>::encode(units, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Amount {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Amount::from_ten_thousandths(<i64 as Decode<Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for Amount {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Amount {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<Postgres>>::encode(self.value(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Amount {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Amount::new(<Decimal as Decode<Postgres>>::decode(value)?)?)
    }
}

// ---- Percent ---------------------------------------------------------------

impl Type<Sqlite> for Percent {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Percent {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        let hundredths = i64::try_from((self.value() * Decimal::ONE_HUNDRED).trunc())?;
        <i64 as Encode<Sqlite>>::encode(hundredths, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Percent {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let hundredths = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Percent::new(Decimal::new(hundredths, 2))?)
    }
}

impl Type<Postgres> for Percent {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Percent {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <Decimal as Encode<Postgres>>::encode(self.value(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Percent {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Percent::new(<Decimal as Decode<Postgres>>::decode(value)?)?)
    }
}

// ---- Timestamp -------------------------------------------------------------

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.unix_micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Timestamp::from_unix_micros(micros).ok_or_else(|| "timestamp out of range".into())
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode(self.datetime(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let at = <OffsetDateTime as Decode<Postgres>>::decode(value)?;
        Ok(Timestamp::from_datetime(at))
    }
}

// ---- Names (wire enums stored as their name, nullable columns too) --------

/// Stores a [`crate::wire_enum!`] as its name (TEXT on both databases), so
/// that an `Option` of it reads a nullable column.
macro_rules! stored_as_name {
    ($name:ty) => {
        impl Type<Sqlite> for $name {
            fn type_info() -> SqliteTypeInfo {
                <&str as Type<Sqlite>>::type_info()
            }
        }

        impl Encode<'_, Sqlite> for $name {
            fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Sqlite>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, Sqlite> for $name {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&str as Decode<Sqlite>>::decode(value)?.parse::<$name>()?)
            }
        }

        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <&str as Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <&str as Type<Postgres>>::compatible(ty)
            }
        }

        impl Encode<'_, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $name {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&str as Decode<Postgres>>::decode(value)?.parse::<$name>()?)
            }
        }
    };
}

stored_as_name!(crate::services::SuspensionReason);
