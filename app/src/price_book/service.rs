//! Price book use cases: write a row, derive one from retail, read the grid,
//! the history and a reseller's catalogue.

use super::{CatalogItem, GridLine, PriceChange, PriceRow, PriceRowDraft, derive, effective_rate};
use crate::{
    audit::Actor,
    catalog::service as catalog,
    error::{AppError, AppResult},
    ids::{ProductId, ResellerId},
    money::Percent,
    resellers::{Reseller, service as resellers},
    store::{NewAuditEntry, Store},
    terms::TermPrices,
};

/// Creates or replaces the row of `reseller` for `product`, with its
/// history entry (old and new) and audit entry. A row saved unchanged
/// writes nothing: no empty history entries.
pub async fn put_row(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    product: &ProductId,
    draft: PriceRowDraft,
) -> AppResult<PriceRow> {
    resellers::get(store, reseller).await?;
    catalog::product(store, product).await?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let saved = async {
        let old = tx.lock_price_row(reseller, product).await?.map(|row| row.draft());
        if old.as_ref() == Some(&draft) {
            return Ok::<_, AppError>(());
        }
        tx.upsert_price_row(reseller, product, &draft, now).await?;
        tx.insert_price_change(reseller, product, actor, old.as_ref(), &draft, now)
            .await?;
        let subject = format!("{reseller}/{product}");
        let audit = NewAuditEntry {
            details: Some(serde_json::to_value(&draft).map_err(AppError::internal)?),
            ..NewAuditEntry::new(actor, "price_book.put", "price_book_row", &subject, now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(saved).await?;
    row(store, reseller, product).await
}

pub async fn row(store: &Store, reseller: &ResellerId, product: &ProductId) -> AppResult<PriceRow> {
    store
        .price_row(reseller, product)
        .await?
        .ok_or_else(|| AppError::not_found("price book row"))
}

/// The terms derived from the product's retail prices at `rate_override`
/// (else the reseller's default): what the panel shows before saving.
pub async fn preview_derive(
    store: &Store,
    reseller: &ResellerId,
    product: &ProductId,
    rate_override: Option<Percent>,
) -> AppResult<TermPrices> {
    let profile = resellers::get(store, reseller).await?;
    let product = catalog::product(store, product).await?;
    Ok(derive(
        &product.retail,
        effective_rate(rate_override, profile.default_discount_rate),
    ))
}

/// Fills the row's five terms from retail with the effective rate and saves
/// it (the admin API's `derive`). The rest of the row is kept; a new row
/// starts enabled, without a quantity cap, with the retail setup fee.
pub async fn derive_row(
    store: &Store,
    actor: &Actor,
    reseller: &ResellerId,
    product_id: &ProductId,
) -> AppResult<PriceRow> {
    let profile = resellers::get(store, reseller).await?;
    let product = catalog::product(store, product_id).await?;
    let existing = store.price_row(reseller, product_id).await?;
    let mut draft = match &existing {
        Some(row) => row.draft(),
        None => PriceRowDraft {
            setup_fee: product.retail_setup_fee,
            is_enabled: true,
            ..PriceRowDraft::default()
        },
    };
    let rate = effective_rate(draft.discount_rate_override, profile.default_discount_rate);
    draft.prices = derive(&product.retail, rate);
    put_row(store, actor, reseller, product_id, draft).await
}

/// Every product with the reseller's row, for the admin grid.
pub async fn grid(store: &Store, reseller: &ResellerId) -> AppResult<Vec<GridLine>> {
    resellers::get(store, reseller).await?;
    Ok(store
        .price_grid(reseller)
        .await?
        .into_iter()
        .map(|(product, row)| GridLine { product, row })
        .collect())
}

pub async fn history(store: &Store, reseller: &ResellerId, product: Option<&ProductId>) -> AppResult<Vec<PriceChange>> {
    resellers::get(store, reseller).await?;
    Ok(store.price_history(reseller, product).await?)
}

/// The catalogue a reseller sees: priced, enabled rows of active products,
/// for active and (read-only) suspended resellers; nothing otherwise.
pub async fn catalog_for(store: &Store, reseller: &Reseller) -> AppResult<Vec<CatalogItem>> {
    if !reseller.status.sees_catalog() {
        return Ok(Vec::new());
    }
    Ok(store.reseller_catalog(&reseller.id).await?)
}
