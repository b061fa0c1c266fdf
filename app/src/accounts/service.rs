//! Account use cases: register, sign in (throttled), sessions, operators and
//! admin tokens.

use super::{Email, Panel, Password, PersonName, Role, User};
use crate::{
    audit::Actor,
    error::{AppError, AppResult, ErrorCode},
    ids::{AdminTokenId, UserId},
    last_used,
    secrets::{self, NO_PASSWORD, Passwords},
    state::AppState,
    store::{AdminTokenRecord, NewAuditEntry, NotFoundExt, Store, StoreError},
    throttle::Throttle,
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

fn email_taken() -> AppError {
    AppError::new(
        ErrorCode::EmailTaken,
        "An account with this email already exists. Sign in instead.",
    )
    .with_field("email")
}

/// Inserts a user whose password hash is already made (or [`NO_PASSWORD`]).
async fn insert_user(store: &Store, role: Role, name: PersonName, email: Email, hash: &str) -> AppResult<User> {
    let user = User {
        id: UserId::generate(),
        email: email.as_str().to_owned(),
        name: name.as_str().to_owned(),
        role,
        created_at: Timestamp::now(),
    };
    store.insert_user(&user, hash).await.map_err(|e| match e {
        StoreError::Conflict(_) => email_taken(),
        other => other.into(),
    })?;
    Ok(user)
}

/// A user with a password. A taken email is refused before any hashing
/// (the unique index still settles a race).
async fn create_user(
    store: &Store,
    passwords: &Passwords,
    role: Role,
    name: PersonName,
    email: Email,
    password: &Password,
) -> AppResult<User> {
    if store.user_by_email(email.as_str()).await?.is_some() {
        return Err(email_taken());
    }
    let hash = passwords.hash(password).await?;
    insert_user(store, role, name, email, &hash).await
}

/// A new client account (the portal's Register page), at most
/// `registrations` per client address and window.
pub async fn register_client(
    state: &AppState,
    name: &str,
    email: &str,
    password: &str,
    address: &str,
) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = Password::parse_new(password)?;
    throttled(&state.guards.registrations, address, "registrations").await?;
    create_user(&state.store, state.passwords(), Role::Client, name, email, &password).await
}

/// Refuses when `throttle` has seen too many of `what` from `key`.
async fn throttled(throttle: &Throttle, key: &str, what: &str) -> AppResult<()> {
    throttle.hit(key).await.map_err(|wait| too_many(what, wait))
}

fn too_many(what: &str, wait: u64) -> AppError {
    AppError::new(
        ErrorCode::RateLimited,
        format!("Too many {what} from your address; try again in {wait} s."),
    )
    .retry_after(wait)
}

/// A client account created by an operator's invitation. It has no
/// password until the person sets one through the invitation link
/// (`create_invitation`); nothing signs in to it before.
pub async fn create_invited_client(store: &Store, name: &str, email: &str) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    insert_user(store, Role::Client, name, email, NO_PASSWORD).await
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
pub async fn accept_invitation(
    store: &Store,
    passwords: &Passwords,
    token: &str,
    password: &str,
) -> AppResult<(User, SessionToken)> {
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
    let hash = passwords.hash(&password).await?;
    replace_password_hash(store, &user_id, &hash).await?;
    let user = store.user(&user_id).await?;
    let session = start_session(store, &user).await?;
    Ok((user, session))
}

