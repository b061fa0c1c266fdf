//! `GET /products`: the reseller's price book.

use super::{
    PartnerState,
    auth::Partner,
    schemas::{Page, ProblemOut, ProductOut},
};
use crate::problem::ApiResult;
use app::price_book::service as price_book;
use axum::{Json, extract::State};

/// Products you may order: every priced term and the setup fee.
/// The whole book is one page (`next_cursor` is always null).
#[utoipa::path(get, path = "/products", tag = "catalog",
    responses((status = 200, body = Page<ProductOut>), (status = 401, body = ProblemOut), (status = 403, body = ProblemOut)))]
pub async fn list(
    State(state): State<PartnerState>,
    partner: Partner,
) -> ApiResult<Json<Page<ProductOut>>> {
    let items = price_book::catalog_for(&state.app.store, &partner.reseller).await?;
    Ok(Json(Page {
        data: items.into_iter().map(ProductOut::from).collect(),
        next_cursor: None,
    }))
}
