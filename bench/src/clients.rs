//! The API clients: set-up through the admin API ([`Admin`]), a partner's
//! signed orders ([`Partner`]), the products scenarios (one instance and
//! two), and a browser's first load of each panel.

use crate::{
    load::{Outcome, Stats, load},
    processes::serve,
};
use anyhow::{Context, bail};
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use time::OffsetDateTime;

#[derive(Clone)]
pub(crate) struct Admin {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Admin {
    pub(crate) fn new(base: &str, token: String) -> Admin {
        Admin {
            base: base.to_owned(),
            token,
            client: reqwest::Client::new(),
        }
    }

    /// A VPS product with a retail monthly price of 10.00; its id.
    pub(crate) async fn product(&self, name: &str, slug: &str) -> anyhow::Result<String> {
        let product = self
            .call(
                reqwest::Method::POST,
                "/products",
                json!({ "name": name, "slug": slug, "kind": "vps", "retail_monthly": "10.00" }),
            )
            .await?;
        Ok(product["id"].as_str().context("product id")?.to_owned())
    }

    /// The same, provisioned by the `http` module calling `endpoint`.
    pub(crate) async fn http_product(&self, name: &str, slug: &str, endpoint: &str) -> anyhow::Result<String> {
        let product = self
            .call(
                reqwest::Method::POST,
                "/products",
                json!({
                    "name": name, "slug": slug, "kind": "vps", "retail_monthly": "10.00",
                    "provisioning": { "module": "http", "url": endpoint }
                }),
            )
            .await?;
        Ok(product["id"].as_str().context("product id")?.to_owned())
    }

    pub(crate) async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .client
            .request(method, format!("{}/api/admin/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let value: Value = r.json().await?;
        if !status.is_success() {
            bail!("{path}: {status} {value}");
        }
        Ok(value)
    }
}

/// An active reseller `name` with `product` in its book, a key and a
/// webhook to the receiver: its software, ready to order.
pub(crate) async fn bench_partner(
    admin: &Admin,
    base: &str,
    name: &str,
    product: &str,
    receiver_port: u16,
) -> anyhow::Result<Partner> {
    let reseller = admin
        .call(
            reqwest::Method::POST,
            "/resellers",
            json!({ "email": format!("{name}@example.com"), "company_name": format!("{name} Co"), "rate_limit": 1_000_000 }),
        )
        .await?;
    let reseller_id = reseller["id"].as_str().unwrap_or_default().to_owned();
    admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{reseller_id}/approve"),
            json!({}),
        )
        .await?;
    admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{reseller_id}/products/{product}"),
            json!({ "wholesale_monthly": "8.00" }),
        )
        .await?;
    let webhook = admin
        .call(
            reqwest::Method::PUT,
            &format!("/resellers/{reseller_id}/webhook"),
            json!({ "url": format!("http://127.0.0.1:{receiver_port}/hooks") }),
        )
        .await?;
    let secret = webhook["secret"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("whsec_")
        .to_owned();
    let key = admin
        .call(
            reqwest::Method::POST,
            &format!("/resellers/{reseller_id}/api-keys"),
            json!({}),
        )
        .await?;
    Ok(Partner {
        url: Arc::new(format!("{base}/api/v1/orders")),
        key: Arc::new(key["key"].as_str().unwrap_or_default().to_owned()),
        secret: Arc::new(base64::engine::general_purpose::STANDARD.decode(secret)?),
        product: Arc::new(product.to_owned()),
        reseller: reseller_id,
    })
}

/// A reseller's software placing signed, idempotent orders.
#[derive(Clone)]
pub(crate) struct Partner {
    pub(crate) reseller: String,
    url: Arc<String>,
    pub(crate) key: Arc<String>,
    secret: Arc<Vec<u8>>,
    product: Arc<String>,
}

impl Partner {
    /// The same reseller's software, ordering `product`.
    pub(crate) fn ordering(&self, product: &str) -> Partner {
        Partner {
            product: Arc::new(product.to_owned()),
            ..self.clone()
        }
    }

