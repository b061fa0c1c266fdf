//! Prometheus metrics at `/metrics` (text format 0.0.4): partner and admin
//! API requests by route and status, their latency, rate-limit refusals,
//! webhook deliveries by outcome, the delivery backlog, request-path cache
//! hits, change announcements heard and background passes.
//!
//! Each `Application` owns its registry (no global recorder): two
//! instances in one process, as in the tests, count apart. Recording is a
//! few atomic additions after the response is built; the backlog is read
//! from the database only when scraped.

use crate::problem::ApiError;
use app::{
    error::{AppError, ErrorCode},
    state::AppState,
};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, prometheus_text},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use std::{sync::Arc, time::Instant};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    api: &'static str,
    method: &'static str,
    /// The route's template (`/api/v1/orders/{id}`), or `unmatched`.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    api: &'static str,
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    module: &'static str,
    action: &'static str,
    outcome: &'static str,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    rate_limited: Family<ScopeLabels, Counter>,
    deliveries: Family<OutcomeLabels, Counter>,
    backlog: Gauge,
    actions: Family<ActionLabels, Counter>,
    actions_open: Gauge,
    oldest_failed: Gauge,
    cache: Family<CacheLabels, Counter>,
    changes: Family<OutcomeLabels, Counter>,
    housekeeping: Family<OutcomeLabels, Counter>,
}

/// The instance's metrics; cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("fluxbilling");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "api_requests",
            "Partner and admin API requests answered, by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "api_request_duration_seconds",
            "Time to answer partner and admin API requests",
            latency.clone(),
        );
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit (reseller: the partner API limit; auth_failures: an address's failed keys)",
            rate_limited.clone(),
        );
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts by outcome (succeeded, retrying, failed, parked)",
            deliveries.clone(),
        );
        let backlog = Gauge::default();
        registry.register(
            "webhook_deliveries_pending",
            "Deliveries waiting for an attempt (read when scraped)",
            backlog.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register(
            "provisioning_attempts",
            "Provisioning attempts by module, action and the action's state after it (done, waiting, queued: to be retried, failed)",
            actions.clone(),
        );
        let actions_open = Gauge::default();
        registry.register(
            "provisioning_actions_open",
            "Provisioning actions queued, running or waiting for the endpoint's report (read when scraped)",
            actions_open.clone(),
        );
        let oldest_failed = Gauge::default();
        registry.register(
            "provisioning_oldest_failed_age_seconds",
            "Age of the oldest failed provisioning action, 0 when none (read when scraped)",
            oldest_failed.clone(),
        );
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register("cache_lookups", "Request-path cache look-ups by outcome", cache.clone());
        let changes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "change_signals",
            "Change announcements heard from the database (changed) and listener reconnections (reconnected)",
            changes.clone(),
        );
        let housekeeping = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "housekeeping_passes",
            "Renewal and sweep passes: ran (this instance holds the lease) or skipped",
            housekeeping.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            requests,
            latency,
            rate_limited,
            deliveries,
            backlog,
            actions,
            actions_open,
            oldest_failed,
            cache,
            changes,
            housekeeping,
        }))
    }

    pub fn rate_limited(&self, scope: &'static str) {
        self.0.rate_limited.get_or_create(&ScopeLabels { scope }).inc();
    }

    /// A provisioning attempt of the `http` module and where it left its action.
    pub fn provisioning(&self, action: &'static str, outcome: &'static str) {
        let labels = ActionLabels {
            module: "http",
            action,
            outcome,
        };
        self.0.actions.get_or_create(&labels).inc();
    }

    pub fn delivery(&self, outcome: &'static str) {
        self.0.deliveries.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn cache_lookup(&self, cache: &'static str, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.0.cache.get_or_create(&CacheLabels { cache, outcome }).inc();
    }

    pub fn change_signal(&self, signal: app::store::ChangeSignal) {
        let outcome = match signal {
            app::store::ChangeSignal::Changed => "changed",
            app::store::ChangeSignal::Reconnected => "reconnected",
        };
        self.0.changes.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn housekeeping(&self, ran: bool) {
        let outcome = if ran { "ran" } else { "skipped" };
        self.0.housekeeping.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    fn request(&self, api: &'static str, method: &Method, route: &str, status: u16, started: Instant) {
        let method = method_label(method);
        self.0
            .requests
            .get_or_create(&RequestLabels {
                api,
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.0
            .latency
            .get_or_create(&RouteLabels {
                api,
                method,
                route: route.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(&mut text, &self.0.registry);
        text
    }
}

/// A request's method as a label: the methods the APIs answer, else
/// `other`. Any token is a valid method, and a label per token would let a
/// client make new series (and memory) with every request.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a request of `api` (`partner` or `admin`): the outermost layer
/// of each API's router, so refusals of every step are counted.
pub async fn track(State((metrics, api)): State<(Metrics, &'static str)>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    metrics.request(api, &method, route, response.status().as_u16(), started);
    response
}

/// What `/metrics` needs: the registry, the store (for the backlog), and
/// the token that guards it, if configured.
#[derive(Clone, Debug)]
pub struct Scrape {
    pub metrics: Metrics,
    pub state: AppState,
    pub token: Option<Arc<str>>,
}

/// `GET /metrics`. With `FLUX_METRICS_TOKEN` set, only `Authorization:
/// Bearer <token>` may read it (401 otherwise).
pub async fn scrape(State(scrape): State<Scrape>, request: Request) -> Result<Response, ApiError> {
    if let Some(token) = &scrape.token {
        let given = crate::credentials::bearer_header(request.headers()).unwrap_or_default();
        if !app::secrets::constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return Err(ApiError(AppError::new(
                ErrorCode::Unauthenticated,
                "Send the metrics token: Authorization: Bearer <FLUX_METRICS_TOKEN>.",
            )));
        }
    }
    match scrape.state.store.pending_deliveries().await {
        Ok(pending) => {
            scrape.metrics.0.backlog.set(pending);
        }
        Err(err) => tracing::warn!(%err, "metrics: the delivery backlog could not be read"),
    }
    match app::provisioning::service::backlog(&scrape.state.store).await {
        Ok((open, oldest_failed)) => {
            scrape.metrics.0.actions_open.set(open);
            let age = oldest_failed.map_or(0, |at| {
                (app::timestamp::Timestamp::now().unix_seconds() - at.unix_seconds()).max(0)
            });
            scrape.metrics.0.oldest_failed.set(age);
        }
        Err(err) => tracing::warn!(%err, "metrics: the provisioning backlog could not be read"),
    }
    let mut response = scrape.metrics.encode().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_text::CONTENT_TYPE),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_labelled_from_a_fixed_set() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for invented in ["A1", "BREW", "get", "PROPFIND", "CONNECT", "TRACE"] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{invented}");
        }
    }
}
