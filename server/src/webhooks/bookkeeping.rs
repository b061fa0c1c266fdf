//! Finished attempts are recorded in batches: one transaction for every
//! attempt that finished while the previous batch was committing, instead
//! of one per attempt. Under a backlog hundreds of attempts share a commit;
//! a lone attempt is recorded at once (nothing waits to fill a batch).
//!
//! At least once still holds: an attempt's job is acknowledged to the queue
//! only after its batch committed (`record` returns then), so a crash
//! between the POST and the commit re-sends the event; it is never lost.
//! When a batch fails, each of its attempts is recorded on its own, so one
//! that cannot be recorded fails (and is retried by the queue) alone.

use app::{
    error::{AppError, AppResult},
    store::Store,
    webhooks::{FinishedAttempt, service as webhooks},
};
use tokio::sync::{mpsc, oneshot};

/// Attempts recorded in one transaction at most.
const MAX_BATCH: usize = 512;

/// Hands finished attempts to the task that records them.
#[derive(Clone, Debug)]
pub struct Bookkeeper {
    queue: mpsc::Sender<Pending>,
}

#[derive(Debug)]
struct Pending {
    attempt: FinishedAttempt,
    recorded: oneshot::Sender<bool>,
}

impl Bookkeeper {
    /// Starts the recording task; it ends when the last `Bookkeeper` clone
    /// is dropped.
    pub fn start(store: Store) -> Self {
        let (queue, waiting) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(record_batches(store, waiting));
        Bookkeeper { queue }
    }

    /// Records `attempt`; returns once its batch committed.
    pub async fn record(&self, attempt: FinishedAttempt) -> AppResult<()> {
        let (recorded, done) = oneshot::channel();
        let stopped = || AppError::internal("the attempt bookkeeper stopped");
        self.queue
            .send(Pending { attempt, recorded })
            .await
            .map_err(|_| stopped())?;
        match done.await {
            Ok(true) => Ok(()),
            // The batch's error was logged once, by the task.
            Ok(false) => Err(AppError::internal("recording the attempt failed; the queue retries it")),
            Err(_) => Err(stopped()),
        }
    }
}

async fn record_batches(store: Store, mut waiting: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (attempts, waiters): (Vec<_>, Vec<_>) = batch.drain(..).map(|p| (p.attempt, p.recorded)).unzip();
        if webhooks::record_attempts(&store, &attempts).await.is_ok() {
            for waiter in waiters {
                let _ = waiter.send(true);
            }
            continue;
        }
        // One attempt that cannot be recorded (its delivery purged
        // meanwhile, say) must not make the queue re-send the others every
        // time it is retried: each is recorded on its own, and only what
        // still fails is retried.
        for (attempt, waiter) in attempts.into_iter().zip(waiters) {
            let recorded = webhooks::record_attempts(&store, std::slice::from_ref(&attempt)).await;
            if let Err(e) = &recorded {
                tracing::warn!(error = %e, delivery = %attempt.delivery, "recording an attempt failed");
            }
            let _ = waiter.send(recorded.is_ok());
        }
    }
}
