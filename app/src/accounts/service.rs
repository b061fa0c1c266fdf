//! Account use cases: register, sign in (throttled), sessions, operators and
//! admin tokens.

use super::{Email, Panel, Password, PersonName, Role, User};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{AdminTokenId, UserId},
    secrets,
    store::{AdminTokenRecord, NewAuditEntry, Store, StoreError},
    timestamp::Timestamp,
};
use time::Duration;

/// How long a session lives without signing in again.
pub const SESSION_TTL: Duration = Duration::days(14);
/// Window over which failed sign-ins are counted.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// Failures on one account before it is locked for the rest of the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures from one address (any accounts) before it is refused.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// Tag of admin API tokens (`flux_admin_...`).
pub const ADMIN_TOKEN_KIND: &str = "flux_admin_";

/// A session token to put in the cookie. Its `Debug` hides it.
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

async fn create_user(
    store: &Store,
    role: Role,
    name: PersonName,
    email: Email,
    password: &Password,
) -> AppResult<User> {
    let hash = secrets::hash_password(password).await?;
    let user = User {
        id: UserId::generate(),
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        role,
        created_at: Timestamp::now(),
    };
    store.insert_user(&user, &hash).await.map_err(|e| match e {
        StoreError::Conflict(_) => AppError::new(
            ErrorCode::EmailTaken,
            "An account with this email already exists. Sign in instead.",
        )
        .with_field("email"),
        other => other.into(),
    })?;
    Ok(user)
}

/// A new client account (the portal's Register page).
pub async fn register_client(store: &Store, name: &str, email: &str, password: &str) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = Password::parse_new(password)?;
    create_user(store, Role::Client, name, email, &password).await
}

/// A client account created by an operator's invitation. Its password is
/// random and unknown to anyone: the person sets one through the
/// invitation link (`create_invitation`).
pub async fn create_invited_client(store: &Store, name: &str, email: &str) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = Password::parse_new(&secrets::random_token())?;
    create_user(store, Role::Client, name, email, &password).await
}

/// How long an invitation link stays valid.
pub const INVITATION_TTL: Duration = Duration::days(7);

/// A one-time link path (`/portal/invitation?token=...`) with which an
/// invited client sets a password.
pub async fn create_invitation(store: &Store, user: &User) -> AppResult<String> {
    let token = secrets::random_token();
    let now = Timestamp::now();
    store
        .insert_invitation(&secrets::sha256_hex(&token), &user.id, now, now.plus(INVITATION_TTL))
        .await?;
    Ok(format!("/portal/invitation?token={token}"))
}

/// Sets the invited client's password and signs them in. An unknown, used
/// or expired token is refused without saying which.
pub async fn accept_invitation(store: &Store, token: &str, password: &str) -> AppResult<(User, SessionToken)> {
    let password = Password::parse_new(password)?;
    let user_id = store
        .take_invitation(&secrets::sha256_hex(token.trim()), Timestamp::now())
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                "This invitation link is not valid any more. Ask your operator for a new one.",
            )
        })?;
    let hash = secrets::hash_password(&password).await?;
    store.set_password_hash(&user_id, &hash).await?;
    let user = store.user(&user_id).await?;
    let session = start_session(store, &user).await?;
    Ok((user, session))
}

/// A new operator (CLI and demo only: operators are never self-registered).
pub async fn create_operator(store: &Store, name: &str, email: &str, password: &str) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = Password::parse_new(password)?;
    create_user(store, Role::Operator, name, email, &password).await
}

/// Replaces a user's password (CLI, demo re-runs).
pub async fn set_password(store: &Store, user: &UserId, password: &str) -> AppResult<()> {
    let password = Password::parse_new(password)?;
    let hash = secrets::hash_password(&password).await?;
    Ok(store.set_password_hash(user, &hash).await?)
}

/// A PHC string of a throw-away password, verified against when the email is
/// unknown so that "no such account" takes as long as "wrong password".
async fn decoy_hash() -> AppResult<String> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| async {
            let decoy = Password::parse_new(&secrets::random_token())?;
            secrets::hash_password(&decoy).await
        })
        .await
        .cloned()
}

