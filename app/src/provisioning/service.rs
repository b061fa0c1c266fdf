//! Provisioning use cases: queueing actions (in the transaction of the
//! change that needs them), an attempt's start and end (the worker's),
//! the endpoint's and the operator's reports, retries, and the reads of
//! the operator's Provisioning page.
//!
//! Order per service: an action's attempt starts only when no earlier
//! action of its service is open; when an action ends (done or failed) the
//! next one is queued. Every step locks the service's row first, so the
//! two cannot interleave.

use super::{
    Action, ActionDetail, ActionFilter, ActionKind, ActionState, Answer, Details, PlanChange, Report,
    ServiceProvisioning, WaitingService,
};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{ActionId, ResellerId, ServiceId},
    lists::Page,
    services::{Service, ServiceStatus},
    store::{NewAction, NewAuditEntry, NotFoundExt, SeqAction, Store, StoreTx},
    timestamp::Timestamp,
    webhooks::{AttemptRecord, EventType, NewEvent, retry_delay, service as webhooks},
};
use std::time::Duration;

/// Plans a `create` for each of an order's new services whose product
/// calls the `http` module, and marks those services queued (so the
/// order's `service.created` events say so). Written by [`queue_new`]
/// once the services are.
pub async fn plan_creates(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    services: &mut [Service],
) -> AppResult<Vec<NewAction>> {
    let mut products: Vec<_> = services.iter().map(|s| s.product_id.clone()).collect();
    products.sort();
    products.dedup();
    let http = tx.http_products(&products).await?;
    let now = tx.now();
    let mut actions = Vec::new();
    for service in services.iter_mut().filter(|s| http.contains(&s.product_id)) {
        service.provisioning = Some(shown(ActionKind::Create, ActionState::Queued, now));
        actions.push(NewAction {
            id: ActionId::generate(),
            service_id: service.id.clone(),
            reseller_id: reseller.clone(),
            product_id: service.product_id.clone(),
            action: ActionKind::Create,
            change: None,
        });
    }
    Ok(actions)
}

/// Writes and queues the first actions of new services (nothing is ahead
/// of them).
pub async fn queue_new(tx: &mut StoreTx, actions: &[NewAction]) -> AppResult<()> {
    if actions.is_empty() {
        return Ok(());
    }
    tx.insert_actions(actions, tx.now()).await?;
    let jobs: Vec<_> = actions.iter().map(|a| (a.id.clone(), None)).collect();
    tx.enqueue_actions(&jobs).await?;
    Ok(())
}

/// Queues `kind` for `service` if its product calls the `http` module, in
/// the caller's transaction, which has locked the service's row (a status
/// change does). It runs once every earlier action of the service ended.
/// Returns what the service now shows, if an action was queued.
pub async fn request(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    service: &Service,
    kind: ActionKind,
    change: Option<PlanChange>,
) -> AppResult<Option<ServiceProvisioning>> {
    if tx
        .http_products(std::slice::from_ref(&service.product_id))
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let now = tx.now();
    let first_in_line = !tx.open_action_before(&service.id, None).await?;
    let action = NewAction {
        id: ActionId::generate(),
        service_id: service.id.clone(),
        reseller_id: reseller.clone(),
        product_id: service.product_id.clone(),
        action: kind,
        change,
    };
    tx.insert_actions(std::slice::from_ref(&action), now).await?;
    let provisioning = shown(kind, ActionState::Queued, now);
    tx.show_new_provisioning(std::slice::from_ref(&service.id), &provisioning)
        .await?;
    if first_in_line {
        tx.enqueue_actions(&[(action.id, None)]).await?;
    }
    Ok(Some(provisioning))
}

fn shown(action: ActionKind, state: ActionState, at: Timestamp) -> ServiceProvisioning {
    ServiceProvisioning {
        state: state.visible(),
        action,
        updated_at: at,
    }
}

