//! The operator's Provisioning page: failed actions first, open ones, the
//! services of `manual` products waiting; one action with its attempts;
//! "Retry now" and "Mark done". Operators only: the endpoint's answers are
//! never a reseller's to read.

use super::{ActionDetail, Overview};
use crate::error::AppError;
use leptos::prelude::*;

/// Rows per section of the Provisioning page.
pub const SECTION_SIZE: u32 = 50;

/// Operators: the Provisioning page's sections.
#[server(prefix = "/api/fn")]
pub async fn provisioning_overview() -> Result<Overview, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            super::service::overview(&state.store, SECTION_SIZE).await
        }
        .await,
    )
}

/// Operators: one action with every attempt.
#[server(prefix = "/api/fn")]
pub async fn provisioning_action(id: String) -> Result<ActionDetail, AppError> {
    use crate::accounts::{Role, session};
    session::respond(
        async {
            let (state, _) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            super::service::action(&state.store, &id).await
        }
        .await,
    )
}

/// Operators: "Retry now".
#[server(prefix = "/api/fn")]
pub async fn retry_provisioning_action(id: String) -> Result<(), AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            super::service::retry(&state.store, &Actor::user(&operator), &id).await?;
            Ok(())
        }
        .await,
    )
}

/// Operators: "Mark done", with a note saying what was done by hand.
#[server(prefix = "/api/fn")]
pub async fn mark_provisioning_action_done(id: String, note: Option<String>) -> Result<(), AppError> {
    use crate::{
        accounts::{Role, session},
        audit::Actor,
    };
    session::respond(
        async {
            let (state, operator) = session::require(Role::Operator).await?;
            let id = crate::ids::parse_id("id", &id)?;
            let note = super::parse_note("note", note.as_deref(), true)?;
            let report = super::Report::Done {
                details: Default::default(),
                note,
            };
            super::service::report(&state.store, &Actor::user(&operator), &id, report).await?;
            Ok(())
        }
        .await,
    )
}