/// A new operator (CLI and demo only: operators are never self-registered).
pub async fn create_operator(
    store: &Store,
    passwords: &Passwords,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<User> {
    create_with_password(store, passwords, Role::Operator, name, email, password).await
}

/// A client account with a password (tests and the demo; people use the
/// Register page, which is throttled).
pub async fn create_client(
    store: &Store,
    passwords: &Passwords,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<User> {
    create_with_password(store, passwords, Role::Client, name, email, password).await
}

async fn create_with_password(
    store: &Store,
    passwords: &Passwords,
    role: Role,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<User> {
    let name = PersonName::parse(name)?;
    let email = Email::parse(email)?;
    let password = Password::parse_new(password)?;
    create_user(store, passwords, role, name, email, &password).await
}

/// Replaces a user's password (CLI, demo re-runs) and ends their sessions.
pub async fn set_password(store: &Store, passwords: &Passwords, user: &UserId, password: &str) -> AppResult<()> {
    let password = Password::parse_new(password)?;
    let hash = passwords.hash(&password).await?;
    replace_password_hash(store, user, &hash).await
}

/// The new hash and the end of every session, in one transaction: a
/// changed password locks out whoever knew the old one.
async fn replace_password_hash(store: &Store, user: &UserId, hash: &str) -> AppResult<()> {
    let mut tx = store.begin().await?;
    let replaced = async {
        tx.set_password_hash(user, hash).await.or_not_found("user")?;
        tx.end_sessions(user).await?;
        Ok(())
    }
    .await;
    tx.finish(replaced).await
}

/// A PHC string of a throw-away password, verified against when the email is
/// unknown so that "no such account" takes as long as "wrong password".
async fn decoy_hash(passwords: &Passwords) -> AppResult<String> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| async {
            let decoy = Password::parse_new(&secrets::random_token())?;
            passwords.hash(&decoy).await
        })
        .await
        .cloned()
}

/// Signs a person into one panel. Refuses, in this order: throttled account
/// or address; wrong email or password (one message for both, so accounts
/// cannot be enumerated); an account of the other panel's role.
///
/// The attempt is counted before its password is judged (see
/// `Store::reserve_login_attempt`), so concurrent guesses cannot slip past
/// the limits while the first ones are still hashing.
pub async fn sign_in(
    store: &Store,
    passwords: &Passwords,
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

    let (attempt, failures) = store
        .reserve_login_attempt(email.as_str(), address, now, now.minus(THROTTLE_WINDOW))
        .await?;
    if failures.for_email > MAX_FAILURES_PER_ACCOUNT || failures.from_address > MAX_FAILURES_PER_ADDRESS {
        store.withdraw_login_attempt(attempt).await?;
        return Err(AppError::new(
            ErrorCode::TooManyAttempts,
            "Too many failed sign-ins. Wait 15 minutes and try again.",
        )
        .retry_after(THROTTLE_WINDOW.whole_seconds().unsigned_abs()));
    }

    let verified = match judge(store, passwords, &email, &password).await {
        Ok(verified) => verified,
        Err(err) => {
            // Busy or broken on our side: the attempt was never judged.
            store.withdraw_login_attempt(attempt).await?;
            return Err(err);
        }
    };
    let Some(user) = verified else {
        return Err(invalid());
    };
    store.login_attempt_succeeded(attempt).await?;

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

/// The user if `password` is theirs. Unknown emails cost the same
/// verification as wrong passwords.
async fn judge(store: &Store, passwords: &Passwords, email: &Email, password: &Password) -> AppResult<Option<User>> {
    let (user, hash) = match store.user_with_hash_by_email(email.as_str()).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, decoy_hash(passwords).await?),
    };
    let verified = passwords.verify(hash, password).await?;
    Ok(user.filter(|_| verified))
}

pub async fn start_session(store: &Store, user: &User) -> AppResult<SessionToken> {
    let token = secrets::random_token();
    let now = Timestamp::now();
    store
        .insert_session(&secrets::sha256_hex(&token), &user.id, now, now.plus(SESSION_TTL))
        .await?;
    Ok(SessionToken(token))
}