/// Locks the action's service, then reads the action.
async fn lock(tx: &mut StoreTx, id: &ActionId) -> AppResult<SeqAction> {
    let not_found = || AppError::new(ErrorCode::NotFound, "No such provisioning action.");
    let service = tx.action_service(id).await?.ok_or_else(not_found)?;
    tx.lock_service(&service).await?;
    tx.action_for_update(id).await?.ok_or_else(not_found)
}

/// Writes the action's new state and shows it on its service.
async fn save(tx: &mut StoreTx, action: &SeqAction) -> AppResult<()> {
    let a = &action.action;
    tx.update_action(a).await?;
    tx.show_provisioning(&a.service_id, action.seq, &shown(a.action, a.state, a.updated_at))
        .await?;
    Ok(())
}

/// The worker's first step: marks the action running, unless it is not
/// its turn (an earlier action of its service is open: it is queued again
/// when that one ends), it ended meanwhile, or it waits for a later
/// attempt. `Some` is the action to attempt now.
pub async fn begin_attempt(store: &Store, id: &ActionId) -> AppResult<Option<Action>> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let begun = async {
        let mut action = match lock(&mut tx, id).await {
            Ok(action) => action,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let a = &mut action.action;
        // `running`: a crashed worker's attempt, taken over.
        let due = a
            .next_attempt_at
            .is_none_or(|at| at <= now.plus(time::Duration::seconds(1)));
        if !matches!(a.state, ActionState::Queued | ActionState::Running) || !due {
            return Ok(None);
        }
        if tx.open_action_before(&a.service_id, Some(action.seq)).await? {
            return Ok(None);
        }
        a.state = ActionState::Running;
        a.updated_at = now;
        save(&mut tx, &action).await?;
        Ok(Some(action.action))
    }
    .await;
    tx.finish(begun).await
}

/// The worker's last step: records the attempt and moves the action on
/// by the endpoint's answer: done, waiting for its report, retried on
/// `schedule` (with `jitter`, -1..1), or failed once it ran out.
pub async fn finish_attempt(
    store: &Store,
    id: &ActionId,
    record: AttemptRecord,
    answer: Answer,
    schedule: &[Duration],
    jitter: f64,
) -> AppResult<ActionState> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let finished = async {
        let mut action = lock(&mut tx, id).await?;
        let a = &mut action.action;
        a.attempts += 1;
        tx.insert_action_attempt(&a.id, a.attempts, &record).await?;
        if a.state != ActionState::Running {
            // Reported or retried by hand meanwhile: the report stands.
            tx.update_action(&action.action).await?;
            return Ok(action.action.state);
        }
        a.updated_at = now;
        match answer {
            Answer::Done(details) => complete(&mut tx, &mut action, details, None, now).await?,
            Answer::Pending => {
                a.state = ActionState::Waiting;
                a.last_error = None;
                save(&mut tx, &action).await?;
            }
            Answer::Retry(why) => {
                a.last_error = Some(why);
                let attempts = usize::try_from(a.attempts).unwrap_or(usize::MAX);
                match retry_delay(schedule, attempts, jitter, None) {
                    Some(delay) => {
                        let at = now.plus(time::Duration::try_from(delay).unwrap_or(time::Duration::ZERO));
                        a.state = ActionState::Queued;
                        a.next_attempt_at = Some(at);
                        save(&mut tx, &action).await?;
                        tx.enqueue_actions(&[(action.action.id.clone(), Some(at))]).await?;
                    }
                    None => fail(&mut tx, &mut action, now).await?,
                }
            }
        }
        Ok(action.action.state)
    }
    .await;
    tx.finish(finished).await
}

/// Done: the outcome reaches the service (a `create` activates a pending
/// one, with `service.activated` carrying the details), then the next
/// action of the service is queued.
async fn complete(
    tx: &mut StoreTx,
    action: &mut SeqAction,
    details: Details,
    note: Option<String>,
    now: Timestamp,
) -> AppResult<()> {
    let a = &mut action.action;
    a.state = ActionState::Done;
    a.next_attempt_at = None;
    a.finished_at = Some(now);
    a.updated_at = now;
    if note.is_some() {
        a.note = note;
    }
    if !details.is_empty() {
        tx.set_details(&a.service_id, &details).await?;
    }
    save(tx, action).await?;
    let a = &action.action;
    if a.action == ActionKind::Create {
        let activated = tx
            .set_service_status(&a.service_id, ServiceStatus::Pending, ServiceStatus::Active, None, now)
            .await?;
        if let Some((service, reseller)) = activated {
            let event = NewEvent::of(EventType::ServiceActivated, &service)?;
            webhooks::record(tx, &reseller, &[event], now).await?;
        }
    }
    queue_next(tx, action).await
}

