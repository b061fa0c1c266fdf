//! API keys and the webhook endpoint settings.

use super::{OptionalExt, Store, StoreError, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    api_access::ApiKey,
    ids::{ApiKeyId, ResellerId},
    timestamp::Timestamp,
};

pub use crate::api_access::ApiKeyRecord;

const KEY_COLUMNS: &str = "id, reseller_id, name, prefix, scope, created_at, last_used_at, revoked_at";

impl StoreTx {
    /// A new key; a prefix taken already is `Conflict`.
    pub async fn insert_api_key(&mut self, key: &ApiKey, key_hash: &str) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO api_keys (id, reseller_id, name, prefix, key_hash, scope, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&key.id)
            .bind(&key.reseller_id)
            .bind(&key.name)
            .bind(&key.prefix)
            .bind(key_hash)
            .bind(key.scope.as_str())
            .bind(key.created_at)
            .execute(&mut **t)
            .await
            .map_err(StoreError::from_write)?;
        });
        // Keys are cached on the request path.
        self.bumps_epoch = true;
        Ok(())
    }

    /// Revokes a live key of `reseller` (another reseller's prefix, or one
    /// revoked already: NotFound).
    pub async fn revoke_api_key(&mut self, reseller: &ResellerId, prefix: &str, now: Timestamp) -> StoreResult<()> {
        let done = on_tx!(self, t => {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $3 WHERE reseller_id = $1 AND prefix = $2 AND revoked_at IS NULL",
            )
            .bind(reseller)
            .bind(prefix)
            .bind(now)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        super::changed_one(done)?;
        self.bumps_epoch = true;
        Ok(())
    }

    /// Sets the webhook URL and (sealed) secret of a reseller.
    pub async fn set_webhook(
        &mut self,
        reseller: &ResellerId,
        url: Option<&str>,
        sealed_secret: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let done = on_tx!(self, t => {
            sqlx::query(
                "UPDATE reseller_profiles SET webhook_url = $2, webhook_secret_sealed = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(reseller)
            .bind(url)
            .bind(sealed_secret)
            .bind(now)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        super::changed_one(done)?;
        // The signing key and the delivery target are cached.
        self.bumps_epoch = true;
        Ok(())
    }
}

impl Store {
    /// A reseller's keys, live first, newest first.
    pub async fn api_keys(&self, reseller: &ResellerId) -> StoreResult<Vec<ApiKey>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE reseller_id = $1
             ORDER BY (revoked_at IS NULL) DESC, id DESC"
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).bind(reseller).fetch_all(pool).await?
        }))
    }

    pub async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS}, key_hash FROM api_keys WHERE prefix = $1"
        ));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).bind(prefix).fetch_optional(pool).await?
        }))
    }

    /// Records the key's use at `now` unless one at or after
    /// `stale_before` is recorded (`last_used`: another instance may have
    /// written it meanwhile).
    pub async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp, stale_before: Timestamp) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(now)
            .bind(id)
            .bind(stale_before)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn webhook_url(&self, reseller: &ResellerId) -> StoreResult<Option<String>> {
        let row: Option<Option<String>> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT webhook_url FROM reseller_profiles WHERE id = $1")
                .bind(reseller)
                .fetch_optional(pool)
                .await?
        });
        row.found()
    }

    pub async fn webhook_secret_sealed(&self, reseller: &ResellerId) -> StoreResult<Option<String>> {
        let row: Option<Option<String>> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT webhook_secret_sealed FROM reseller_profiles WHERE id = $1")
                .bind(reseller)
                .fetch_optional(pool)
                .await?
        });
        row.found()
    }
}
