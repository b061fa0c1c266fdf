//! The admin API's client.

use super::*;

/// An admin API client holding a fresh admin token.
pub struct Admin {
    pub base: String,
    pub token: String,
    client: reqwest::Client,
}

impl TestApp {
    pub async fn admin(&self) -> Admin {
        let issued = accounts::create_admin_token(&self.store, &app::audit::Actor::cli(), "tests")
            .await
            .expect("admin token");
        Admin {
            base: self.url("/api/admin/v1"),
            token: issued.secret,
            client: reqwest::Client::new(),
        }
    }
}

impl Admin {
    /// A client of the admin API at `base` (…/api/admin/v1) with `token`.
    pub fn new(base: String, token: String) -> Self {
        Admin {
            base,
            token,
            client: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("admin API reachable");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// A `POST` with an `Idempotency-Key`.
    pub async fn post_with_key(&self, path: &str, body: serde_json::Value, key: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("admin API reachable");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Creates a product with the given retail monthly and hourly prices.
    pub async fn product(&self, slug: &str, monthly: Option<&str>, hourly: Option<&str>) -> String {
        let (status, body) = self
            .post(
                "/products",
                serde_json::json!({
                    "name": format!("Product {slug}"),
                    "slug": slug,
                    "kind": "vps",
                    "retail_monthly": monthly,
                    "retail_hourly": hourly,
                    "retail_setup_fee": "5.00",
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Invites a reseller and moves it to `status` through allowed steps.
    pub async fn reseller(&self, email: &str, status: &str) -> String {
        let (code, body) = self
            .post(
                "/resellers",
                serde_json::json!({ "email": email, "company_name": format!("Co {email}") }),
            )
            .await;
        assert_eq!(code, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        let steps: &[&str] = match status {
            "pending" => &[],
            "active" => &["approve"],
            "suspended" => &["approve", "suspend"],
            "terminated" => &["terminate"],
            other => panic!("unknown status {other}"),
        };
        for step in steps {
            let (code, body) = self
                .post(
                    &format!("/resellers/{id}/{step}"),
                    serde_json::json!({ "reason": "test setup" }),
                )
                .await;
            assert_eq!(code, 200, "{step}: {body}");
        }
        id
    }
}

impl Admin {
    /// An active service of one unit of `product` on `term`, ordered by
    /// `partner` and activated, its renewal date moved to `due`.
    pub async fn due_service(
        &self,
        app: &TestApp,
        partner: &PartnerClient,
        product: &str,
        term: &str,
        due: app::timestamp::Timestamp,
    ) -> String {
        let order = partner.order(&order_body("due", product, term, 1)).await;
        assert_eq!(order.status, 201, "{}", order.body);
        let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
        let (status, body) = self
            .post(&format!("/services/{service}/activate"), serde_json::json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        let sql = format!("UPDATE services SET next_renewal_at = $1 WHERE id = '{service}'");
        execute_at(&app.store, &sql, due).await;
        service
    }
}
