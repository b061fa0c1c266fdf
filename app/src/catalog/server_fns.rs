//! Catalogue entry points for the admin panel (operators only).

use super::Product;
use crate::error::AppError;
use crate::provisioning::{ModuleConfig, ModuleView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Every product, active or not, with its retail prices.
#[server(prefix = "/api/fn")]
pub async fn admin_list_products() -> Result<Vec<Product>, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _operator) = session::require(Role::Operator).await?;
            super::service::list_products(&state.store).await
        }
        .await,
    )
}

/// The installation currency's code, for showing amounts.
#[server(prefix = "/api/fn")]
pub async fn currency() -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    Ok(state.settings.currency.code().to_owned())
}

/// One product with its provisioning settings: the operator's product page
/// is the one place they are shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub product: Product,
    pub provisioning: Option<ModuleConfig>,
    /// Whether a signing secret exists (it is never shown again).
    pub module: ModuleView,
}

/// A product as saved, with the provisioning signing secret when the save
/// made one (an `http` product's first): shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedProduct {
    pub product: Product,
    pub secret: Option<String>,
}

#[server(prefix = "/api/fn")]
pub async fn admin_product(id: String) -> Result<ProductDetail, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            let product = super::service::product(&state.store, &id).await?;
            let provisioning = super::service::provisioning(&state.store, &state.settings.secrets_key, &id).await?;
            let module = super::service::module(&state.store, &id).await?;
            Ok(ProductDetail {
                product,
                provisioning,
                module,
            })
        }
        .await,
    )
}

/// Creates (`id` empty) or updates a product. Provisioning settings are a
/// JSON object; left blank on an update, the stored ones are kept.
#[server(prefix = "/api/fn")]
pub async fn save_product(
    id: Option<String>,
    name: String,
    slug: String,
    kind: String,
    description: Option<String>,
    is_active: Option<String>,
    retail_monthly: Option<String>,
    retail_quarterly: Option<String>,
    retail_semi_annual: Option<String>,
    retail_annual: Option<String>,
    retail_hourly: Option<String>,
    retail_setup_fee: Option<String>,
    provisioning_module: Option<String>,
    provisioning_url: Option<String>,
    provisioning_settings: Option<String>,
) -> Result<SavedProduct, AppError> {
    use super::{ProductDraft, ProductForm, service};
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let draft = ProductDraft::try_from(ProductForm {
                name,
                slug,
                kind,
                description: description.unwrap_or_default(),
                is_active: is_active.is_some(),
                retail_monthly,
                retail_quarterly,
                retail_semi_annual,
                retail_annual,
                retail_hourly,
                retail_setup_fee,
            })?;
            let provisioning = crate::provisioning::parse_form(
                provisioning_module.as_deref(),
                provisioning_url.as_deref(),
                provisioning_settings.as_deref(),
            )?;
            let actor = Actor::user(&operator);
            let saved = match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(raw) => {
                    let id = crate::ids::parse_id("id", raw)?;
                    service::update_product(
                        &state.store,
                        &state.settings.secrets_key,
                        &actor,
                        &id,
                        draft,
                        provisioning,
                    )
                    .await
                }
                None => {
                    service::create_product(&state.store, &state.settings.secrets_key, &actor, draft, provisioning)
                        .await
                }
            }?;
            Ok(SavedProduct {
                product: saved.product,
                secret: saved.secret,
            })
        }
        .await,
    )
}

/// A new provisioning signing secret for the product, shown this once.
#[server(prefix = "/api/fn")]
pub async fn rotate_provisioning_secret(id: String) -> Result<String, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            let actor = crate::audit::Actor::user(&operator);
            super::service::rotate_provisioning_secret(&state.store, &state.settings.secrets_key, &actor, &id).await
        }
        .await,
    )
}
