//! A webhook receiver the tests script.

/// A webhook receiver: records every request and answers with the next
/// scripted status (200 once the script is used up), or never answers
/// while hanging.
/// How long [`Receiver::nothing_more`] listens: beyond the tests' retry
/// schedule (1 s steps) and a worker's poll.
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(3);

pub struct Receiver {
    pub url: String,
    rx: tokio::sync::mpsc::UnboundedReceiver<Received>,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    hang: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: String,
    pub at: std::time::Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON webhook body")
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};
        use std::sync::{Arc, Mutex, atomic::AtomicBool};
        type Shared = (
            tokio::sync::mpsc::UnboundedSender<Received>,
            Arc<Mutex<std::collections::VecDeque<u16>>>,
            Arc<AtomicBool>,
        );
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let script = Arc::new(Mutex::new(std::collections::VecDeque::new()));
        let hang = Arc::new(AtomicBool::new(false));
        async fn hook(
            State((tx, script, hang)): State<Shared>,
            headers: HeaderMap,
            body: Bytes,
        ) -> (axum::http::StatusCode, String) {
            let _ = tx.send(Received {
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                at: std::time::Instant::now(),
            });
            if hang.load(std::sync::atomic::Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            let status = script.lock().unwrap().pop_front().unwrap_or(200);
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                format!("receiver says {status}"),
            )
        }
        let app = axum::Router::new()
            .route("/hooks", post(hook))
            .with_state((tx, script.clone(), hang.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, rx, script, hang }
    }

    /// The next statuses to answer with, in order.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses.iter().copied());
    }

    pub fn hang(&self, hang: bool) {
        self.hang.store(hang, std::sync::atomic::Ordering::SeqCst);
    }

    /// The next request, waiting at most `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Option<Received> {
        tokio::time::timeout(std::time::Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Collects requests until `n` arrived or `secs` passed.
    pub async fn collect(&mut self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        let mut got = Vec::new();
        while got.len() < n {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(r)) => got.push(r),
                _ => break,
            }
        }
        got
    }

    /// Nothing more arrives: none is waiting and none comes within
    /// [`QUIET`]. Tests call it once the database says nothing is left to
    /// send, so a stray attempt (a retry after the last, a held delivery
    /// sent) would be on its way within the tests' one-second schedule.
    pub async fn nothing_more(&mut self) -> bool {
        !matches!(tokio::time::timeout(QUIET, self.rx.recv()).await, Ok(Some(_)))
    }
}