/// Failed: the service stays as it is; the next action may run.
async fn fail(tx: &mut StoreTx, action: &mut SeqAction, now: Timestamp) -> AppResult<()> {
    let a = &mut action.action;
    a.state = ActionState::Failed;
    a.next_attempt_at = None;
    a.finished_at = Some(now);
    a.updated_at = now;
    save(tx, action).await?;
    queue_next(tx, action).await
}

async fn queue_next(tx: &mut StoreTx, ended: &SeqAction) -> AppResult<()> {
    if let Some(next) = tx.next_queued_action(&ended.action.service_id, ended.seq).await? {
        tx.enqueue_actions(&[(next, None)]).await?;
    }
    Ok(())
}

/// `POST /provisioning-actions/{id}/done|failed` and the panel's "Mark
/// done": the endpoint reporting a 202's outcome, or the operator settling
/// an action by hand (with a note). Audited. A done action cannot be
/// reported again (409); a failed one can be marked done.
pub async fn report(store: &Store, actor: &Actor, id: &ActionId, report: Report) -> AppResult<Action> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let reported = async {
        let mut action = lock(&mut tx, id).await?;
        let from = action.action.state;
        let finished = match &report {
            Report::Done { .. } => from == ActionState::Done,
            Report::Failed { .. } => from.is_finished(),
        };
        if finished {
            return Err(AppError::new(
                ErrorCode::ActionFinished,
                format!("This action is already {}.", from.as_str()),
            ));
        }
        let name = match report {
            Report::Done { details, note } => {
                complete(&mut tx, &mut action, details, note, now).await?;
                "provisioning_action.done"
            }
            Report::Failed { error } => {
                action.action.last_error = Some(error);
                fail(&mut tx, &mut action, now).await?;
                "provisioning_action.failed"
            }
        };
        let audit = NewAuditEntry {
            from_status: Some(from.as_str()),
            to_status: Some(action.action.state.as_str()),
            details: action.action.note.as_ref().map(|n| serde_json::json!({ "note": n })),
            ..NewAuditEntry::new(actor, name, "provisioning_action", id.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok(action.action)
    }
    .await;
    tx.finish(reported).await
}

/// "Retry now": a failed action, or one waiting for its next attempt, is
/// attempted at once (when no earlier action of its service is open).
/// Audited.
pub async fn retry(store: &Store, actor: &Actor, id: &ActionId) -> AppResult<Action> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let retried = async {
        let mut action = lock(&mut tx, id).await?;
        let from = action.action.state;
        if !matches!(from, ActionState::Failed | ActionState::Queued) {
            return Err(AppError::new(
                ErrorCode::ActionFinished,
                format!("A {} action cannot be retried.", from.as_str()),
            ));
        }
        let a = &mut action.action;
        a.state = ActionState::Queued;
        a.next_attempt_at = None;
        a.finished_at = None;
        a.updated_at = now;
        save(&mut tx, &action).await?;
        if !tx
            .open_action_before(&action.action.service_id, Some(action.seq))
            .await?
        {
            tx.enqueue_actions(&[(id.clone(), None)]).await?;
        }
        let audit = NewAuditEntry {
            from_status: Some(from.as_str()),
            to_status: Some(ActionState::Queued.as_str()),
            ..NewAuditEntry::new(
                actor,
                "provisioning_action.retry",
                "provisioning_action",
                id.as_str(),
                now,
            )
        };
        tx.insert_audit(&audit).await?;
        Ok(action.action)
    }
    .await;
    tx.finish(retried).await
}

