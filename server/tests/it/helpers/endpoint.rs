//! A provisioning endpoint the tests script: records every call and
//! answers with the next scripted reply, or, once the script is used up,
//! 200 `done` with details naming the service.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// This status and body.
    Answer(u16, String),
    /// No answer for this long (beyond the test's timeout).
    Hang(Duration),
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Answer(status, format!("endpoint says {status}"))
    }

    pub fn pending() -> Reply {
        Reply::Answer(202, r#"{"status":"pending"}"#.into())
    }
}

/// The details the endpoint returns for `service` by default.
pub fn details_for(service: &str) -> serde_json::Value {
    serde_json::json!({ "hostname": format!("{service}.vps.example"), "ip_address": "10.0.0.7" })
}

pub struct Endpoint {
    pub url: String,
    rx: tokio::sync::mpsc::UnboundedReceiver<super::Received>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Endpoint {
    pub async fn start() -> Endpoint {
        use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post};
        type Shared = (
            tokio::sync::mpsc::UnboundedSender<super::Received>,
            Arc<Mutex<VecDeque<Reply>>>,
        );
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let script = Arc::new(Mutex::new(VecDeque::new()));
        async fn call(
            State((tx, script)): State<Shared>,
            headers: HeaderMap,
            body: Bytes,
        ) -> (axum::http::StatusCode, String) {
            let body = String::from_utf8_lossy(&body).into_owned();
            let service = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["service"]["id"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = tx.send(super::Received {
                headers,
                body,
                at: std::time::Instant::now(),
            });
            let reply = script.lock().unwrap().pop_front();
            let (status, text) = match reply {
                Some(Reply::Answer(status, text)) => (status, text),
                Some(Reply::Hang(d)) => {
                    tokio::time::sleep(d).await;
                    (500, "too late".into())
                }
                None => (
                    200,
                    serde_json::json!({ "status": "done", "details": details_for(&service) }).to_string(),
                ),
            };
            (axum::http::StatusCode::from_u16(status).unwrap(), text)
        }
        let app = axum::Router::new()
            .route("/provision", post(call))
            .with_state((tx, script.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/provision", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Endpoint { url, rx, script }
    }

    /// The next replies, in order.
    pub fn script(&self, replies: &[Reply]) {
        self.script.lock().unwrap().extend(replies.iter().cloned());
    }

    /// The next call, waiting at most `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Option<super::Received> {
        tokio::time::timeout(Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// No call arrives within [`super::QUIET`].
    pub async fn nothing_more(&mut self) -> bool {
        !matches!(tokio::time::timeout(super::QUIET, self.rx.recv()).await, Ok(Some(_)))
    }
}
