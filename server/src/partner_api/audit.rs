//! The last step, outermost: every partner request, rejected ones
//! included, is logged (time, reseller, key prefix, method, path, status,
//! error code, duration, client address, request id).
//!
//! Records go through a channel to one writer task that inserts them in
//! batches, so no request waits for a commit of its own. The channel is
//! bounded: if the database falls behind, requests wait to hand over their
//! record rather than records being dropped. `flush` writes everything
//! handed over so far; graceful shutdown calls it after the last request.

use super::request_id::RequestId;
use app::{api_log::NewApiRequest, error::ErrorCode, ids::ResellerId, store::Store, timestamp::Timestamp};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot};

/// Most records taken from the channel for one write.
const BATCH: usize = 500;
/// Longest a record waits for company before it is written.
const LINGER: Duration = Duration::from_millis(200);

enum Message {
    Record(NewApiRequest),
    Flush(oneshot::Sender<()>),
}

/// A handle on the log writer; cheap to clone.
#[derive(Clone, Debug)]
pub struct ApiLog {
    tx: mpsc::Sender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Message")
    }
}

impl ApiLog {
    /// Starts the writer task.
    pub fn start(store: Store) -> (ApiLog, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(10_000);
        let task = tokio::spawn(write_batches(store, rx));
        (ApiLog { tx }, task)
    }

    pub async fn record(&self, record: NewApiRequest) {
        if self.tx.send(Message::Record(record)).await.is_err() {
            tracing::error!("API log writer has stopped; a request record was not written");
        }
    }

    /// Returns once every record handed over before the call is written.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        let mut acks = Vec::new();
        let handle =
            |message: Message, batch: &mut Vec<NewApiRequest>, acks: &mut Vec<oneshot::Sender<()>>| match message {
                Message::Record(r) => batch.push(r),
                Message::Flush(ack) => acks.push(ack),
            };
        handle(first, &mut batch, &mut acks);
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH && acks.is_empty() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(message)) => handle(message, &mut batch, &mut acks),
                _ => break,
            }
        }
        write_with_retries(&store, &mut batch).await;
        for ack in acks {
            let _ = ack.send(());
        }
    }
    // All senders gone: write what is left.
    write_with_retries(&store, &mut batch).await;
}

async fn write_with_retries(store: &Store, batch: &mut Vec<NewApiRequest>) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=8 {
        match store.insert_api_requests(batch).await {
            Ok(()) => {
                batch.clear();
                return;
            }
            Err(err) => {
                tracing::warn!(%err, attempt, records = batch.len(), "writing the API log failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
    tracing::error!(
        records = batch.len(),
        "API log records could not be written and were dropped"
    );
    batch.clear();
}

/// Most bytes of a request's path and query kept in the log: enough for
/// any real request, while a hostile one cannot make each record tens of
/// KiB.
pub const MAX_LOGGED_PATH: usize = 2048;

/// `path` cut to `MAX_LOGGED_PATH` bytes (on a character boundary), with
/// `…` marking the cut.
fn capped(path: &str) -> String {
    if path.len() <= MAX_LOGGED_PATH {
        return path.to_owned();
    }
    let mut end = MAX_LOGGED_PATH - '…'.len_utf8();
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end])
}

/// What inner steps learn about the caller, for the record.
#[derive(Clone, Debug, Default)]
pub struct AuditSlot(Arc<Mutex<Caller>>);

#[derive(Clone, Debug, Default)]
struct Caller {
    reseller_id: Option<ResellerId>,
    key_prefix: Option<String>,
}

impl AuditSlot {
    pub fn set_caller(&self, reseller_id: ResellerId, key_prefix: String) {
        if let Ok(mut caller) = self.0.lock() {
            caller.reseller_id = Some(reseller_id);
            caller.key_prefix = Some(key_prefix);
        }
    }

    fn take(&self) -> Caller {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

pub async fn record(State(log): State<ApiLog>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let at = Timestamp::now();
    let slot = AuditSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().to_string();
    // The path as sent (nesting under /api/v1 strips it from `uri`).
    let uri = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| request.uri().clone());
    let path = capped(uri.path_and_query().map_or_else(|| uri.path(), |p| p.as_str()));
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let client_addr = crate::credentials::client_address(request.extensions());

    let response = next.run(request).await;

    let caller = slot.take();
    log.record(NewApiRequest {
        request_id,
        at,
        reseller_id: caller.reseller_id,
        key_prefix: caller.key_prefix,
        method,
        path,
        status: i64::from(response.status().as_u16()),
        error_code: response.extensions().get::<ErrorCode>().map(|c| c.as_str().to_owned()),
        duration_us: started.elapsed().as_micros().min(i64::MAX as u128) as i64,
        client_addr,
    })
    .await;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        assert_eq!(capped("/api/v1/orders?limit=5"), "/api/v1/orders?limit=5");
        let long = format!("/api/v1/orders?q={}", "é".repeat(3000));
        let cut = capped(&long);
        assert!(cut.len() <= MAX_LOGGED_PATH && cut.ends_with('…'), "{}", cut.len());
    }
}
