//! Browser entry points for the price book: the operator's grid on a
//! reseller's page, and the reseller's own catalogue.

use super::{CatalogItem, GridLine, PriceChange, PriceRow};
use crate::{error::AppError, resellers::ResellerStatus, terms::TermPrices};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceBookView {
    pub lines: Vec<GridLine>,
    pub currency: String,
}

/// Operators: the grid of every product for one reseller.
#[server(prefix = "/api/fn")]
pub async fn admin_price_book(reseller_id: String) -> Result<PriceBookView, AppError> {
    use super::service;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            Ok(PriceBookView {
                lines: service::grid(&state.store, &id).await?,
                currency: state.settings.currency.code().to_owned(),
            })
        }
        .await,
    )
}

/// Operators: save one row of the grid.
#[server(prefix = "/api/fn")]
pub async fn save_price_row(
    reseller_id: String,
    product_id: String,
    wholesale_monthly: Option<String>,
    wholesale_quarterly: Option<String>,
    wholesale_semi_annual: Option<String>,
    wholesale_annual: Option<String>,
    wholesale_hourly: Option<String>,
    wholesale_setup_fee: Option<String>,
    discount_rate_override: Option<String>,
    is_enabled: Option<String>,
    max_quantity: Option<String>,
) -> Result<PriceRow, AppError> {
    use super::{PriceRowDraft, PriceRowInput, service};
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let reseller = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let product = crate::ids::parse_id("product_id", &product_id)?;
            let draft = PriceRowDraft::try_from(PriceRowInput {
                wholesale_monthly,
                wholesale_quarterly,
                wholesale_semi_annual,
                wholesale_annual,
                wholesale_hourly,
                wholesale_setup_fee,
                discount_rate_override,
                // A checkbox: present when ticked.
                is_enabled: Some(is_enabled.is_some()),
                max_quantity,
            })?;
            service::put_row(&state.store, &Actor::user(&operator), &reseller, &product, draft).await
        }
        .await,
    )
}

/// Operators: the terms "Derive from retail" would fill in, with the rate
/// typed in the row (else the reseller's default). Saves nothing.
#[server(prefix = "/api/fn")]
pub async fn preview_derive(
    reseller_id: String,
    product_id: String,
    discount_rate_override: Option<String>,
) -> Result<TermPrices, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        resellers::parse_discount_rate,
    };
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let reseller = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let product = crate::ids::parse_id("product_id", &product_id)?;
            let rate = match discount_rate_override
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(raw) => Some(parse_discount_rate("discount_rate_override", raw)?),
                None => None,
            };
            service::preview_derive(&state.store, &reseller, &product, rate).await
        }
        .await,
    )
}

/// The portal's Products page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogView {
    /// `None` when the client has not applied.
    pub status: Option<ResellerStatus>,
    pub items: Vec<CatalogItem>,
    pub currency: String,
}

/// Clients: their own catalogue (nothing unless active or suspended).
#[server(prefix = "/api/fn")]
pub async fn my_catalog() -> Result<CatalogView, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        resellers::service as resellers,
    };
    session::respond(
        async {
            let (state, client) = session::require(Role::Client).await?;
            let reseller = resellers::for_user(&state.store, &client).await?;
            let items = match &reseller {
                Some(r) => service::catalog_for(&state.store, r).await?,
                None => Vec::new(),
            };
            Ok(CatalogView {
                status: reseller.map(|r| r.status),
                items,
                currency: state.settings.currency.code().to_owned(),
            })
        }
        .await,
    )
}

/// Operators: a reseller's price changes, newest first, with product names.
#[server(prefix = "/api/fn")]
pub async fn admin_price_history(reseller_id: String) -> Result<Vec<(PriceChange, String)>, AppError> {
    use super::service;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let names = crate::catalog::service::list_products(&state.store).await?;
            Ok(service::history(&state.store, &id, None)
                .await?
                .into_iter()
                .map(|change| {
                    let name = names
                        .iter()
                        .find(|p| p.id == change.product_id)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| change.product_id.to_string());
                    (change, name)
                })
                .collect())
        }
        .await,
    )
}
