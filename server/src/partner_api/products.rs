//! `GET /products`: the reseller's price book.

use super::{PartnerState, auth::Partner};
use crate::problem::ApiResult;
use app::{
    error::AppError,
    lists::Page,
    price_book::{CatalogItem, service as price_book},
};
use axum::{
    body::Bytes,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

/// Products you may order: every priced term and the setup fee.
/// The whole book is one page (`next_cursor` is always null).
#[utoipa::path(get, path = "/products", operation_id = "list_products", tag = "catalog",
    responses((status = 200, description = "Your whole price book, one page", body = Page<CatalogItem>)))]
pub async fn list(State(state): State<PartnerState>, partner: Partner) -> ApiResult<Response> {
    let epoch = state.app.store.epoch();
    let body = match state.cache.catalog(&partner.reseller.id, epoch) {
        Some(body) => body,
        None => {
            let items = price_book::catalog_for(&state.app.store, &partner.reseller).await?;
            let page = Page {
                data: items,
                next_cursor: None,
            };
            let body = Bytes::from(serde_json::to_vec(&page).map_err(AppError::internal)?);
            state.cache.put_catalog(&partner.reseller.id, body.clone(), epoch);
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
