//! Reseller use cases: apply, invite, lifecycle transitions, settings.

use super::{Application, LifecycleAction, Reseller, ResellerFilter, ResellerPatch, ResellerStatus, transition};
use crate::{
    accounts::{Role, User, service as accounts},
    audit::{Actor, AuditEntry},
    error::{AppError, AppResult, ErrorCode},
    ids::ResellerId,
    money::Percent,
    store::{AuditFilter, NewAuditEntry, NewReseller, NotFoundExt, Store, StoreError},
    webhooks::{EventType, NewEvent, service as webhooks},
};

pub const DEFAULT_RATE_LIMIT: i64 = 1000;

fn already_applied() -> AppError {
    AppError::new(
        ErrorCode::AlreadyApplied,
        "This account already has a reseller profile.",
    )
}

pub async fn get(store: &Store, id: &ResellerId) -> AppResult<Reseller> {
    store.reseller(id).await.or_not_found("reseller")
}

pub async fn for_user(store: &Store, user: &User) -> AppResult<Option<Reseller>> {
    Ok(store.reseller_for_user(&user.id).await?)
}

pub async fn list(store: &Store, filter: &ResellerFilter) -> AppResult<crate::lists::Page<Reseller>> {
    Ok(store.list_resellers(filter).await?)
}

async fn create_profile(
    store: &Store,
    actor: &Actor,
    user: &User,
    action: &str,
    application: &Application,
    default_discount_rate: Percent,
    rate_limit: i64,
) -> AppResult<Reseller> {
    let id = ResellerId::generate();
    let at = store.now();
    let new = NewReseller {
        id: &id,
        user_id: &user.id,
        company_name: &application.company_name,
        website: application.website.as_deref(),
        message: application.message.as_deref(),
        default_discount_rate,
        rate_limit,
        at,
    };
    let audit = NewAuditEntry {
        to_status: Some(ResellerStatus::Pending.as_str()),
        details: Some(serde_json::json!({ "company_name": application.company_name, "email": user.email })),
        ..NewAuditEntry::new(actor, action, "reseller", id.as_str(), at)
    };
    let mut tx = store.begin().await?;
    let created = async {
        tx.insert_reseller(&new).await.map_err(|e| match e {
            StoreError::Conflict(_) => already_applied(),
            other => other.into(),
        })?;
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(created).await?;
    get(store, &id).await
}

/// A signed-in client applies from the portal: a pending profile.
pub async fn apply(store: &Store, client: &User, application: Application) -> AppResult<Reseller> {
    if client.role != Role::Client {
        return Err(AppError::forbidden());
    }
    if store.reseller_for_user(&client.id).await?.is_some() {
        return Err(already_applied());
    }
    create_profile(
        store,
        &Actor::user(client),
        client,
        "reseller.apply",
        &application,
        Percent::default(),
        DEFAULT_RATE_LIMIT,
    )
    .await
}

/// What an operator (panel or admin API) sends to invite a reseller.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub email: String,
    pub contact_name: Option<String>,
    pub company_name: String,
    pub default_discount_rate: Option<Percent>,
    pub rate_limit: Option<i64>,
}

/// An invited reseller, and the one-time link for setting a password when
/// the invitation created the account.
#[derive(Clone, Debug)]
pub struct Invited {
    pub reseller: Reseller,
    pub invitation_path: Option<String>,
}

/// An operator creates a client account with a pending profile, and the
/// one-time link with which the person sets a password. An email that
/// already has an account is refused: inviting it would attach a profile
/// to whoever registered that email first (registration proves nothing
/// about it), so that client applies from Program overview instead and the
/// operator approves the application.
pub async fn invite(store: &Store, actor: &Actor, invitation: Invitation) -> AppResult<Invited> {
    let application = Application::parse(&invitation.company_name, None, None)?;
    let rate_limit = super::parse_rate_limit(invitation.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT))?;
    let email = crate::accounts::Email::parse(&invitation.email)?;
    if let Some(user) = store.user_by_email(email.as_str()).await? {
        if store.reseller_for_user(&user.id).await?.is_some() {
            return Err(already_applied());
        }
        return Err(AppError::new(
            ErrorCode::EmailTaken,
            "This email already has an account: ask the client to apply from Program overview \
             in the portal, then approve the application.",
        )
        .with_field("email"));
    }
    let name = invitation
        .contact_name
        .clone()
        .unwrap_or_else(|| application.company_name.clone());
    let user = accounts::create_invited_client(store, &name, email.as_str()).await?;
    let invitation_path = Some(accounts::create_invitation(store, &user).await?);
    let reseller = create_profile(
        store,
        actor,
        &user,
        "reseller.invite",
        &application,
        invitation.default_discount_rate.unwrap_or_default(),
        rate_limit,
    )
    .await?;
    Ok(Invited {
        reseller,
        invitation_path,
    })
}

