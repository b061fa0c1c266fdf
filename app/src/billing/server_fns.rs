//! The portal's Billing page and the account on the admin reseller page.

use super::{Balance, BalancePoint, Entry, Month, Statement};
use crate::{error::AppError, lists::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;
/// Days the balance chart covers.
pub const HISTORY_DAYS: i64 = 90;
/// Entries the admin reseller page shows.
pub const LATEST: u32 = 10;

/// An account as a page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub balance: Balance,
    pub entries: Page<Entry>,
    /// Newest first.
    pub months: Vec<Month>,
    pub history: Vec<BalancePoint>,
    /// A fresh token for the "Record payment" form (its Idempotency-Key).
    pub form_token: String,
}

#[cfg(feature = "ssr")]
async fn account_view(
    state: &crate::state::AppState,
    reseller: &crate::ids::ResellerId,
    filter: &super::EntryFilter,
    audience: super::Audience,
) -> Result<AccountView, AppError> {
    use super::service;
    let store = &state.store;
    Ok(AccountView {
        balance: service::balance(store, state.settings.currency.code(), reseller).await?,
        entries: service::transactions(store, reseller, filter, audience).await?,
        months: service::statement_months(store, reseller).await?,
        history: service::balance_history(store, reseller, HISTORY_DAYS).await?,
        form_token: crate::ids::TransactionId::generate().to_string(),
    })
}

/// Lines a statement page shows.
pub const STATEMENT_PAGE: u32 = 100;

/// Clients: their account, entries newest first (optionally one kind).
#[server(prefix = "/api/fn")]
pub async fn my_billing(kind: Option<String>, before: Option<String>) -> Result<AccountView, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let filter = super::EntryFilter::parse(kind.as_deref(), None, None, before.as_deref(), Some(PAGE_SIZE))?;
            account_view(&state, &reseller.id, &filter, super::Audience::Reseller).await
        }
        .await,
    )
}

/// Clients: one page of a month's statement (`after`: the last line of the
/// page before).
#[server(prefix = "/api/fn")]
pub async fn my_statement(month: String, after: Option<String>) -> Result<Statement, AppError> {
    use crate::accounts::session;
    session::respond(
        async {
            let (state, _, reseller) = session::require_reseller().await?;
            let month = Month::parse(&month)?;
            let page = crate::lists::PageRequest::parse(Some(STATEMENT_PAGE), after.as_deref())?;
            let reseller = &reseller.id;
            super::service::statement(
                &state.store,
                &state.settings,
                reseller,
                month,
                &page,
                super::Audience::Reseller,
            )
            .await
        }
        .await,
    )
}

/// Operators: a reseller's account and latest entries.
#[server(prefix = "/api/fn")]
pub async fn admin_account(reseller_id: String) -> Result<AccountView, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            crate::resellers::service::get(&state.store, &id).await?;
            let filter = super::EntryFilter {
                page: crate::lists::PageRequest::first(LATEST),
                ..Default::default()
            };
            account_view(&state, &id, &filter, super::Audience::Operator).await
        }
        .await,
    )
}

/// Operators: one page of a month's statement of a reseller.
#[server(prefix = "/api/fn")]
pub async fn admin_statement(reseller_id: String, month: String, after: Option<String>) -> Result<Statement, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            crate::resellers::service::get(&state.store, &id).await?;
            let month = Month::parse(&month)?;
            let page = crate::lists::PageRequest::parse(Some(STATEMENT_PAGE), after.as_deref())?;
            super::service::statement(
                &state.store,
                &state.settings,
                &id,
                month,
                &page,
                super::Audience::Operator,
            )
            .await
        }
        .await,
    )
}

/// Operators: record money received from a reseller. The form carries a
/// token made when it was drawn, used as the Idempotency-Key: a form sent
/// twice (a double click, a resubmission) records one payment.
#[server(prefix = "/api/fn")]
pub async fn record_payment(
    reseller_id: String,
    amount: String,
    reference: String,
    received_at: Option<String>,
    form_token: Option<String>,
) -> Result<Entry, AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
        idempotency::IdempotencyKey,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            // The form's date field sends a date: the start of that day.
            let payment = super::NewPayment::parse(&amount, Some(&reference), received_at.as_deref())?;
            // The form's token is its Idempotency-Key, held to the same rules.
            let key = crate::lists::blank_to_none(form_token.as_deref())
                .map(|t| IdempotencyKey::parse(Some(&format!("form:{t}"))))
                .transpose()
                .map_err(|e| e.with_field("form_token"))?;
            let actor = Actor::user(&operator);
            let key = key.as_ref().map(IdempotencyKey::as_str);
            let recorded =
                super::service::record_payment(&state.store, &state.settings, &actor, &id, &payment, key).await?;
            Ok(recorded.entry)
        }
        .await,
    )
}

/// Operators: set the credit limit and the low-balance threshold (blank:
/// none).
#[server(prefix = "/api/fn")]
pub async fn update_account_settings(
    reseller_id: String,
    credit_limit: String,
    low_balance_threshold: String,
) -> Result<(), AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("reseller_id", &reseller_id)?;
            let patch = super::AccountPatch::parse_form(&credit_limit, &low_balance_threshold)?;
            super::service::update_account(&state.store, &Actor::user(&operator), &id, &patch).await?;
            Ok(())
        }
        .await,
    )
}
