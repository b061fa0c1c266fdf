//! Users, sessions, login attempts and admin tokens.

use super::{OptionalExt, Store, StoreError, StoreResult, StoreTx, tx::on_tx, with_pool};
use crate::{
    accounts::{Role, User},
    ids::{AdminTokenId, UserId},
    timestamp::Timestamp,
};

/// Failed sign-ins inside the throttling window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub for_email: i64,
    pub from_address: i64,
}

/// An admin token as stored: never the token itself.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminTokenRecord {
    pub id: AdminTokenId,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const USER_COLUMNS: &str = "id, email, name, role, created_at";

impl Store {
    /// Inserts a user; a taken email is `Conflict`.
    pub async fn insert_user(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO users (id, email, name, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(password_hash)
            .bind(user.created_at)
            .execute(pool)
            .await
            .map_err(StoreError::from_write)?;
        });
        Ok(())
    }

    /// The user and their password hash, for signing in.
    pub async fn user_with_hash_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            password_hash: String,
        }
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, email, name, role, created_at, password_hash FROM users WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| (r.user, r.password_hash)))
    }

    pub async fn user(&self, id: &UserId) -> StoreResult<User> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"));
        with_pool!(self, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        })
        .found()
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"));
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sql).bind(email).fetch_optional(pool).await?
        }))
    }

    pub async fn count_users_with_role(&self, role: Role) -> StoreResult<i64> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
                .bind(role.as_str())
                .fetch_one(pool)
                .await?
        }))
    }

    // ---- sessions -----------------------------------------------------------

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user: &UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $3)",
            )
            .bind(token_hash)
            .bind(user)
            .bind(created_at)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The user behind a live session (not expired, and used since
    /// `idle_since`) and when the session was last seen.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> StoreResult<Option<(User, Timestamp)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            last_seen_at: Timestamp,
        }
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.email, u.name, u.role, u.created_at, s.last_seen_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(idle_since)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|row| (row.user, row.last_seen_at)))
    }

    /// Records that the session was seen at `now` unless it was seen at or
    /// after `stale_before` (`last_used`).
    pub async fn touch_session(&self, token_hash: &str, now: Timestamp, stale_before: Timestamp) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at <= $3")
                .bind(token_hash)
                .bind(now)
                .bind(stale_before)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes expired sessions and old login attempts; returns rows removed.
    pub async fn purge_expired_sessions(&self, now: Timestamp, attempts_before: Timestamp) -> StoreResult<u64> {
        with_pool!(self, pool => {
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let attempts = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(attempts_before)
                .execute(pool)
                .await?
                .rows_affected();
            Ok(sessions + attempts)
        })
    }

    // ---- login throttling -----------------------------------------------------

    /// Records a sign-in attempt as failed before its password is judged,
    /// then counts the failures of the account and the address (this one
    /// included), in one transaction that holds a lock per account and per
    /// address: concurrent attempts are counted one after the other, so no
    /// more are judged than the limits allow however many race (SQLite's
    /// write transactions run one at a time anyway). Returns the attempt's
    /// id, to mark it succeeded or withdraw it.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        address: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> StoreResult<(i64, LoginFailures)> {
        let mut tx = self.begin().await?;
        // Always the account first, then the address: no two attempts wait
        // on each other crosswise.
        tx.lock(&format!("login\u{0}account\u{0}{email}")).await?;
        tx.lock(&format!("login\u{0}address\u{0}{address}")).await?;
        let (id, failures) = on_tx!(tx, t => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO login_attempts (email, address, succeeded, at) VALUES ($1, $2, FALSE, $3) RETURNING id",
            )
            .bind(email)
            .bind(address)
            .bind(now)
            .fetch_one(&mut **t)
            .await?;
            let for_email: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts
                 WHERE email = $1 AND NOT succeeded AND at >= $2
                   AND at > COALESCE((SELECT MAX(at) FROM login_attempts
                                      WHERE email = $1 AND succeeded), $2)",
            )
            .bind(email)
            .bind(since)
            .fetch_one(&mut **t)
            .await?;
            let from_address: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE address = $1 AND NOT succeeded AND at >= $2",
            )
            .bind(address)
            .bind(since)
            .fetch_one(&mut **t)
            .await?;
            (id, LoginFailures { for_email, from_address })
        });
        tx.commit().await?;
        Ok((id, failures))
    }

    /// The reserved attempt gave the right password.
    pub async fn login_attempt_succeeded(&self, id: i64) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE login_attempts SET succeeded = TRUE WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The reserved attempt was refused without being judged: it does not
    /// count (refusals must not keep extending a lock-out).
    pub async fn withdraw_login_attempt(&self, id: i64) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM login_attempts WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    // ---- admin tokens ---------------------------------------------------------

    pub async fn admin_token_by_prefix(&self, prefix: &str) -> StoreResult<Option<AdminTokenRecord>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, prefix, token_hash, created_at, last_used_at, revoked_at
                 FROM admin_tokens WHERE prefix = $1",
            )
            .bind(prefix)
            .fetch_optional(pool)
            .await?
        }))
    }

    pub async fn list_admin_tokens(&self) -> StoreResult<Vec<AdminTokenRecord>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, prefix, token_hash, created_at, last_used_at, revoked_at
                 FROM admin_tokens ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records the token's use at `now` unless one at or after
    /// `stale_before` is recorded (`last_used`).
    pub async fn touch_admin_token(
        &self,
        id: &AdminTokenId,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE admin_tokens SET last_used_at = $1
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
}

impl StoreTx {
    /// Replaces the password hash (NotFound for an unknown user).
    pub async fn set_password_hash(&mut self, id: &UserId, password_hash: &str) -> StoreResult<()> {
        let done = on_tx!(self, t => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        super::changed_one(done)?;
        Ok(())
    }

    /// Ends every session of the user.
    pub async fn end_sessions(&mut self, id: &UserId) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut **t)
                .await?;
        });
        Ok(())
    }

    /// A new admin token; a prefix taken already is `Conflict`.
    pub async fn insert_admin_token(&mut self, token: &AdminTokenRecord) -> StoreResult<()> {
        on_tx!(self, t => {
            sqlx::query(
                "INSERT INTO admin_tokens (id, name, prefix, token_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&token.id)
            .bind(&token.name)
            .bind(&token.prefix)
            .bind(&token.token_hash)
            .bind(token.created_at)
            .execute(&mut **t)
            .await
            .map_err(StoreError::from_write)?;
        });
        Ok(())
    }

    /// Revokes a live token (NotFound if none has this prefix).
    pub async fn revoke_admin_token(&mut self, prefix: &str, now: Timestamp) -> StoreResult<()> {
        let done = on_tx!(self, t => {
            sqlx::query("UPDATE admin_tokens SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(prefix)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        super::changed_one(done)?;
        Ok(())
    }
}

impl Store {
    pub async fn insert_invitation(
        &self,
        token_hash: &str,
        user: &UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invitations (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user)
            .bind(created_at)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Uses up a live invitation (once) and returns its user.
    pub async fn take_invitation(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<UserId>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(
                "UPDATE invitations SET used_at = $2
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
                 RETURNING user_id",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }
}
