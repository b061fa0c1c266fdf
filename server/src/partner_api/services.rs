//! `GET /services` and `GET /services/{id}`.

use super::{PartnerState, auth::Partner};
use crate::{
    json::{ApiPath, ApiQuery, path_id},
    problem::ApiResult,
};
use app::{
    error::Problem,
    ids::ServiceId,
    lists::Page,
    services::{self, Service, ServiceFilter, ServiceStatus},
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only services in this status.
    #[param(value_type = Option<ServiceStatus>)]
    status: Option<String>,
    /// Only this customer's services (`cus_...`).
    customer_id: Option<String>,
    /// Only this order's services (`ord_...`).
    order_id: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List your services, newest first.
#[utoipa::path(get, path = "/services", operation_id = "list_services", tag = "services", params(ListQuery),
    responses(
        (status = 200, description = "A page of your services", body = Page<Service>),
        (status = 422, description = "Bad status, limit, cursor, customer or order id", body = Problem)
    ))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Service>>> {
    let q = &query.0;
    let filter = ServiceFilter::parse(
        q.status.as_deref(),
        q.customer_id.as_deref(),
        q.order_id.as_deref(),
        q.cursor.as_deref(),
        q.limit,
    )?;
    Ok(Json(
        services::service::services(&state.app.store, &partner.reseller.id, &filter).await?,
    ))
}

/// One of your services: status, term, price and renewal date.
#[utoipa::path(get, path = "/services/{id}", operation_id = "get_service", tag = "services",
    params(("id" = String, Path, description = "svc_...")),
    responses(
        (status = 200, description = "The service", body = Service),
        (status = 404, description = "No service of yours has this id", body = Problem)
    ))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Service>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(
        services::service::service(&state.app.store, &partner.reseller.id, &id).await?,
    ))
}
