//! The partner API (`/api/v1`): what a reseller's software integrates
//! against. Every request passes, in this order: request id, API key,
//! profile gates and scope, rate limit, signature (state-changing
//! requests), the handler; and every request, rejected ones included, is
//! logged by the outermost step.

pub mod audit;
pub mod auth;
mod billing;
pub mod cache;
mod customers;
mod me;
mod orders;
mod products;
pub mod rate_limit;
pub mod request_id;
pub mod schemas;
mod services;
pub mod signature;

use crate::problem::ApiError;
use app::{error::ErrorCode, state::AppState};
use audit::ApiLog;
use axum::{Json, Router, middleware, routing::get};
use rate_limit::RateLimiter;
use std::sync::Arc;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// What partner handlers share.
#[derive(Clone, Debug)]
pub struct PartnerState {
    pub app: AppState,
    pub log: ApiLog,
    pub limiter: Arc<RateLimiter>,
    pub cache: Arc<cache::PartnerCache>,
    pub metrics: crate::metrics::Metrics,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "FluxBilling partner API",
        version = "1",
        description = "Place orders and read your catalogue, orders, services and customers. \
            Authenticate with `Authorization: Bearer <API key>`. Every state-changing request carries an \
            `Idempotency-Key` (1-255 visible ASCII characters; a retry with the same key and body replays \
            the first answer) and is signed: `Flux-Timestamp: <unix seconds>` and \
            `Flux-Signature: v2=<hex HMAC-SHA256(key, \"<timestamp>.<METHOD>.<path and query>.<Idempotency-Key>.<raw body>\")>`, \
            the key being your whsec_ secret's base64-decoded bytes (up to 4 comma-separated `v2=` \
            candidates while rotating; `v1` is refused with `signature_version_unsupported`). \
            Errors are application/problem+json with a stable `code`."
    ),
    servers((url = "/api/v1")),
    components(schemas(app::error::Problem, app::error::ErrorCode)),
    modifiers(&SecuritySchemes),
    security(("api_key" = []))
)]
struct ApiDoc;

/// The key on every request; on state-changing ones also the signature
/// and its timestamp (named by `POST /orders`' security requirement).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer <API key>`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "flux_timestamp",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Flux-Timestamp",
                "The current unix time in seconds (within 300 s of the server's clock), as signed.",
            ))),
        );
        components.add_security_scheme(
            "flux_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Flux-Signature",
                "`v2=<lowercase hex HMAC-SHA256(key, \"<Flux-Timestamp>.<METHOD>.<path and query>.<Idempotency-Key>.<raw body>\")>`, \
                 the key being your whsec_ secret's base64-decoded bytes; up to 4 comma-separated candidates.",
            ))),
        );
    }
}

/// The routes and the OpenAPI document, from the same declarations.
fn routes() -> (Router<PartnerState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orders::place, orders::list))
        .routes(routes!(orders::read))
        .routes(routes!(products::list))
        .routes(routes!(services::list))
        .routes(routes!(services::read))
        .routes(routes!(services::cancel, services::withdraw_cancellation))
        .routes(routes!(services::preview_change))
        .routes(routes!(services::change, services::withdraw_change))
        .routes(routes!(customers::list))
        .routes(routes!(customers::read))
        .routes(routes!(me::read))
        .routes(routes!(billing::balance))
        .routes(routes!(billing::transactions))
        .routes(routes!(billing::statement))
        .split_for_parts()
}

/// The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
pub fn openapi_json() -> serde_json::Value {
    let (_, openapi) = routes();
    let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
    document_refusals(&mut doc);
    refer_to_page_items(&mut doc);
    doc
}

/// utoipa inlines a generic's argument: `Page_Order`'s items would be a
/// copy of `Order`, and a generated client would get a second order type.
/// Each `Page_<T>` refers to the `<T>` component instead, where there is one.
fn refer_to_page_items(doc: &mut serde_json::Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let items: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|name| Some((name.clone(), name.strip_prefix("Page_")?.to_owned())))
        .filter(|(_, item)| schemas.contains_key(item))
        .collect();
    for (page, item) in items {
        schemas[&page]["properties"]["data"]["items"] =
            serde_json::json!({ "$ref": format!("#/components/schemas/{item}") });
    }
}

/// Refusals any operation may get from the steps before its handler: the
/// key, the gates, the rate limit, the signature and the server's limits.
const COMMON_REFUSALS: &[(&str, &str)] = &[
    (
        "401",
        "Missing, unknown or revoked API key; missing, bad or stale signature; retired signature version (v1)",
    ),
    (
        "403",
        "Reseller not active or suspended, API access disabled, or key scope too narrow",
    ),
    ("408", "The request took longer than the server's request timeout"),
    ("414", "Request line longer than 8 KiB"),
    ("429", "Rate limit reached (see Retry-After and the RateLimit fields)"),
    ("431", "Request headers larger than 16 KiB"),
];

/// Every error response is `application/problem+json` (utoipa would say
/// `application/json`), and every operation lists the common refusals.
fn document_refusals(doc: &mut serde_json::Value) {
    let problem = serde_json::json!({
        "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } }
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let Some(responses) = operation["responses"].as_object_mut() else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if status.as_str() >= "400" {
                response["content"] = problem.clone();
            }
        }
        for (status, description) in COMMON_REFUSALS {
            let response = responses
                .entry(*status)
                .or_insert_with(|| serde_json::json!({ "content": problem.clone() }));
            // OpenAPI requires a description: an operation's own, or this.
            if response["description"].as_str().is_none_or(str::is_empty) {
                response["description"] = serde_json::json!(description);
            }
        }
    }
}

/// The partner API; a request taking longer than `request_timeout` is
/// answered 408 (and logged so).
pub fn router(state: PartnerState, request_timeout: std::time::Duration) -> Router {
    let (api, _) = routes();
    let spec = Arc::new(openapi_json());
    api.method_not_allowed_fallback(crate::problem::method_not_allowed)
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such partner API endpoint.") })
        // Added first, so these run last (innermost), after the steps below.
        // Unknown paths and methods are answered (404/405) after them: the
        // API says nothing to a caller it does not know.
        .layer(middleware::from_fn_with_state(state.clone(), signature::check))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .with_state(state.clone())
        // The document itself needs no key.
        .route("/openapi.json", get(move || async move { Json(spec.as_ref().clone()) }))
        // Inside the log: a request that runs out of time is logged as 408.
        .layer(middleware::from_fn_with_state(request_timeout, crate::limits::timeout))
        .layer(middleware::from_fn_with_state(state.log.clone(), audit::record))
        .layer(middleware::from_fn(request_id::assign))
        .layer(middleware::from_fn_with_state(
            (state.metrics.clone(), "partner"),
            crate::metrics::track,
        ))
}
