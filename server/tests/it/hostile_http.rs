//! The server's own limits against slow or greedy clients: the
//! header-read, idle and request timeouts and the connection cap, seen from
//! raw TCP connections. Waits have deadlines; nothing asserts a duration.

use crate::helpers::{spawn_app, spawn_app_with};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn addr(app: &crate::helpers::TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `secs` pass: `None`).
async fn read_until_closed(stream: &mut TcpStream, secs: u64) -> Option<String> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), read).await.ok()?;
    Some(String::from_utf8_lossy(&all).into_owned())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app_with(|c| c.http.header_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        read_until_closed(&mut stream, 20).await.is_some(),
        "the server closed the connection"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let app = spawn_app_with(|c| {
        c.http.idle_timeout = Duration::from_secs(1);
        c.http.header_timeout = Duration::from_secs(60);
    })
    .await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut stream, 20)
        .await
        .expect("closed after going idle");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_408() {
    let app = spawn_app_with(|c| c.http.request_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    // A body announced but never sent: the server function waits for it.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 100\r\n\r\nx=",
        <app::accounts::server_fns::Whoami as leptos::server_fn::ServerFn>::PATH
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
        .await
        .expect("answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_with_503() {
    let app = spawn_app_with(|c| c.http.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s); // kept alive: each holds a slot
    }
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    let refused = read_until_closed(&mut third, 20).await.expect("answered and closed");
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("retry-after: 1"), "{refused}");
    assert!(refused.contains("\"code\":\"unavailable\""), "{refused}");

    drop(held);
    let ok = crate::helpers::eventually(20, || async {
        reqwest::get(app.url("/healthz"))
            .await
            .ok()
            .filter(|r| r.status() == 200)
    })
    .await;
    assert!(ok.is_some(), "slots come back when connections close");
}

/// Graceful shutdown still answers the request in flight and writes the
/// API log before returning.
#[tokio::test]
async fn shutdown_finishes_requests_and_flushes_the_log() {
    let mut app = spawn_app().await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "p@example.com", "read").await;
    for _ in 0..3 {
        assert_eq!(partner.get("/me").await.status, 200);
    }
    let url = app.database_url().to_owned();
    app.stop().await;
    let store = app::store::Store::connect(&url).await.unwrap();
    let logged = crate::helpers::count(&store, "SELECT COUNT(*) FROM api_requests").await;
    store.close().await;
    assert_eq!(logged, 3, "every request was logged before the server stopped");
}
