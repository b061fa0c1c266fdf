//! Onboarding a partner by script: API keys and the webhook endpoint.

use super::Operator;
use crate::{
    json::{ApiJson, ApiPath, path_id},
    problem::ApiResult,
};
use app::{
    api_access::{ApiKey, IssuedKey, KeyScope, WebhookEndpoint, service as api_access},
    ids::ResellerId,
    lists::Page,
    resellers::service as resellers,
    state::AppState,
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, get, post, put},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resellers/{id}/api-keys", get(list_keys).post(create_key))
        .route("/resellers/{id}/api-keys/{prefix}", delete(revoke_key))
        .route("/resellers/{id}/webhook", put(set_webhook).get(read_webhook))
        .route("/resellers/{id}/webhook/rotate-secret", post(rotate_secret))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyIn {
    #[serde(default)]
    name: Option<String>,
    /// `read` or `orders` (default).
    #[serde(default)]
    scope: Option<String>,
}

/// Issues a key; the response shows it once (`key`), with its `prefix`.
async fn create_key(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<KeyIn>,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    let id: ResellerId = path_id(&id, "reseller")?;
    let reseller = resellers::get(&state.store, &id).await?;
    let scope = KeyScope::parse(body.scope.as_deref().unwrap_or("orders"))?;
    let issued = api_access::create_key(
        &state.store,
        &operator.actor,
        &reseller,
        body.name.as_deref().unwrap_or(""),
        scope,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

async fn list_keys(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    resellers::get(&state.store, &id).await?;
    Ok(Json(Page {
        data: api_access::list_keys(&state.store, &id).await?,
        next_cursor: None,
    }))
}

async fn revoke_key(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, prefix)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let id: ResellerId = path_id(&id, "reseller")?;
    api_access::revoke_key(&state.store, &operator.actor, &id, &prefix).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookIn {
    url: String,
}

/// Sets the URL; the response carries the `whsec_` secret (created the
/// first time).
async fn set_webhook(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WebhookIn>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    Ok(Json(
        api_access::set_webhook_url(&state.store, &state.settings, &operator.actor, &id, &body.url).await?,
    ))
}

/// The URL and whether a secret exists (the secret is not shown).
async fn read_webhook(
    State(state): State<AppState>,
    _: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    resellers::get(&state.store, &id).await?;
    Ok(Json(
        api_access::endpoint(&state.store, &state.settings, &id, false).await?,
    ))
}

async fn rotate_secret(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id: ResellerId = path_id(&id, "reseller")?;
    Ok(Json(
        api_access::rotate_secret(&state.store, &state.settings, &operator.actor, &id).await?,
    ))
}
