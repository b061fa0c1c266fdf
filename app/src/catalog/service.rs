//! Catalogue use cases (operators only; callers check the role).

use super::{Product, ProductDraft, Provisioning};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::ProductId,
    store::{NewAuditEntry, Store, StoreError},
    timestamp::Timestamp,
};

fn slug_taken(err: StoreError) -> AppError {
    match err {
        StoreError::Conflict(_) => {
            AppError::new(ErrorCode::SlugTaken, "Another product already uses this slug.").with_field("slug")
        }
        StoreError::NotFound => AppError::not_found("product"),
        other => other.into(),
    }
}

pub async fn create_product(
    store: &Store,
    actor: &Actor,
    draft: ProductDraft,
    provisioning: Option<Provisioning>,
) -> AppResult<Product> {
    let id = ProductId::generate();
    let audit = NewAuditEntry {
        details: Some(serde_json::json!({ "name": draft.name, "slug": draft.slug.as_str() })),
        ..NewAuditEntry::new(actor, "product.create", "product", id.as_str(), Timestamp::now())
    };
    store
        .insert_product(&id, &draft, provisioning.as_ref(), &audit)
        .await
        .map_err(slug_taken)?;
    Ok(store.product(&id).await?)
}

pub async fn update_product(
    store: &Store,
    actor: &Actor,
    id: &ProductId,
    draft: ProductDraft,
    provisioning: Option<Provisioning>,
) -> AppResult<Product> {
    let audit = NewAuditEntry {
        details: Some(serde_json::json!({
            "name": draft.name,
            "is_active": draft.is_active,
            "provisioning_changed": provisioning.is_some(),
        })),
        ..NewAuditEntry::new(actor, "product.update", "product", id.as_str(), Timestamp::now())
    };
    store
        .update_product(id, &draft, provisioning.as_ref(), &audit)
        .await
        .map_err(slug_taken)?;
    Ok(store.product(id).await?)
}

pub async fn product(store: &Store, id: &ProductId) -> AppResult<Product> {
    store.product(id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::not_found("product"),
        other => other.into(),
    })
}

pub async fn list_products(store: &Store) -> AppResult<Vec<Product>> {
    Ok(store.list_products().await?)
}
