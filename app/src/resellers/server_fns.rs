//! Browser entry points for reseller profiles: the operator's list, detail
//! and actions; the client's application and programme overview.

use super::{LifecycleAction, Reseller};
use crate::{audit::AuditEntry, error::AppError, lists::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per page in the operator's list.
pub const PAGE_SIZE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResellerDetail {
    pub reseller: Reseller,
    /// Who approved it, by email (or admin token name).
    pub approved_by: Option<String>,
    pub actions: Vec<LifecycleAction>,
    pub history: Vec<AuditEntry>,
}

/// The operator's list: each profile with its account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResellerList {
    pub page: Page<Reseller>,
    /// One per profile, in the same order.
    pub balances: Vec<crate::billing::Balance>,
}

/// Operators: profiles by status and search, oldest first (or, with
/// `sort=balance`, lowest balance first).
#[server(prefix = "/api/fn")]
pub async fn admin_list_resellers(
    status: Option<String>,
    search: Option<String>,
    after: Option<String>,
    sort: Option<String>,
) -> Result<ResellerList, AppError> {
    use super::{ResellerFilter, service};
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter =
                ResellerFilter::parse(status.as_deref(), search.as_deref(), after.as_deref(), Some(PAGE_SIZE))?
                    .sorted(sort.as_deref())?;
            let page = service::list(&state.store, &filter).await?;
            let ids: Vec<_> = page.data.iter().map(|r| r.id.clone()).collect();
            let balances =
                crate::billing::service::balances_of(&state.store, state.settings.currency.code(), &ids).await?;
            Ok(ResellerList { page, balances })
        }
        .await,
    )
}

/// Operators: every reseller's id and company name, by name, for the
/// reseller choice of the Webhooks and API logs filters.
#[server(prefix = "/api/fn")]
pub async fn admin_reseller_names() -> Result<Vec<(String, String)>, AppError> {
    use super::{ResellerFilter, service};
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let filter = ResellerFilter {
                page: crate::lists::PageRequest::first(NAME_CHOICES),
                ..ResellerFilter::default()
            };
            let mut names: Vec<(String, String)> = service::list(&state.store, &filter)
                .await?
                .data
                .into_iter()
                .map(|r| (r.id.to_string(), r.company_name))
                .collect();
            names.sort_by_cached_key(|(_, name)| name.to_lowercase());
            Ok(names)
        }
        .await,
    )
}

/// How many resellers the filters' choice lists (beyond it, filter by id
/// in the URL: `?reseller_id=rsl_...`).
pub const NAME_CHOICES: u32 = 500;

/// Operators: one profile, the actions open to it and its history.
#[server(prefix = "/api/fn")]
pub async fn admin_reseller(id: String) -> Result<ResellerDetail, AppError> {
    use super::{possible_actions, service};
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            let reseller = service::get(&state.store, &id).await?;
            let history = service::history(&state.store, &id).await?;
            Ok(ResellerDetail {
                approved_by: service::approved_by(&state.store, &id).await?,
                actions: possible_actions(reseller.status),
                reseller,
                history,
            })
        }
        .await,
    )
}

/// Operators: approve, suspend, reactivate or terminate.
#[server(prefix = "/api/fn")]
pub async fn reseller_action(
    reseller_id: String,
    action: LifecycleAction,
    reason: Option<String>,
) -> Result<Reseller, AppError> {
    use super::service;
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            service::change_status(&state.store, &Actor::user(&operator), &id, action, reason.as_deref()).await
        }
        .await,
    )
}

/// Operators: API access, rate limit and default discount (one form; an
/// unchecked "API access" box is absent from the form, hence off).
#[server(prefix = "/api/fn")]
pub async fn update_reseller_settings(
    reseller_id: String,
    api_enabled: Option<String>,
    rate_limit: String,
    default_discount_rate: String,
) -> Result<Reseller, AppError> {
    use super::{ResellerPatch, parse_discount_rate, service};
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let rate_limit = rate_limit
                .trim()
                .parse::<i64>()
                .map_err(|_| AppError::validation("rate_limit", "Enter the rate limit as a whole number."))?;
            let patch = ResellerPatch {
                api_enabled: Some(api_enabled.is_some()),
                rate_limit: Some(rate_limit),
                default_discount_rate: Some(parse_discount_rate("default_discount_rate", &default_discount_rate)?),
            };
            service::update_settings(&state.store, &Actor::user(&operator), &id, patch).await
        }
        .await,
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteOutcome {
    pub reseller: Reseller,
    /// The one-time password link to hand to the person (new accounts).
    pub invitation_url: Option<String>,
}

/// Operators: invite a person to the programme (a pending profile).
#[server(prefix = "/api/fn")]
pub async fn invite_reseller(
    email: String,
    contact_name: Option<String>,
    company_name: String,
    default_discount_rate: Option<String>,
    rate_limit: Option<String>,
) -> Result<InviteOutcome, AppError> {
    use super::{parse_discount_rate, service};
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let rate = match default_discount_rate
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(raw) => Some(parse_discount_rate("default_discount_rate", raw)?),
                None => None,
            };
            let limit = match rate_limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(raw) => Some(
                    raw.parse::<i64>()
                        .map_err(|_| AppError::validation("rate_limit", "Enter the rate limit as a whole number."))?,
                ),
                None => None,
            };
            let invited = service::invite(
                &state.store,
                &Actor::user(&operator),
                service::Invitation {
                    email,
                    contact_name: contact_name.filter(|n| !n.trim().is_empty()),
                    company_name,
                    default_discount_rate: rate,
                    rate_limit: limit,
                },
            )
            .await?;
            Ok(InviteOutcome {
                reseller: invited.reseller,
                invitation_url: invited
                    .invitation_path
                    .map(|path| format!("{}{path}", state.settings.public_url)),
            })
        }
        .await,
    )
}

/// What the portal's Program overview shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub reseller: Option<Reseller>,
    pub currency: String,
    pub rate_limit_window_secs: u64,
}

/// Clients: their own profile, if they applied.
#[server(prefix = "/api/fn")]
pub async fn my_program() -> Result<Program, AppError> {
    use super::service;
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, client) = session::require(Role::Client).await?;
            Ok(Program {
                reseller: service::for_user(&state.store, &client).await?,
                currency: state.settings.currency.code().to_owned(),
                rate_limit_window_secs: state.settings.rate_limit_window_secs,
            })
        }
        .await,
    )
}

/// Clients: apply to the reseller programme.
#[server(prefix = "/api/fn")]
pub async fn apply_to_program(
    company_name: String,
    website: Option<String>,
    message: Option<String>,
) -> Result<Reseller, AppError> {
    use super::{Application, service};
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, client) = session::require(Role::Client).await?;
            let application = Application::parse(&company_name, website.as_deref(), message.as_deref())?;
            service::apply(&state.store, &client, application).await
        }
        .await,
    )
}
