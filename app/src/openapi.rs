//! OpenAPI schemas of the value types (server only): the wire types derive
//! `utoipa::ToSchema` themselves, so the partner API's document is made from
//! the very types its handlers serialise and cannot drift from them.

use utoipa::openapi::{
    ObjectBuilder, RefOr,
    schema::{KnownFormat, Schema, SchemaFormat, Type},
};

/// A string schema with a pattern and an example.
pub(crate) fn string(description: &str, pattern: Option<&str>, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(pattern)
        .examples([example])
        .into()
}

/// An RFC 3339 date-time string.
pub(crate) fn date_time(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(description))
        .examples(["2026-11-26T14:05:06.123456Z"])
        .into()
}

/// Implements `ToSchema` for a value type with the schema `$schema`.
macro_rules! value_schema {
    ($ty:ty, $schema:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use value_schema;
