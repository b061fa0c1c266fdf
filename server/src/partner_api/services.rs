//! `GET /services` and `GET /services/{id}`.

use super::{
    PartnerState,
    auth::Partner,
    schemas::{Page, ProblemOut, ServiceOut, ServiceState},
};
use crate::{
    json::{ApiPath, ApiQuery, clamp_limit, path_id},
    problem::ApiResult,
};
use app::{
    ids::{ServiceId, parse_id},
    orders::service as orders,
    services::ServiceFilter,
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only services in this status.
    status: Option<ServiceState>,
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
#[utoipa::path(get, path = "/services", tag = "services", params(ListQuery),
    responses((status = 200, body = Page<ServiceOut>), (status = 401, body = ProblemOut), (status = 422, body = ProblemOut)))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ServiceOut>>> {
    let limit = clamp_limit(query.limit)?;
    let filter = ServiceFilter {
        status: query.status.map(Into::into),
        customer_id: query
            .customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("customer_id", c))
            .transpose()?,
        order_id: query
            .order_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("order_id", c))
            .transpose()?,
        before: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("cursor", c))
            .transpose()?,
        limit: limit + 1,
    };
    let items = orders::services(&state.app.store, &partner.reseller.id, &filter).await?;
    Ok(Json(super::page(items, limit, |s| s.id.to_string(), ServiceOut::from)))
}

/// One of your services: status, term, price and renewal date.
#[utoipa::path(get, path = "/services/{id}", tag = "services", params(("id" = String, Path, description = "svc_...")),
    responses((status = 200, body = ServiceOut), (status = 404, body = ProblemOut)))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ServiceOut>> {
    let id: ServiceId = path_id(&id, "service")?;
    Ok(Json(
        orders::service(&state.app.store, &partner.reseller.id, &id)
            .await?
            .into(),
    ))
}
