//! A partner's software: signed requests to the partner API.

use super::*;

/// A partner's software: an API key and the webhook secret to sign with.
#[derive(Clone)]
pub struct PartnerClient {
    pub base: String,
    pub key: String,
    pub secret: Vec<u8>,
    pub reseller_id: String,
    client: reqwest::Client,
}

pub struct PartnerResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl PartnerResponse {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Admin {
    /// An active reseller with a webhook secret and an API key of `scope`.
    pub async fn partner(&self, app: &TestApp, email: &str, scope: &str) -> PartnerClient {
        let reseller_id = self.reseller(email, "active").await;
        self.partner_for(app, &reseller_id, scope).await
    }

    /// A key of `scope` (and a webhook secret) for an existing reseller.
    pub async fn partner_for(&self, app: &TestApp, reseller_id: &str, scope: &str) -> PartnerClient {
        self.partner_at(&app.url(""), reseller_id, scope).await
    }

    /// The same, for a server at `base` (`http://host:port`).
    pub async fn partner_at(&self, base: &str, reseller_id: &str, scope: &str) -> PartnerClient {
        let (status, webhook) = self
            .put(
                &format!("/resellers/{reseller_id}/webhook"),
                serde_json::json!({ "url": "http://127.0.0.1:9/hooks" }),
            )
            .await;
        assert_eq!(status, 200, "{webhook}");
        let secret = webhook["secret"].as_str().unwrap().to_owned();
        let (status, key) = self
            .post(
                &format!("/resellers/{reseller_id}/api-keys"),
                serde_json::json!({ "scope": scope }),
            )
            .await;
        assert_eq!(status, 201, "{key}");
        use base64::Engine;
        PartnerClient {
            base: base.to_owned(),
            key: key["key"].as_str().unwrap().to_owned(),
            secret: base64::engine::general_purpose::STANDARD
                .decode(secret.trim_start_matches("whsec_"))
                .unwrap(),
            reseller_id: reseller_id.to_owned(),
            client: reqwest::Client::new(),
        }
    }
}

impl PartnerClient {
    pub fn new(base: String, key: String, secret: Vec<u8>, reseller_id: String) -> Self {
        PartnerClient {
            base,
            key,
            secret,
            reseller_id,
            client: reqwest::Client::new(),
        }
    }

    pub fn with_key(&self, key: &str) -> PartnerClient {
        PartnerClient {
            base: self.base.clone(),
            key: key.to_owned(),
            secret: self.secret.clone(),
            reseller_id: self.reseller_id.clone(),
            client: self.client.clone(),
        }
    }

    /// `v2=<signature>` of a request; `idempotency_key` as sent (empty
    /// for a request without one).
    pub fn signature(&self, timestamp: i64, method: &str, path: &str, idempotency_key: &str, body: &str) -> String {
        format!(
            "v2={}",
            server::partner_api::signature::sign(
                &self.secret,
                timestamp,
                method,
                path,
                idempotency_key,
                body.as_bytes()
            )
        )
    }

    /// Sends `method path` with `body`, signed unless `signed` is false,
    /// plus `headers`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        signed: bool,
        headers: &[(&str, String)],
    ) -> PartnerResponse {
        let full = format!("/api/v1{path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method.clone(), format!("{}{full}", self.base))
            .bearer_auth(&self.key);
        let body = body.unwrap_or("");
        if signed {
            let ts = time::OffsetDateTime::now_utc().unix_timestamp();
            let idempotency_key = headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("idempotency-key"))
                .map(|(_, value)| value.as_str())
                .unwrap_or("");
            request = request.header("Flux-Timestamp", ts.to_string()).header(
                "Flux-Signature",
                self.signature(ts, method.as_str(), &full, idempotency_key, body),
            );
        }
        if !body.is_empty() {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("partner API reachable");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        PartnerResponse { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> PartnerResponse {
        self.send("GET", path, None, false, &[]).await
    }

    /// A signed order with a fresh idempotency key.
    pub async fn order(&self, body: &serde_json::Value) -> PartnerResponse {
        let key = ulid::Ulid::new().to_string();
        self.order_with_key(body, &key).await
    }

    /// A signed `method path` (POST, DELETE) with `body`, under a fresh
    /// idempotency key.
    pub async fn signed(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> PartnerResponse {
        let key = ulid::Ulid::new().to_string();
        self.signed_with_key(method, path, body, &key).await
    }

    pub async fn signed_with_key(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: &str,
    ) -> PartnerResponse {
        let body = body.map(|b| b.to_string());
        let headers = [("Idempotency-Key", idempotency_key.to_owned())];
        self.send(method, path, body.as_deref(), true, &headers).await
    }

    /// `POST /orders` of `{}` under `idempotency_key`, without a signature.
    pub async fn unsigned_order(&self, idempotency_key: &str) -> PartnerResponse {
        let headers = [("Idempotency-Key", idempotency_key.to_owned())];
        self.send("POST", "/orders", Some("{}"), false, &headers).await
    }

    pub async fn order_with_key(&self, body: &serde_json::Value, idempotency_key: &str) -> PartnerResponse {
        self.send(
            "POST",
            "/orders",
            Some(&body.to_string()),
            true,
            &[("Idempotency-Key", idempotency_key.to_owned())],
        )
        .await
    }
}

/// An order body for `product` on `term`.
pub fn order_body(external_id: &str, product: &str, term: &str, quantity: u32) -> serde_json::Value {
    serde_json::json!({
        "customer": { "external_id": external_id, "name": "End Customer", "email": "end@example.com" },
        "lines": [{ "product_id": product, "term": term, "quantity": quantity }]
    })
}

/// `secret` with its last character changed (never equal to the original).
pub fn tamper(secret: &str) -> String {
    let last = secret.chars().last().unwrap_or('a');
    let replacement = if last == 'A' { 'B' } else { 'A' };
    format!("{}{replacement}", &secret[..secret.len() - last.len_utf8()])
}
