//! `GET /products`: the reseller's price book, now or at another time.

use super::{PartnerState, auth::Partner};
use crate::{json::ApiQuery, problem::ApiResult};
use app::{
    error::AppError,
    lists::Page,
    price_book::{CatalogItem, service as price_book},
    timestamp::Timestamp,
};
use axum::{
    body::Bytes,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductsQuery {
    /// An RFC 3339 time: the prices in effect then, and the versions
    /// scheduled after it (default: now).
    as_of: Option<String>,
}

/// Products you may order: every priced term, the setup fee and the
/// scheduled price changes (`upcoming`). The whole book is one page
/// (`next_cursor` is always null).
#[utoipa::path(get, path = "/products", operation_id = "list_products", tag = "catalog", params(ProductsQuery),
    responses(
        (status = 200, description = "Your whole price book, one page", body = Page<CatalogItem>),
        (status = 422, description = "`as_of` is not an RFC 3339 time", body = app::error::Problem)
    ))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
    ApiQuery(query): ApiQuery<ProductsQuery>,
) -> ApiResult<Response> {
    let store = &state.app.store;
    let as_of =
        match query.as_of.as_deref() {
            None => None,
            Some(raw) => Some(Timestamp::parse_rfc3339(raw).ok_or_else(|| {
                AppError::validation("as_of", "as_of must be an RFC 3339 time (2027-01-01T00:00:00Z).")
            })?),
        };
    let body = match as_of {
        // Another time is asked for rarely: not cached.
        Some(at) => page(store, &partner, Some(at)).await?.0,
        None => {
            let epoch = store.epoch();
            match state.cache.catalog(&partner.reseller.id, epoch, store.now()) {
                Some(body) => body,
                None => {
                    let (body, next_change) = page(store, &partner, None).await?;
                    state
                        .cache
                        .put_catalog(&partner.reseller.id, body.clone(), next_change, epoch);
                    body
                }
            }
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The catalogue as serialised, and when it next changes by itself.
async fn page(
    store: &app::store::Store,
    partner: &Partner,
    as_of: Option<Timestamp>,
) -> ApiResult<(Bytes, Option<Timestamp>)> {
    let items = price_book::catalog_for(store, &partner.reseller, as_of).await?;
    let next_change = price_book::next_change(&items);
    let page = Page {
        data: items,
        next_cursor: None,
    };
    let body = Bytes::from(serde_json::to_vec(&page).map_err(AppError::internal)?);
    Ok((body, next_change))
}