/// One action with its attempts (operators).
pub async fn action(store: &Store, id: &ActionId) -> AppResult<ActionDetail> {
    let action = store.action(id).await.or_not_found("provisioning action")?;
    let attempts = store.action_attempts(id).await?;
    Ok(ActionDetail { action, attempts })
}

/// Actions, newest first, filtered (operators).
pub async fn actions(store: &Store, filter: &ActionFilter) -> AppResult<Page<Action>> {
    Ok(store.actions(filter).await?)
}

/// A service's actions, newest first (operators).
pub async fn service_actions(store: &Store, service: &ServiceId) -> AppResult<Vec<Action>> {
    let filter = ActionFilter {
        service_id: Some(service.clone()),
        page: crate::lists::PageRequest {
            limit: 100,
            after: None,
        },
        ..Default::default()
    };
    Ok(store.actions(&filter).await?.data)
}

/// Services of `manual` products waiting to be set up, oldest first.
pub async fn waiting_services(store: &Store, limit: i64) -> AppResult<Vec<WaitingService>> {
    Ok(store.waiting_manual_services(limit).await?)
}

/// Open actions and the age of the oldest failed one (for metrics).
pub async fn backlog(store: &Store) -> AppResult<(i64, Option<Timestamp>)> {
    Ok(store.provisioning_backlog().await?)
}

/// The Provisioning page: failed actions, open ones, and the `manual`
/// services waiting (oldest first), `limit` of each.
pub async fn overview(store: &Store, limit: u32) -> AppResult<super::Overview> {
    let section = |state: Option<ActionState>| ActionFilter {
        state,
        page: crate::lists::PageRequest { limit, after: None },
        ..Default::default()
    };
    let failed = store.actions(&section(Some(ActionState::Failed))).await?.data;
    let mut open = Vec::new();
    for state in ActionState::OPEN {
        open.extend(store.actions(&section(Some(*state))).await?.data);
    }
    open.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    open.truncate(limit as usize);
    let waiting = waiting_services(store, i64::from(limit)).await?;
    Ok(super::Overview { failed, open, waiting })
}

/// What one attempt sends to the endpoint.
#[derive(Clone, Debug)]
pub struct Call {
    pub url: String,
    /// The product's signing secret's key bytes.
    pub key: Vec<u8>,
    /// The JSON body (DESIGN.md "Provisioning modules").
    pub body: String,
}

/// The call for an attempt of `id`: the body and where it goes, or why
/// there is nowhere to send it (the product was switched away from `http`,
/// or its secret is missing), which the attempt records as its failure.
pub async fn call(
    store: &Store,
    key: &crate::secrets::SecretsKey,
    id: &ActionId,
    action: ActionKind,
) -> AppResult<Result<Call, String>> {
    let row = store.action_call(id).await.or_not_found("provisioning action")?;
    let (Some("http"), Some(url), Some(sealed_secret)) =
        (row.module.as_deref(), row.url.clone(), row.sealed_secret.as_deref())
    else {
        return Ok(Err(
            "the product no longer calls an http endpoint with a signing secret".into(),
        ));
    };
    let settings: serde_json::Value = match row.sealed_settings.as_deref() {
        Some(sealed) => serde_json::from_str(&key.open(sealed)?).map_err(AppError::internal)?,
        None => serde_json::json!({}),
    };
    let secret = key.open(sealed_secret)?;
    let service = &row.service;
    let mut body = serde_json::json!({
        "action": action,
        "action_id": id,
        "service": {
            "id": service.id,
            "product": row.product_slug,
            "term": service.term,
            "status": service.status,
        },
        "customer": { "external_id": row.customer_external_id, "name": row.customer_name },
        "reseller_id": row.reseller_id,
        "settings": settings,
    });
    if let Some(change) = row.change {
        body["change"] = serde_json::to_value(change.0).map_err(AppError::internal)?;
    }
    Ok(Ok(Call {
        url,
        key: crate::api_access::service::secret_bytes(&secret)?,
        body: body.to_string(),
    }))
}
