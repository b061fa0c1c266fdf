//! Catalogue use cases (operators only; callers check the role).

use super::{Product, ProductDraft, Provisioning};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{ProductId, ResellerId},
    secrets::SecretsKey,
    store::{NewAuditEntry, NotFoundExt, SealedProvisioning, Store, StoreError, StoredProvisioning},
};

/// Provisioning settings hold credentials (server passwords, API tokens):
/// sealed with the secrets key before they are stored, like webhook
/// secrets, so a database copy alone does not reveal them.
fn seal(key: &SecretsKey, provisioning: &Provisioning) -> AppResult<SealedProvisioning> {
    let json = serde_json::to_string(&provisioning.settings).map_err(AppError::internal)?;
    Ok(SealedProvisioning {
        module: provisioning.module.clone(),
        sealed: key.seal(&json),
    })
}

/// Operator-only: a product's provisioning settings, opened.
pub async fn provisioning(store: &Store, key: &SecretsKey, id: &ProductId) -> AppResult<Option<Provisioning>> {
    match store.product_provisioning(id).await? {
        None => Ok(None),
        Some(StoredProvisioning::Plain(plain)) => Ok(Some(plain)),
        Some(StoredProvisioning::Sealed(sealed)) => {
            let json = key.open(&sealed.sealed)?;
            let settings = serde_json::from_str(&json).map_err(AppError::internal)?;
            Ok(Some(Provisioning {
                module: sealed.module,
                settings,
            }))
        }
    }
}

/// Seals settings stored in plaintext by an earlier version (start-up).
pub async fn seal_stored_provisioning(store: &Store, key: &SecretsKey) -> AppResult<usize> {
    let plain = store.unsealed_provisioning().await?;
    for (id, provisioning) in &plain {
        store.seal_provisioning(id, &seal(key, provisioning)?.sealed).await?;
    }
    Ok(plain.len())
}

/// The names of the products `reseller` may see (its offers and what it
/// holds), for labelling its orders and services.
pub async fn names_for(store: &Store, reseller: &ResellerId) -> AppResult<Vec<(String, String)>> {
    Ok(store
        .product_names_for(reseller)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

fn slug_taken(err: StoreError) -> AppError {
    match err {
        StoreError::Conflict(_) => {
            AppError::new(ErrorCode::SlugTaken, "Another product already uses this slug.").with_field("slug")
        }
        other => other.not_found_as("product"),
    }
}

/// A new product, with its (sealed) provisioning settings and the audit
/// entry, in one transaction.
pub async fn create_product(
    store: &Store,
    key: &SecretsKey,
    actor: &Actor,
    draft: ProductDraft,
    provisioning: Option<Provisioning>,
) -> AppResult<Product> {
    let id = ProductId::generate();
    let sealed = provisioning.map(|p| seal(key, &p)).transpose()?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let created = async {
        tx.insert_product(&id, &draft, now).await.map_err(slug_taken)?;
        if let Some(sealed) = &sealed {
            tx.put_provisioning(&id, sealed, now).await?;
        }
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({ "name": draft.name, "slug": draft.slug.as_str() })),
            ..NewAuditEntry::new(actor, "product.create", "product", id.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(created).await?;
    product(store, &id).await
}

/// Replaces a product's definition; `provisioning` of `None` keeps the
/// stored settings (they are write-only: forms never echo them back).
pub async fn update_product(
    store: &Store,
    key: &SecretsKey,
    actor: &Actor,
    id: &ProductId,
    draft: ProductDraft,
    provisioning: Option<Provisioning>,
) -> AppResult<Product> {
    let sealed = provisioning.map(|p| seal(key, &p)).transpose()?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let updated = async {
        tx.update_product(id, &draft, now).await.map_err(slug_taken)?;
        if let Some(sealed) = &sealed {
            tx.put_provisioning(id, sealed, now).await?;
        }
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({
                "name": draft.name,
                "is_active": draft.is_active,
                "provisioning_changed": sealed.is_some(),
            })),
            ..NewAuditEntry::new(actor, "product.update", "product", id.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(updated).await?;
    product(store, id).await
}

pub async fn product(store: &Store, id: &ProductId) -> AppResult<Product> {
    store.product(id).await.or_not_found("product")
}

/// The products that have provisioning settings (never the settings).
pub async fn provisioned_product_ids(store: &Store) -> AppResult<std::collections::HashSet<ProductId>> {
    Ok(store.provisioned_product_ids().await?)
}

pub async fn list_products(store: &Store) -> AppResult<Vec<Product>> {
    Ok(store.list_products().await?)
}
