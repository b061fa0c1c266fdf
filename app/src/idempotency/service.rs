//! The idempotent request flow, inside the transaction of the work: claim
//! the key (a lock the database drops with the transaction), answer a
//! saved response again, refuse a reused key or signature, or run the work
//! and save its answer in the same commit.

use super::{Answer, Claim, TTL, in_flight, is_replayable, reused};
use crate::{
    error::{AppError, AppResult},
    ids::ResellerId,
    store::{Store, StoreTx},
    timestamp::Timestamp,
};

/// Where a claimed request stands once its transaction is open.
enum Begun {
    /// No answer yet: the work runs in this transaction.
    Fresh(StoreTx),
    /// Answered before with the same body: send that again.
    Answered(Answer),
}

/// Opens the transaction that holds `claim`. Refuses, in this order: the
/// key held by a request still running (`idempotency_key_in_flight`) and
/// the key used before with another body (`idempotency_key_reused`).
/// Whatever does not go on to the work releases the claim at once.
async fn begin(store: &Store, reseller: &ResellerId, claim: &Claim, now: Timestamp) -> AppResult<Begun> {
    let mut tx = store
        .begin_claimed(reseller, claim.key.as_str())
        .await?
        .ok_or_else(in_flight)?;
    match earlier_answer(&mut tx, reseller, claim, now).await {
        Ok(None) => Ok(Begun::Fresh(tx)),
        Ok(Some(answer)) => {
            tx.rollback().await?;
            Ok(Begun::Answered(answer))
        }
        Err(refusal) => {
            let _ = tx.rollback().await;
            Err(refusal)
        }
    }
}

/// What was answered before under this key, if it still stands; a refusal
/// if the key was used for another request.
async fn earlier_answer(
    tx: &mut StoreTx,
    reseller: &ResellerId,
    claim: &Claim,
    now: Timestamp,
) -> AppResult<Option<Answer>> {
    let key = claim.key.as_str();
    let Some(saved) = tx.saved_answer(reseller, key).await? else {
        return Ok(None);
    };
    if saved.expires_at <= now {
        tx.forget_idempotency_key(reseller, key).await?;
        return Ok(None);
    }
    if saved.request_hash != claim.request_hash {
        return Err(reused());
    }
    Ok(Some(Answer {
        status: saved.status,
        body: saved.body,
        replayed: true,
    }))
}

/// Saves the answer under the claim and commits.
async fn finish(mut tx: StoreTx, reseller: &ResellerId, claim: &Claim, status: u16, body: String) -> AppResult<Answer> {
    // Keys live on the system clock: a moved business clock must not make
    // a replay forget its answer.
    let now = Timestamp::now();
    let saved = tx.save_answer(reseller, claim, status, &body, now, now.plus(TTL)).await;
    tx.finish(saved).await?;
    Ok(Answer {
        status,
        body,
        replayed: false,
    })
}

/// Runs `work` at most once per (reseller, key, body). `work` writes its
/// change in the transaction it is given and returns the answer (status,
/// JSON body); the answer is saved in that transaction. A refusal (4xx) is
/// saved and replayed like a success, in a transaction of its own so that
/// nothing `work` wrote before refusing survives; a failure on our side
/// (5xx) saves nothing, so a retry runs the work again.
pub async fn run(
    store: &Store,
    reseller: &ResellerId,
    claim: &Claim,
    work: impl AsyncFnOnce(&mut StoreTx) -> AppResult<(u16, String)>,
) -> AppResult<Answer> {
    let mut tx = match begin(store, reseller, claim, Timestamp::now()).await? {
        Begun::Fresh(tx) => tx,
        Begun::Answered(answer) => return Ok(answer),
    };
    match work(&mut tx).await {
        Ok((status, body)) => finish(tx, reseller, claim, status, body).await,
        Err(refusal) if is_replayable(&refusal) => {
            // Released before the refusal is saved: the claim is taken again
            // in the refusal's own transaction.
            tx.rollback().await?;
            keep_refusal(store, reseller, claim, refusal).await
        }
        Err(failure) => {
            let _ = tx.rollback().await;
            Err(failure)
        }
    }
}

/// Saves a refusal for replay. If another request took the key in the
/// meantime, its answer is the one kept; this caller still hears why its
/// own attempt was refused.
async fn keep_refusal(store: &Store, reseller: &ResellerId, claim: &Claim, refusal: AppError) -> AppResult<Answer> {
    let status = refusal.http_status();
    let body = refusal.problem_json();
    match begin(store, reseller, claim, Timestamp::now()).await {
        Ok(Begun::Fresh(tx)) => finish(tx, reseller, claim, status, body).await,
        Ok(Begun::Answered(_)) | Err(_) => Ok(Answer {
            status,
            body,
            replayed: false,
        }),
    }
}
