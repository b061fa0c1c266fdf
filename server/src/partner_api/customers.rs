//! `GET /customers` and `GET /customers/{id}`.

use super::{PartnerState, auth::Partner};
use crate::{
    json::{ApiPath, ApiQuery, path_id},
    problem::ApiResult,
};
use app::{
    customers::{self, Customer, CustomerFilter},
    error::Problem,
    ids::CustomerId,
    lists::Page,
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Exactly this external id (yours).
    external_id: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List your end customers, newest first.
#[utoipa::path(get, path = "/customers", operation_id = "list_customers", tag = "customers", params(ListQuery),
    responses(
        (status = 200, description = "A page of your customers", body = Page<Customer>),
        (status = 422, description = "Bad limit, cursor or external id", body = Problem)
    ))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let q = &query.0;
    let filter = CustomerFilter::parse(q.external_id.as_deref(), None, q.cursor.as_deref(), q.limit)?;
    Ok(Json(
        customers::service::customers(&state.app.store, &partner.reseller.id, &filter).await?,
    ))
}

/// One of your customers.
#[utoipa::path(get, path = "/customers/{id}", operation_id = "get_customer", tag = "customers",
    params(("id" = String, Path, description = "cus_...")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 404, description = "No customer of yours has this id", body = Problem)
    ))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Customer>> {
    let id: CustomerId = path_id(&id, "customer")?;
    Ok(Json(
        customers::service::customer(&state.app.store, &partner.reseller.id, &id).await?,
    ))
}
