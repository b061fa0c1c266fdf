//! The server's own limits against slow or greedy clients: the
//! header-read, idle and request timeouts and the connection cap, seen from
//! raw TCP connections. Waits have deadlines; nothing asserts a duration.

use crate::helpers::spawn_app_with;
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
/// API log before returning. The order in flight has sent its headers and
/// half its body when the shutdown begins; the rest follows after.
#[tokio::test]
async fn shutdown_finishes_requests_and_flushes_the_log() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut app = spawn_app_with(|c| c.drain = Duration::from_millis(300)).await;
    let admin = app.admin().await;
    let partner = admin.partner(&app, "p@example.com", "orders").await;
    let product = admin.product("vps-shut", Some("10.00"), None).await;
    let (status, _) = admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            serde_json::json!({ "wholesale_monthly": "5.00" }),
        )
        .await;
    assert_eq!(status, 200);
    for _ in 0..3 {
        assert_eq!(partner.get("/me").await.status, 200);
    }
    let body = crate::helpers::order_body("c-flight", &product, "monthly", 1).to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = "in-flight-1";
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {bearer}\r\n\
         Flux-Timestamp: {ts}\r\nFlux-Signature: {signature}\r\nIdempotency-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        host = app.address.trim_start_matches("http://"),
        bearer = partner.key,
        signature = partner.signature(ts, "POST", "/api/v1/orders", key, &body),
        length = body.len(),
    );
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    // The server is reading the body when it is told to stop. The rest
    // of the body follows once it has drained and stopped listening.
    app.begin_shutdown();
    let closed = crate::helpers::eventually(10, || async {
        reqwest::get(app.url("/healthz")).await.is_err().then_some(())
    })
    .await;
    assert!(closed.is_some(), "the server stops taking connections");
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the order in flight is answered: {response}"
    );

    let url = app.database_url().to_owned();
    app.stop().await;
    let store = app::store::Store::connect(&url).await.unwrap();
    let logged = crate::helpers::count(&store, "SELECT COUNT(*) FROM api_requests").await;
    let orders = crate::helpers::count(&store, "SELECT COUNT(*) FROM orders").await;
    store.close().await;
    assert_eq!(orders, 1, "the order in flight was placed");
    assert_eq!(logged, 4, "every request was logged before the server stopped");
}
