//! Browser entry points for the price book: the operator's grid on a
//! reseller's page, and the reseller's own catalogue.

#[cfg(feature = "ssr")]
use super::PriceRowDraft;
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
            let line = service::put_row(
                &state.store,
                &state.settings,
                &Actor::user(&operator),
                &reseller,
                &product,
                draft,
                Default::default(),
            )
            .await?;
            line.row.ok_or_else(|| AppError::not_found("price book row"))
        }
        .await,
    )
}

/// A scheduled change as typed into "Schedule a change": the date, the
/// policy and the new prices (blank: the term is not sold from then).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleForm {
    pub reseller_id: String,
    pub product_id: String,
    pub effective_from: String,
    pub existing_services: String,
    #[serde(default)]
    pub wholesale_monthly: Option<String>,
    #[serde(default)]
    pub wholesale_quarterly: Option<String>,
    #[serde(default)]
    pub wholesale_semi_annual: Option<String>,
    #[serde(default)]
    pub wholesale_annual: Option<String>,
    #[serde(default)]
    pub wholesale_hourly: Option<String>,
    #[serde(default)]
    pub wholesale_setup_fee: Option<String>,
}

#[cfg(feature = "ssr")]
impl ScheduleForm {
    /// The ids, the version's date and what it says, validated.
    fn parse(
        self,
    ) -> Result<
        (
            crate::ids::ResellerId,
            crate::ids::ProductId,
            crate::timestamp::Timestamp,
            super::VersionDraft,
        ),
        AppError,
    > {
        use super::{PriceRowDraft, PriceRowInput, versions::Schedule};
        let reseller = crate::ids::parse_id("reseller_id", &self.reseller_id)?;
        let product = crate::ids::parse_id("product_id", &self.product_id)?;
        let schedule = Schedule::parse(Some(&self.effective_from), Some(&self.existing_services))?;
        let at = schedule
            .effective_from
            .ok_or_else(|| AppError::validation("effective_from", "Choose the date the new prices take effect."))?;
        let row = PriceRowDraft::try_from(PriceRowInput {
            wholesale_monthly: self.wholesale_monthly,
            wholesale_quarterly: self.wholesale_quarterly,
            wholesale_semi_annual: self.wholesale_semi_annual,
            wholesale_annual: self.wholesale_annual,
            wholesale_hourly: self.wholesale_hourly,
            wholesale_setup_fee: self.wholesale_setup_fee,
            ..PriceRowInput::default()
        })?;
        let draft = super::VersionDraft {
            prices: row.prices,
            setup_fee: row.setup_fee,
            existing_services: schedule.existing_services,
        };
        Ok((reseller, product, at, draft))
    }
}

/// Operators: what a scheduled change would do to the services already
/// sold (services affected, monthly wholesale revenue). Saves nothing.
#[server(prefix = "/api/fn")]
pub async fn preview_price_change(form: ScheduleForm) -> Result<super::Impact, AppError> {
    use super::service;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let (reseller, product, _, draft) = form.parse()?;
            service::impact(&state.store, &reseller, &product, &draft).await
        }
        .await,
    )
}

/// Operators: schedules the change (or, with `version_id`, changes that
/// scheduled version).
#[server(prefix = "/api/fn")]
pub async fn schedule_price_change(form: ScheduleForm, version_id: Option<String>) -> Result<GridLine, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let actor = Actor::user(&operator);
            let (reseller, product, at, draft) = form.parse()?;
            match version_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(raw) => {
                    let id = crate::ids::parse_id("version_id", raw)?;
                    service::change_version(
                        &state.store,
                        &state.settings,
                        &actor,
                        &reseller,
                        &product,
                        &id,
                        draft,
                        at,
                    )
                    .await
                }
                None => {
                    let schedule = super::versions::Schedule {
                        effective_from: Some(at),
                        existing_services: draft.existing_services,
                    };
                    let current = service::row(&state.store, &reseller, &product).await.ok();
                    let row = PriceRowDraft {
                        prices: draft.prices,
                        setup_fee: draft.setup_fee,
                        ..current
                            .and_then(|line| line.row)
                            .map(|row| row.draft())
                            .unwrap_or(PriceRowDraft {
                                is_enabled: true,
                                ..PriceRowDraft::default()
                            })
                    };
                    service::put_row(
                        &state.store,
                        &state.settings,
                        &actor,
                        &reseller,
                        &product,
                        row,
                        schedule,
                    )
                    .await
                }
            }
        }
        .await,
    )
}

/// Operators: withdraws a scheduled version.
#[server(prefix = "/api/fn")]
pub async fn withdraw_price_version(
    reseller_id: String,
    product_id: String,
    version_id: String,
) -> Result<GridLine, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let reseller = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let product = crate::ids::parse_id("product_id", &product_id)?;
            let id = crate::ids::parse_id("version_id", &version_id)?;
            service::withdraw_version(&state.store, &Actor::user(&operator), &reseller, &product, &id).await
        }
        .await,
    )
}

/// A bulk change as typed: `scope` is `product` or `reseller`, `scope_id`
/// its id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkForm {
    pub scope: String,
    pub scope_id: String,
    pub percent: String,
    pub effective_from: String,
    pub existing_services: String,
}

#[cfg(feature = "ssr")]
impl BulkForm {
    fn parse(self) -> Result<super::versions::BulkChange, AppError> {
        use super::versions::{BulkChange, BulkScope};
        let scope = match self.scope.trim() {
            "product" => BulkScope::Product(crate::ids::parse_id("scope_id", &self.scope_id)?),
            "reseller" => BulkScope::Reseller(crate::ids::parse_id("scope_id", &self.scope_id)?),
            _ => {
                return Err(AppError::validation(
                    "scope",
                    "Choose one product across every reseller, or one reseller's whole book.",
                ));
            }
        };
        let percent = super::versions::parse_percent(&self.percent)?;
        let schedule = super::versions::Schedule::parse(Some(&self.effective_from), Some(&self.existing_services))?;
        let effective_from = schedule
            .effective_from
            .ok_or_else(|| AppError::validation("effective_from", "Choose the date the new prices take effect."))?;
        Ok(BulkChange {
            scope,
            percent,
            effective_from,
            existing_services: schedule.existing_services,
        })
    }
}

/// Operators: every row a bulk change would schedule, before and after.
#[server(prefix = "/api/fn")]
pub async fn preview_bulk_price_change(form: BulkForm) -> Result<Vec<super::versions::BulkLine>, AppError> {
    use super::service;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            service::bulk_preview(&state.store, &form.parse()?).await
        }
        .await,
    )
}

/// Operators: schedules the bulk change (all rows or none).
#[server(prefix = "/api/fn")]
pub async fn bulk_price_change(form: BulkForm) -> Result<Vec<super::versions::BulkLine>, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            service::bulk_schedule(&state.store, &state.settings, &Actor::user(&operator), &form.parse()?).await
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
                Some(r) => service::catalog_for(&state.store, r, None).await?,
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
