//! `/services/{id}/{activate|suspend|unsuspend|terminate}`: provisioning
//! outcomes, which drive the service events.

use super::Operator;
use crate::{
    json::{ApiPath, path_id},
    problem::{ApiError, ApiResult},
};
use app::{
    error::ErrorCode,
    ids::ServiceId,
    services::{Service, ServiceAction, service as services},
    state::AppState,
};
use axum::{Json, Router, extract::State, routing::post};

pub fn router() -> Router<AppState> {
    Router::new().route("/services/{id}/{action}", post(act))
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