    /// Places order `n` (one line, one service): true on 201.
    pub(crate) async fn order(&self, c: &reqwest::Client, n: u64) -> bool {
        let body = json!({
            // Each order its own customer, as a shop's orders mostly are.
            "customer": { "external_id": format!("bench-{n:x}") },
            "lines": [{ "product_id": self.product.as_str(), "term": "monthly", "quantity": 1 }]
        })
        .to_string();
        let ts = OffsetDateTime::now_utc().unix_timestamp();
        let key = format!("bench-{n}-{ts}");
        let signature = sign(&self.secret, ts, "POST", "/api/v1/orders", &key, &body);
        c.post(self.url.as_str())
            .bearer_auth(self.key.as_str())
            .header("content-type", "application/json")
            .header("Flux-Timestamp", ts.to_string())
            .header("Flux-Signature", format!("v2={signature}"))
            .header("Idempotency-Key", key)
            .body(body)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 201)
    }
}

/// Signature v2, as a partner's own code computes it (DESIGN.md "Partner
/// API"): written here from the contract rather than taken from the
/// server, so the benchmark talks to it as an outside client does.
fn sign(key: &[u8], ts: i64, method: &str, path: &str, idempotency_key: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("{ts}.{method}.{path}.{idempotency_key}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `clients` loops of `partner`'s orders for `duration`. `high` is or'ed
/// into each order number: `load` numbers every scenario's requests afresh,
/// and a later scenario of the same partner must not reuse an earlier one's
/// customers (each order is its own customer).
pub(crate) async fn load_orders(clients: usize, duration: Duration, partner: &Partner, high: u64) -> Stats {
    load(clients, duration, {
        let partner = partner.clone();
        move |c, n| {
            let partner = partner.clone();
            async move { partner.order(&c, high | n).await }
        }
    })
    .await
}

/// For each allowed request, the end (Unix seconds) of the rate-limit
/// window it was counted in.
type WindowEnds = Arc<Mutex<Vec<i64>>>;

/// `GET /api/v1/products` with a partner's key: what the products
/// scenarios send. With `ends`, a 2xx's window end is recorded.
async fn get_products(c: reqwest::Client, url: Arc<String>, key: Arc<String>, ends: Option<WindowEnds>) -> Outcome {
    let response = c.get(url.as_str()).bearer_auth(key.as_str()).send().await;
    if let (Some(ends), Ok(r)) = (&ends, &response)
        && r.status().is_success()
    {
        ends.lock().expect("window ends").push(window_end(r));
    }
    Outcome::of(response)
}

/// When the rate-limit window of a response ends, in Unix seconds, from
/// `RateLimit: "reseller";r=998;t=42` (0 without the field).
fn window_end(response: &reqwest::Response) -> i64 {
    response
        .headers()
        .get("ratelimit")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .find_map(|part| part.trim().strip_prefix("t=")?.parse::<i64>().ok())
        })
        .map_or(0, |t| OffsetDateTime::now_utc().unix_timestamp() + t)
}

/// Allowed requests per rate-limit window, from their windows' ends: ends
/// less than half a window apart are one window (`t=` is rounded to whole
/// seconds, and windows counted in each process start apart).
fn per_window(mut ends: Vec<i64>, window_secs: u64) -> Vec<u64> {
    ends.sort_unstable();
    let apart = i64::try_from(window_secs / 2).unwrap_or(i64::MAX).max(1);
    let mut windows: Vec<(i64, u64)> = Vec::new();
    for end in ends {
        match windows.last_mut() {
            Some((first, count)) if end - *first < apart => *count += 1,
            _ => windows.push((end, 1)),
        }
    }
    windows.into_iter().map(|(_, count)| count).collect()
}

pub(crate) async fn load_products(
    clients: usize,
    duration: Duration,
    url: Arc<String>,
    key: Arc<String>,
    ends: Option<WindowEnds>,
) -> Stats {
    load(clients, duration, move |c, _| {
        get_products(c, url.clone(), key.clone(), ends.clone())
    })
    .await
}

/// The products scenario on both instances at once, the clients split
/// between them: each instance's stats.
async fn load_products_on_both(
    clients: usize,
    duration: Duration,
    urls: &[Arc<String>; 2],
    key: &Arc<String>,
    ends: Option<WindowEnds>,
) -> [Stats; 2] {
    let (first, second) = tokio::join!(
        load_products(
            clients - clients / 2,
            duration,
            urls[0].clone(),
            key.clone(),
            ends.clone()
        ),
        load_products(clients / 2, duration, urls[1].clone(), key.clone(), ends),
    );
    [first, second]
}

/// The rate limit of the reseller of the two-instance rate-limit scenario,
/// low enough for the load to exceed it early in one window.
pub(crate) const LIMITED_RATE_LIMIT: u64 = 3_000;

