//! The service page's "Cancel service" and "Change plan", for a client
//! (its own services) and the operator (any reseller's, on its behalf):
//! the same use cases as the partner API.

use super::{Cancelled, Change, ChangePlan};
use crate::{error::AppError, money::Money, services::Service, terms::BillingTerm};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the page offers: the refund a cancellation now would give, and
/// the products and terms the service may change to (the reseller's book).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeOptions {
    pub refund_now: Money,
    /// The service's own product first.
    pub products: Vec<ProductChoice>,
    pub currency: String,
}

/// A product of the reseller's book and its priced terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductChoice {
    pub id: String,
    pub name: String,
    pub prices: Vec<(BillingTerm, Money)>,
}

/// The caller, owned: a client acts for its reseller, an operator for any.
#[cfg(feature = "ssr")]
struct Who {
    actor: crate::audit::Actor,
    reseller: Option<crate::ids::ResellerId>,
}

#[cfg(feature = "ssr")]
impl Who {
    fn caller(&self) -> super::service::Caller<'_> {
        use super::service::Caller;
        match &self.reseller {
            Some(r) => Caller::Client(r, &self.actor),
            None => Caller::Operator(&self.actor),
        }
    }
}

/// The signed-in client (with a reseller profile) or operator.
#[cfg(feature = "ssr")]
async fn who() -> Result<(crate::state::AppState, Who), AppError> {
    use crate::accounts::{Role, session};
    let user = session::current_user().await?.ok_or_else(AppError::unauthenticated)?;
    let actor = crate::audit::Actor::user(&user);
    match user.role {
        Role::Operator => Ok((crate::state::app_state()?, Who { actor, reseller: None })),
        Role::Client => {
            let (state, _, reseller) = session::require_reseller().await?;
            Ok((
                state,
                Who {
                    actor,
                    reseller: Some(reseller.id),
                },
            ))
        }
    }
}

#[cfg(feature = "ssr")]
fn service_id(raw: &str) -> Result<crate::ids::ServiceId, AppError> {
    crate::ids::parse_id("service_id", raw)
}

/// The page's choices for one service.
#[server(prefix = "/api/fn")]
pub async fn change_choices(service_id: String) -> Result<ChangeOptions, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            let id = self::service_id(&service_id)?;
            let (service, reseller) = super::service::owned(&state.store, who.caller(), &id).await?;
            let reseller = crate::resellers::service::get(&state.store, &reseller).await?;
            let mut products: Vec<_> = crate::price_book::service::catalog_for(&state.store, &reseller, None)
                .await?
                .into_iter()
                .map(|p| ProductChoice {
                    id: p.id.to_string(),
                    prices: p.prices.priced().collect(),
                    name: p.name,
                })
                .collect();
            products.sort_by_key(|p| p.id != service.product_id.as_str());
            Ok(ChangeOptions {
                refund_now: super::cancel_refund(&service, state.settings.cancel_refund, state.store.now()),
                products,
                currency: state.settings.currency.code().to_owned(),
            })
        }
        .await,
    )
}

/// "Cancel service": `when` is `end_of_term` or `immediately`.
#[server(prefix = "/api/fn")]
pub async fn cancel_service(service_id: String, when: String, reason: Option<String>) -> Result<Cancelled, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            let id = self::service_id(&service_id)?;
            let when = when
                .parse()
                .map_err(|_| AppError::validation("when", "Choose at the end of the term or immediately."))?;
            let cancellation = super::CancelRequest { when, reason }.validate()?;
            super::service::cancel(&state.store, &state.settings, who.caller(), &id, &cancellation).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn withdraw_service_cancellation(service_id: String) -> Result<Service, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            super::service::withdraw_cancellation(&state.store, who.caller(), &self::service_id(&service_id)?).await
        }
        .await,
    )
}

/// The change request of a form: blank means "keep".
#[cfg(feature = "ssr")]
fn change_request(product_id: Option<String>, term: Option<String>) -> Result<super::ChangeRequest, AppError> {
    use crate::lists::optional;
    Ok(super::ChangeRequest {
        product_id: optional("product_id", product_id.as_deref(), |p| p.parse().ok())?,
        term: optional("term", term.as_deref(), BillingTerm::parse)?,
    })
}

/// "Preview": what the change would do now.
#[server(prefix = "/api/fn")]
pub async fn preview_service_change(
    service_id: String,
    product_id: Option<String>,
    term: Option<String>,
) -> Result<ChangePlan, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            let request = change_request(product_id, term)?;
            super::service::preview(&state.store, who.caller(), &self::service_id(&service_id)?, &request).await
        }
        .await,
    )
}

/// "Confirm change".
#[server(prefix = "/api/fn")]
pub async fn change_service(
    service_id: String,
    product_id: Option<String>,
    term: Option<String>,
) -> Result<Change, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            let request = change_request(product_id, term)?;
            super::service::change(&state.store, who.caller(), &self::service_id(&service_id)?, &request).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn")]
pub async fn withdraw_service_change(service_id: String) -> Result<Service, AppError> {
    crate::accounts::session::respond(
        async {
            let (state, who) = who().await?;
            super::service::withdraw_change(&state.store, who.caller(), &self::service_id(&service_id)?).await
        }
        .await,
    )
}