/// The user behind a session token, if it is live: not expired and not
/// idle for longer than `idle`.
pub async fn session_user(store: &Store, token: &str, idle: Duration) -> AppResult<Option<User>> {
    let now = Timestamp::now();
    let hash = secrets::sha256_hex(token);
    let Some((user, last_seen)) = store.session_user(&hash, now, now.minus(idle)).await? else {
        return Ok(None);
    };
    // Being seen keeps the session from idling out; a page load within
    // the minute writes nothing.
    if last_used::due(Some(last_seen), now) {
        store.touch_session(&hash, now, last_used::stale_before(now)).await?;
    }
    Ok(Some(user))
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
        let mut tx = store.begin().await?;
        let inserted = async {
            tx.insert_admin_token(&record).await?;
            let audit = NewAuditEntry::new(
                actor,
                "admin_token.create",
                "admin_token",
                record.id.as_str(),
                record.created_at,
            );
            tx.insert_audit(&audit).await
        }
        .await;
        match tx.finish(inserted).await {
            Ok(()) => {
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

/// The record of a presented admin token if it is well-formed, known, not
/// revoked, and its hash equals the stored one (compared in constant time).
pub async fn admin_token(store: &Store, presented: &str) -> AppResult<Option<AdminTokenRecord>> {
    let Some(prefix) = secrets::prefix_of(ADMIN_TOKEN_KIND, presented) else {
        return Ok(None);
    };
    let Some(record) = store.admin_token_by_prefix(prefix).await? else {
        return Ok(None);
    };
    let live = record.revoked_at.is_none() && secrets::matches_hash(presented, &record.token_hash);
    Ok(live.then_some(record))
}

/// How long a token that worked is not held up by its address's failures.
const KNOWN_TOKEN: Duration = Duration::minutes(10);

/// Authenticates an admin API call presenting `presented` (or nothing)
/// from a client the per-address limits count as `address`. Failures
/// count against the address with the partner API's failed keys
/// (`guards.failed_auth`): beyond the limit the call is refused before
/// any look-up, unless its token worked from this process in the last ten
/// minutes (an operator's script is not locked out by its neighbours).
/// Use is recorded at most once a minute (`last_used`).
pub async fn authenticate_admin_token(
    state: &AppState,
    presented: Option<&str>,
    address: &str,
) -> AppResult<AdminTokenRecord> {
    let guards = &state.guards;
    let now = Timestamp::now();
    let what = "requests without a valid admin token";
    // Known by the whole token's digest (its prefix is no secret: a guess
    // under a real prefix counts like any); only a blocked address pays
    // for the hash.
    if let Some(wait) = guards.failed_auth.blocked(address)
        && !presented.is_some_and(|token| {
            guards
                .admin_tokens
                .since(&secrets::sha256_hex(token), now.minus(KNOWN_TOKEN))
        })
    {
        return Err(too_many(what, wait));
    }
    let record = match presented {
        Some(token) => admin_token(&state.store, token).await?,
        None => None,
    };
    let Some(record) = record else {
        throttled(&guards.failed_auth, address, what).await?;
        return Err(AppError::new(
            ErrorCode::Unauthenticated,
            "Send a valid admin token: Authorization: Bearer flux_admin_...",
        ));
    };
    // The row was just read: it says when the use was last recorded.
    let mut recorded = record.last_used_at.unwrap_or(Timestamp::EPOCH);
    if last_used::due(record.last_used_at, now) {
        state
            .store
            .touch_admin_token(&record.id, now, last_used::stale_before(now))
            .await?;
        recorded = now;
    }
    // The stored hash is what the presented token hashes to.
    guards.admin_tokens.note(&record.token_hash, recorded);
    Ok(record)
}

pub async fn revoke_admin_token(store: &Store, actor: &Actor, prefix: &str) -> AppResult<()> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let revoked = async {
        tx.revoke_admin_token(prefix, now).await.or_not_found("admin token")?;
        let audit = NewAuditEntry::new(actor, "admin_token.revoke", "admin_token", prefix, now);
        tx.insert_audit(&audit).await?;
        Ok::<_, AppError>(())
    }
    .await;
    tx.finish(revoked).await
}
