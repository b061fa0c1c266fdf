//! Catalogue use cases (operators only; callers check the role).

use super::{Product, ProductDraft};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{ProductId, ResellerId},
    provisioning::{Module, ModuleConfig, ModuleView},
    secrets::SecretsKey,
    store::{NewAuditEntry, NotFoundExt, SealedProvisioning, Store, StoreError, StoreTx, StoredProvisioning},
};

/// Provisioning settings hold credentials (server passwords, API tokens):
/// sealed with the secrets key before they are stored, like webhook
/// secrets, so a database copy alone does not reveal them.
fn seal(key: &SecretsKey, config: &ModuleConfig, secret: Option<&str>) -> AppResult<SealedProvisioning> {
    let json = serde_json::to_string(&config.settings).map_err(AppError::internal)?;
    Ok(SealedProvisioning {
        module: config.module,
        url: config.url.clone(),
        sealed: key.seal(&json),
        sealed_secret: secret.map(|s| key.seal(s)),
    })
}

/// Operator-only: a product's provisioning settings, opened.
pub async fn provisioning(store: &Store, key: &SecretsKey, id: &ProductId) -> AppResult<Option<ModuleConfig>> {
    match store.product_provisioning(id).await? {
        None => Ok(None),
        Some(stored) => Ok(Some(open(key, stored)?.0)),
    }
}

/// The stored provisioning opened: the module's configuration and the
/// sealed secret, if one was made.
fn open(key: &SecretsKey, stored: StoredProvisioning) -> AppResult<(ModuleConfig, Option<String>)> {
    match stored {
        StoredProvisioning::Plain(plain) => Ok((plain, None)),
        StoredProvisioning::Sealed(sealed) => {
            let json = key.open(&sealed.sealed)?;
            let settings = serde_json::from_str(&json).map_err(AppError::internal)?;
            let config = ModuleConfig {
                module: sealed.module,
                url: sealed.url,
                settings,
            };
            Ok((config, sealed.sealed_secret))
        }
    }
}

/// Seals settings stored in plaintext by an earlier version (start-up).
pub async fn seal_stored_provisioning(store: &Store, key: &SecretsKey) -> AppResult<usize> {
    let plain = store.unsealed_provisioning().await?;
    for (id, config) in &plain {
        store.seal_provisioning(id, &seal(key, config, None)?.sealed).await?;
    }
    Ok(plain.len())
}

/// Every product's module as its operator reads it back (never the
/// settings); products without a row are `manual`.
pub async fn modules(store: &Store) -> AppResult<std::collections::HashMap<ProductId, ModuleView>> {
    Ok(store
        .product_modules()
        .await?
        .into_iter()
        .map(|r| {
            let view = ModuleView {
                module: r.module,
                url: r.url,
                has_settings: r.has_settings,
                has_secret: r.has_secret,
                secret: None,
            };
            (r.product_id, view)
        })
        .collect())
}

/// One product's module view.
pub async fn module(store: &Store, id: &ProductId) -> AppResult<ModuleView> {
    Ok(modules(store).await?.remove(id).unwrap_or_default())
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

/// A product as saved, with its provisioning signing secret when this
/// save made one (shown once).
#[derive(Clone, Debug)]
pub struct Saved {
    pub product: Product,
    pub secret: Option<String>,
}

/// Writes a product's provisioning; an `http` product without a signing
/// secret gets one, returned (the only time it is shown in full).
async fn put_provisioning(
    tx: &mut StoreTx,
    key: &SecretsKey,
    id: &ProductId,
    config: &ModuleConfig,
    had_secret: bool,
) -> AppResult<Option<String>> {
    let secret = (config.module == Module::Http && !had_secret).then(crate::api_access::service::new_secret);
    let sealed = seal(key, config, secret.as_deref())?;
    tx.put_provisioning(id, &sealed, tx.now()).await?;
    Ok(secret)
}

/// A new product, with its (sealed) provisioning settings and the audit
/// entry, in one transaction.
pub async fn create_product(
    store: &Store,
    key: &SecretsKey,
    actor: &Actor,
    draft: ProductDraft,
    provisioning: Option<ModuleConfig>,
) -> AppResult<Saved> {
    let id = ProductId::generate();
    let now = store.now();
    let mut tx = store.begin().await?;
    let created = async {
        tx.insert_product(&id, &draft, now).await.map_err(slug_taken)?;
        let secret = match &provisioning {
            Some(config) => put_provisioning(&mut tx, key, &id, config, false).await?,
            None => None,
        };
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({ "name": draft.name, "slug": draft.slug.as_str() })),
            ..NewAuditEntry::new(actor, "product.create", "product", id.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(secret)
    }
    .await;
    let secret = tx.finish(created).await?;
    Ok(Saved {
        product: product(store, &id).await?,
        secret,
    })
}

/// Replaces a product's definition; `provisioning` of `None` keeps the
/// stored settings (they are write-only: forms never echo them back).
pub async fn update_product(
    store: &Store,
    key: &SecretsKey,
    actor: &Actor,
    id: &ProductId,
    draft: ProductDraft,
    provisioning: Option<ModuleConfig>,
) -> AppResult<Saved> {
    let had_secret = module(store, id).await?.has_secret;
    let changed = provisioning.is_some();
    let now = store.now();
    let mut tx = store.begin().await?;
    let updated = async {
        tx.update_product(id, &draft, now).await.map_err(slug_taken)?;
        let secret = match &provisioning {
            Some(config) => put_provisioning(&mut tx, key, id, config, had_secret).await?,
            None => None,
        };
        let audit = NewAuditEntry {
            details: Some(serde_json::json!({
                "name": draft.name,
                "is_active": draft.is_active,
                "provisioning_changed": changed,
                "module": provisioning.as_ref().map(|p| p.module.as_str()),
            })),
            ..NewAuditEntry::new(actor, "product.update", "product", id.as_str(), now)
        };
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(secret)
    }
    .await;
    let secret = tx.finish(updated).await?;
    Ok(Saved {
        product: product(store, id).await?,
        secret,
    })
}

/// A new provisioning signing secret for the product (the old one stops
/// verifying at once), returned this once; audited.
pub async fn rotate_provisioning_secret(
    store: &Store,
    key: &SecretsKey,
    actor: &Actor,
    id: &ProductId,
) -> AppResult<String> {
    product(store, id).await?;
    let config = match store.product_provisioning(id).await? {
        Some(stored) => open(key, stored)?.0,
        None => ModuleConfig {
            module: Module::Manual,
            url: None,
            settings: Default::default(),
        },
    };
    let secret = crate::api_access::service::new_secret();
    let sealed = seal(key, &config, Some(&secret))?;
    let now = store.now();
    let mut tx = store.begin().await?;
    let rotated = async {
        tx.put_provisioning(id, &sealed, now).await?;
        let audit = NewAuditEntry::new(actor, "product.provisioning_secret_rotate", "product", id.as_str(), now);
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(rotated).await?;
    Ok(secret)
}

pub async fn product(store: &Store, id: &ProductId) -> AppResult<Product> {
    store.product(id).await.or_not_found("product")
}

pub async fn list_products(store: &Store) -> AppResult<Vec<Product>> {
    Ok(store.list_products().await?)
}
