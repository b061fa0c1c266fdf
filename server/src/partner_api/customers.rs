//! `GET /customers` and `GET /customers/{id}`.

use super::{
    PartnerState,
    auth::Partner,
    schemas::{CustomerOut, Page, ProblemOut},
};
use crate::{
    json::{ApiPath, ApiQuery, clamp_limit, path_id},
    problem::ApiResult,
};
use app::{
    customers::CustomerFilter,
    ids::{CustomerId, parse_id},
    orders::service as orders,
};
use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
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
#[utoipa::path(get, path = "/customers", tag = "customers", params(ListQuery),
    responses((status = 200, body = Page<CustomerOut>), (status = 401, body = ProblemOut), (status = 422, body = ProblemOut)))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    query: ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<CustomerOut>>> {
    let limit = clamp_limit(query.limit)?;
    let filter = CustomerFilter {
        external_id: query.external_id.clone().filter(|e| !e.is_empty()),
        search: None,
        before: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| parse_id("cursor", c))
            .transpose()?,
        limit: limit + 1,
    };
    let items = orders::customers(&state.app.store, &partner.reseller.id, &filter).await?;
    Ok(Json(super::page(items, limit, |c| c.id.to_string(), CustomerOut::from)))
}

/// One of your customers.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = String, Path, description = "cus_...")),
    responses((status = 200, body = CustomerOut), (status = 404, body = ProblemOut)))]
pub async fn read(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomerOut>> {
    let id: CustomerId = path_id(&id, "customer")?;
    Ok(Json(
        orders::customer(&state.app.store, &partner.reseller.id, &id)
            .await?
            .into(),
    ))
}
