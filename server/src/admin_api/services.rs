//! `/services/{id}/{activate|suspend|unsuspend|terminate}`: provisioning
//! outcomes, which drive the service events; and a service's cancellation
//! and changes on the reseller's behalf (the partner API's use cases,
//! audited as the operator).

use super::Operator;
use crate::{
    json::{ApiPath, parse_json, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    changes::{
        CancelRequest, Cancelled, Change, ChangePlan, ChangeRequest,
        service::{self as changes, Caller},
    },
    error::ErrorCode,
    ids::ServiceId,
    services::{Service, ServiceAction, service as services},
    state::AppState,
};
use axum::{Json, Router, body::Bytes, extract::State, routing::post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/{id}/cancel", post(cancel).delete(withdraw_cancellation))
        .route("/services/{id}/change/preview", post(preview_change))
        .route("/services/{id}/change", post(change).delete(withdraw_change))
        .route("/services/{id}/{action}", post(act))
}

/// A JSON body, or the defaults when there is none.
fn body_or_default<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(true, body)
}

async fn cancel(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Cancelled>> {
    let id: ServiceId = path_id(&id, "service")?;
    let cancellation = body_or_default::<CancelRequest>(&body)?.validate()?;
    let caller = Caller::Operator(&operator.actor);
    Ok(Json(
        changes::cancel(&state.store, &state.settings, caller, &id, &cancellation).await?,
    ))
}

async fn withdraw_cancellation(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Service>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(
        changes::withdraw_cancellation(&state.store, Caller::Operator(&operator.actor), &id).await?,
    ))
}

async fn preview_change(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<ChangePlan>> {
    let id: ServiceId = path_id(&id, "service")?;
    let request: ChangeRequest = body_or_default(&body)?;
    Ok(Json(
        changes::preview(&state.store, Caller::Operator(&operator.actor), &id, &request).await?,
    ))
}

async fn change(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Change>> {
    let id: ServiceId = path_id(&id, "service")?;
    let request: ChangeRequest = body_or_default(&body)?;
    Ok(Json(
        changes::change(&state.store, Caller::Operator(&operator.actor), &id, &request).await?,
    ))
}

async fn withdraw_change(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Service>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(
        changes::withdraw_change(&state.store, Caller::Operator(&operator.actor), &id).await?,
    ))
}

async fn act(
    State(state): State<AppState>,
    operator: Operator,
    ApiPath((id, action)): ApiPath<(String, String)>,
) -> ApiResult<Json<Service>> {
    let id: ServiceId = path_id(&id, "service")?;
    let action = ServiceAction::parse(&action).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "No such action: use activate, suspend, unsuspend or terminate.",
        )
    })?;
    Ok(Json(
        services::change_status(&state.store, &operator.actor, &id, action).await?,
    ))
}