/// What the two-instance scenarios measured.
pub(crate) struct TwoInstances {
    /// `GET /api/v1/products` with the bench reseller's key, per instance.
    pub(crate) products: [Stats; 2],
    /// The same with the key of the reseller limited to
    /// [`LIMITED_RATE_LIMIT`] requests per window, per instance.
    pub(crate) limited: [Stats; 2],
    /// The limited reseller's allowed requests per rate-limit window the
    /// scenario touched, in order.
    pub(crate) limited_windows: Vec<u64>,
    /// The servers' rate-limit window (`GET /api/v1/me`).
    pub(crate) window_secs: u64,
    /// Warm-up and measured span of one scenario: what a window must hold.
    pub(crate) span: Duration,
}

/// Starts a second `fluxbilling serve` beside the first (same binary,
/// database and secrets key, another port, no worker either) and loads both
/// with `GET /api/v1/products`: first with the bench reseller's key, then
/// with `limited_key`, whose reseller's rate limit the load exceeds. The
/// second process is stopped on return.
pub(crate) async fn two_instances(
    server_bin: &str,
    env: &[(&str, &str)],
    first_base: &str,
    key: &Arc<String>,
    limited_key: &Arc<String>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<TwoInstances> {
    let (_second, second_base) = serve(server_bin, env).await?;
    let me: Value = reqwest::Client::new()
        .get(format!("{first_base}/api/v1/me"))
        .bearer_auth(key.as_str())
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let window_secs = me["rate_limit_window_secs"]
        .as_u64()
        .context("GET /api/v1/me: no rate_limit_window_secs")?;
    let urls = [first_base, second_base.as_str()].map(|base| Arc::new(format!("{base}/api/v1/products")));
    let products = load_products_on_both(clients, duration, &urls, key, None).await;
    let ends = WindowEnds::default();
    let limited = load_products_on_both(clients, duration, &urls, limited_key, Some(ends.clone())).await;
    let ends = std::mem::take(&mut *ends.lock().expect("window ends"));
    Ok(TwoInstances {
        products,
        limited,
        limited_windows: per_window(ends, window_secs),
        window_secs,
        span: Duration::from_secs(2) + duration,
    })
}

/// The first page of each panel.
const FIRST_PAGES: [&str; 2] = ["/admin/login", "/portal/login"];

/// What a browser with an empty cache downloads for each first page,
/// accepting brotli as browsers do: the HTML and every `/pkg` file it links
/// (bodies as sent; this reqwest has no decompression, so `bytes()` is the
/// wire size less headers).
pub(crate) async fn first_load(base: &str) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let client = reqwest::Client::new();
    let get = |url: String| {
        let request = client.get(url).header("accept-encoding", "br, gzip");
        async move { anyhow::Ok(request.send().await?.error_for_status()?.bytes().await?) }
    };
    let mut sizes = Vec::new();
    for page in FIRST_PAGES {
        let html = get(format!("{base}{page}")).await?;
        let text = String::from_utf8_lossy(&html);
        let mut files: Vec<&str> = text
            .split("\"/pkg/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        files.sort_unstable();
        files.dedup();
        if !files.iter().any(|f| f.ends_with(".wasm")) {
            bail!("{page} links no wasm: is the site built (cargo xtask site --release)?");
        }
        let mut total = html.len() as u64;
        for file in files {
            total += get(format!("{base}/pkg/{file}")).await?.len() as u64;
        }
        sizes.push((page, total));
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_requests_are_grouped_by_window() {
        // Both processes counting alone: one window, ends a second apart.
        assert_eq!(per_window(vec![1060, 1061, 1060, 1061], 60), vec![4]);
        // A shared window straddled: two windows.
        assert_eq!(per_window(vec![1060, 1120, 1061, 1120, 1120], 60), vec![2, 3]);
        // No `RateLimit` field: all in one.
        assert_eq!(per_window(vec![0, 0, 0], 60), vec![3]);
        assert!(per_window(Vec::new(), 60).is_empty());
    }

    #[test]
    fn the_window_end_is_read_from_the_ratelimit_field() {
        let response = |value: &str| {
            reqwest::Response::from(
                axum::http::Response::builder()
                    .header("ratelimit", value)
                    .body(Vec::<u8>::new())
                    .expect("response"),
            )
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let end = window_end(&response("\"reseller\";r=998;t=42"));
        assert!((now + 42..=now + 43).contains(&end), "{end}");
        assert_eq!(window_end(&response("\"reseller\";r=998")), 0);
    }
}