/// Signs a person into one panel. Refuses, in this order: throttled account
/// or address; wrong email or password (one message for both, so accounts
/// cannot be enumerated); an account of the other panel's role.
pub async fn sign_in(
    store: &Store,
    panel: Panel,
    email: &str,
    password: &str,
    address: &str,
) -> AppResult<(User, SessionToken)> {
    let invalid = || AppError::new(ErrorCode::InvalidCredentials, "Wrong email or password.");
    let Ok(email) = Email::parse(email) else {
        return Err(invalid());
    };
    let password = Password::candidate(password)?;
    let now = Timestamp::now();

    let failures = store
        .login_failures(email.as_str(), address, now.minus(THROTTLE_WINDOW))
        .await?;
    if failures.for_email >= MAX_FAILURES_PER_ACCOUNT || failures.from_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::new(
            ErrorCode::TooManyAttempts,
            "Too many failed sign-ins. Wait 15 minutes and try again.",
        ));
    }

    let found = store.user_with_hash_by_email(email.as_str()).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, decoy_hash().await?),
    };
    let verified = secrets::verify_password(hash, &password).await?;
    let user = match user {
        Some(user) if verified => user,
        _ => {
            store.record_login_attempt(email.as_str(), address, false, now).await?;
            return Err(invalid());
        }
    };
    store.record_login_attempt(email.as_str(), address, true, now).await?;

    if user.role != panel.role() {
        let other = match user.role {
            Role::Operator => "This is an operator account: sign in at /admin/login.",
            Role::Client => "This is a client account: sign in at /portal/login.",
        };
        return Err(AppError::new(ErrorCode::Forbidden, other));
    }
    let token = start_session(store, &user).await?;
    Ok((user, token))
}

pub async fn start_session(store: &Store, user: &User) -> AppResult<SessionToken> {
    let token = secrets::random_token();
    let now = Timestamp::now();
    store
        .insert_session(&secrets::sha256_hex(&token), &user.id, now, now.plus(SESSION_TTL))
        .await?;
    Ok(SessionToken(token))
}

/// The user behind a session token, if it is live.
pub async fn session_user(store: &Store, token: &str) -> AppResult<Option<User>> {
    Ok(store
        .session_user(&secrets::sha256_hex(token), Timestamp::now())
        .await?)
}

pub async fn sign_out(store: &Store, token: &str) -> AppResult<()> {
    Ok(store.delete_session(&secrets::sha256_hex(token)).await?)
}

/// An admin API token; `secret` is shown once and never stored.
pub struct IssuedAdminToken {
    pub record: AdminTokenRecord,
    pub secret: String,
}

pub async fn create_admin_token(store: &Store, actor: &Actor, name: &str) -> AppResult<IssuedAdminToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::validation("name", "Name the token in 1 to 64 characters."));
    }
    // A prefix collision (48 random bits) is refused by the unique index:
    // mint again rather than fail.
    for _ in 0..3 {
        let issued = secrets::issue(ADMIN_TOKEN_KIND);
        let record = AdminTokenRecord {
            id: AdminTokenId::generate(),
            name: name.to_owned(),
            prefix: issued.prefix,
            token_hash: issued.hash,
            created_at: Timestamp::now(),
            last_used_at: None,
            revoked_at: None,
        };
        match store.insert_admin_token(&record).await {
            Ok(()) => {
                let audit = NewAuditEntry::new(
                    actor,
                    "admin_token.create",
                    "admin_token",
                    record.id.as_str(),
                    record.created_at,
                );
                store.append_audit(&audit).await?;
                return Ok(IssuedAdminToken {
                    record,
                    secret: issued.secret,
                });
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::internal("three admin token prefix collisions in a row"))
}

/// Checks a presented admin token: well-formed, known, not revoked, hash
/// equal in constant time.
pub async fn authenticate_admin_token(store: &Store, presented: &str) -> AppResult<AdminTokenRecord> {
    let refused = || AppError::new(ErrorCode::Unauthenticated, "Missing, unknown or revoked admin token.");
    let prefix = secrets::prefix_of(ADMIN_TOKEN_KIND, presented).ok_or_else(refused)?;
    let record = store.admin_token_by_prefix(prefix).await?.ok_or_else(refused)?;
    if record.revoked_at.is_some() || !secrets::matches_hash(presented, &record.token_hash) {
        return Err(refused());
    }
    store.touch_admin_token(&record.id, Timestamp::now()).await?;
    Ok(record)
}

pub async fn revoke_admin_token(store: &Store, actor: &Actor, prefix: &str) -> AppResult<()> {
    store
        .revoke_admin_token(prefix, Timestamp::now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::not_found("admin token"),
            other => other.into(),
        })?;
    let audit = NewAuditEntry::new(actor, "admin_token.revoke", "admin_token", prefix, Timestamp::now());
    Ok(store.append_audit(&audit).await?)
}