/// Applies a lifecycle action. Refused transitions are `invalid_transition`
/// and change nothing; a transition that loses a race to a concurrent one
/// is refused the same way, judged against the state that won.
pub async fn change_status(
    store: &Store,
    actor: &Actor,
    id: &ResellerId,
    action: LifecycleAction,
    reason: Option<&str>,
) -> AppResult<Reseller> {
    let current = get(store, id).await?;
    let to = transition(current.status, action)?;
    let reason = if action.needs_reason() {
        Some(super::parse_reason(reason)?)
    } else {
        super::parse_text("reason", reason, 500)?
    };
    let approver = actor.reference();
    let detail = match action {
        LifecycleAction::Approve => Some(approver.as_str()),
        _ => reason.as_deref(),
    };
    let action_name = format!("reseller.{}", action.as_str());
    let now = store.now();
    let audit = NewAuditEntry {
        from_status: Some(current.status.as_str()),
        to_status: Some(to.as_str()),
        reason: reason.as_deref(),
        ..NewAuditEntry::new(actor, &action_name, "reseller", id.as_str(), now)
    };
    let mut tx = store.begin().await?;
    let changed = async {
        if !tx.transition_reseller(id, current.status, action, detail, now).await? {
            return Ok(false);
        }
        // Deliveries follow the profile: released on reactivation,
        // cancelled on termination (the webhook gate holds the rest).
        match action {
            LifecycleAction::Reactivate => tx.release_held(id, now).await?,
            LifecycleAction::Terminate => tx.cancel_open_deliveries(id, "reseller terminated", now).await?,
            _ => {}
        }
        let event = NewEvent {
            event_type: EventType::ResellerStatusChanged,
            data: serde_json::json!({
                "reseller_id": id,
                "from": current.status.as_str(),
                "to": to.as_str(),
                "reason": reason,
            }),
        };
        webhooks::record(&mut tx, id, &[event], now).await?;
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(true)
    }
    .await;
    if tx.finish(changed).await? {
        return get(store, id).await;
    }
    let now = get(store, id).await?;
    transition(now.status, action)?;
    // Allowed from the new state too (e.g. two suspends raced): still
    // refuse, the caller acted on a state that no longer holds.
    Err(AppError::new(
        ErrorCode::InvalidTransition,
        format!(
            "The reseller changed meanwhile and is now {}; reload and try again.",
            now.status
        ),
    ))
}

/// Changes API access, rate limit or default discount.
pub async fn update_settings(
    store: &Store,
    actor: &Actor,
    id: &ResellerId,
    patch: ResellerPatch,
) -> AppResult<Reseller> {
    if let Some(limit) = patch.rate_limit {
        super::parse_rate_limit(limit)?;
    }
    let before = get(store, id).await?;
    let now = store.now();
    let audit = NewAuditEntry {
        details: Some(serde_json::json!({
            "api_enabled": { "old": before.api_enabled, "new": patch.api_enabled.unwrap_or(before.api_enabled) },
            "rate_limit": { "old": before.rate_limit, "new": patch.rate_limit.unwrap_or(before.rate_limit) },
            "default_discount_rate": {
                "old": before.default_discount_rate,
                "new": patch.default_discount_rate.unwrap_or(before.default_discount_rate),
            },
        })),
        ..NewAuditEntry::new(actor, "reseller.update", "reseller", id.as_str(), now)
    };
    let mut tx = store.begin().await?;
    let updated = async {
        tx.patch_reseller(id, &patch, now).await.or_not_found("reseller")?;
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(updated).await?;
    get(store, id).await
}

/// Who approved the reseller, as the audit log names them (an operator's
/// email or an admin token's name), when it was approved.
pub async fn approved_by(store: &Store, id: &ResellerId) -> AppResult<Option<String>> {
    let approvals = AuditFilter {
        subject_type: Some("reseller".into()),
        subject_id: Some(id.to_string()),
        action: Some("reseller.approve".into()),
        page: crate::lists::PageRequest::first(1),
    };
    let latest = crate::audit::service::entries(store, &approvals).await?;
    Ok(latest.data.into_iter().next().map(|entry| entry.actor_name))
}

/// The audit entries about one reseller, newest first: its status history.
pub async fn history(store: &Store, id: &ResellerId) -> AppResult<Vec<AuditEntry>> {
    crate::audit::service::about(store, "reseller", id.as_str(), 200).await
}
