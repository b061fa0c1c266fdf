//! The operator's catalogue: products with retail prices per term and, kept
//! apart, the provisioning settings that only operators ever see.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::{
    error::{AppError, AppResult},
    ids::ProductId,
    money::Money,
    terms::TermPrices,
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};

crate::wire_enum! {
    pub enum ProductKind {
        Vps,
        GameServer,
        SharedHosting,
        BareMetal,
    }
}

impl ProductKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Vps => "VPS",
            Self::GameServer => "Game server",
            Self::SharedHosting => "Shared hosting",
            Self::BareMetal => "Bare metal",
        }
    }

    pub fn parse(raw: &str) -> AppResult<Self> {
        raw.trim().parse().ok().ok_or_else(|| {
            AppError::validation("kind", "Choose a kind: vps, game_server, shared_hosting or bare_metal.")
        })
    }
}

impl TryFrom<String> for ProductKind {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).map_err(|e| e.message)
    }
}

/// A product as operators and resellers may see it: no provisioning data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub slug: String,
    pub kind: ProductKind,
    pub description: String,
    pub is_active: bool,
    pub retail: TermPrices,
    pub retail_setup_fee: Money,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A URL-safe product handle: `vps-small`, `minecraft-4gb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let slug = raw.trim();
        let ok = (2..=64).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if !ok {
            return Err(AppError::validation(
                "slug",
                "Use 2 to 64 lower-case letters, digits and single hyphens, e.g. vps-small.",
            ));
        }
        Ok(Slug(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated product definition, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub slug: Slug,
    pub kind: ProductKind,
    pub description: String,
    pub is_active: bool,
    pub retail: TermPrices,
    pub retail_setup_fee: Money,
}

/// What a form or an API call sends to create or edit a product; amounts as
/// decimal strings, empty meaning "not sold on this term".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    pub name: String,
    pub slug: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub retail_monthly: Option<String>,
    #[serde(default)]
    pub retail_quarterly: Option<String>,
    #[serde(default)]
    pub retail_semi_annual: Option<String>,
    #[serde(default)]
    pub retail_annual: Option<String>,
    #[serde(default)]
    pub retail_hourly: Option<String>,
    #[serde(default)]
    pub retail_setup_fee: Option<String>,
}

fn yes() -> bool {
    true
}

impl TryFrom<ProductForm> for ProductDraft {
    type Error = AppError;

    fn try_from(form: ProductForm) -> AppResult<Self> {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(AppError::validation(
                "name",
                "Enter a product name of 1 to 120 characters.",
            ));
        }
        let retail = TermPrices {
            monthly: crate::money::parse_optional_money("retail_monthly", form.retail_monthly.as_deref())?,
            quarterly: crate::money::parse_optional_money("retail_quarterly", form.retail_quarterly.as_deref())?,
            semi_annual: crate::money::parse_optional_money("retail_semi_annual", form.retail_semi_annual.as_deref())?,
            annual: crate::money::parse_optional_money("retail_annual", form.retail_annual.as_deref())?,
            hourly: crate::money::parse_optional_money("retail_hourly", form.retail_hourly.as_deref())?,
        };
        Ok(ProductDraft {
            name: name.to_owned(),
            slug: Slug::parse(&form.slug)?,
            kind: ProductKind::parse(&form.kind)?,
            description: form.description.trim().to_owned(),
            is_active: form.is_active,
            retail,
            retail_setup_fee: crate::money::parse_optional_money("retail_setup_fee", form.retail_setup_fee.as_deref())?
                .unwrap_or(Money::ZERO),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProductForm {
        ProductForm {
            name: "VPS Small".into(),
            slug: "vps-small".into(),
            kind: "vps".into(),
            is_active: true,
            retail_monthly: Some("9.99".into()),
            retail_hourly: Some("0.0150".into()),
            retail_quarterly: Some(" ".into()),
            ..ProductForm::default()
        }
    }

    #[test]
    fn a_valid_form_becomes_a_draft() {
        let d = ProductDraft::try_from(form()).unwrap();
        assert_eq!(d.retail.monthly.unwrap().to_string(), "9.99");
        assert_eq!(d.retail.quarterly, None);
        assert_eq!(d.retail.hourly.unwrap().to_string(), "0.015");
        assert_eq!(d.retail_setup_fee, Money::ZERO);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = form();
        f.retail_monthly = Some("-1".into());
        assert_eq!(
            ProductDraft::try_from(f).unwrap_err().field.as_deref(),
            Some("retail_monthly")
        );
        let mut f = form();
        f.slug = "Not A Slug".into();
        assert_eq!(ProductDraft::try_from(f).unwrap_err().field.as_deref(), Some("slug"));
        let mut f = form();
        f.kind = "toaster".into();
        assert_eq!(ProductDraft::try_from(f).unwrap_err().field.as_deref(), Some("kind"));
        let mut f = form();
        f.retail_setup_fee = Some("1.00001".into());
        let err = ProductDraft::try_from(f).unwrap_err();
        assert_eq!(
            err.message,
            "Retail setup fee has more than 4 decimal places: write a plain decimal such as 125.00 (at most 4 decimals)."
        );
    }
}
