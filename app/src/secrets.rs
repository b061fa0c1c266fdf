//! Random secrets, their hashes and constant-time comparison (server only).
//!
//! Session tokens, admin tokens and API keys are 32 random bytes. The
//! database keeps only a SHA-256 of each (and, for tokens a person pastes,
//! a short prefix to find the row), so a copy of the database does not hand
//! out working credentials. A SHA-256 is enough here, unlike for passwords:
//! the input is 256 random bits, not something a person chose.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{accounts::Password, error::AppError};

/// `N` random bytes from the thread's CSPRNG (ChaCha, seeded by the OS).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub fn sha256_hex(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// Equality that takes the same time wherever the inputs first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// A freshly minted bearer credential: shown once, then only its prefix and
/// hash remain.
pub struct IssuedSecret {
    /// The whole credential, e.g. `flux_admin_Zk3...`: hand it out once.
    pub secret: String,
    /// The look-up and display part, e.g. `flux_admin_Zk3q9Xb2`.
    pub prefix: String,
    pub hash: String,
}

/// Characters of the random part kept in the prefix (48 bits: collisions
/// are refused by a unique index and simply retried).
const PREFIX_RANDOM_CHARS: usize = 8;

/// Mints `<kind><43 random chars>`; `kind` is a fixed tag such as
/// `flux_admin_`, so leaked credentials are recognisable by secret scanners.
pub fn issue(kind: &str) -> IssuedSecret {
    let secret = format!("{kind}{}", random_token());
    IssuedSecret {
        prefix: secret[..kind.len() + PREFIX_RANDOM_CHARS].to_owned(),
        hash: sha256_hex(&secret),
        secret,
    }
}

/// The prefix of a presented credential, if it has the expected shape.
pub fn prefix_of<'a>(kind: &str, presented: &'a str) -> Option<&'a str> {
    let rest = presented.strip_prefix(kind)?;
    let well_formed = rest.len() == 43
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| &presented[..kind.len() + PREFIX_RANDOM_CHARS])
}

/// Checks a presented credential against a stored hash in constant time.
pub fn matches_hash(presented: &str, stored_hash: &str) -> bool {
    constant_time_eq(sha256_hex(presented).as_bytes(), stored_hash.as_bytes())
}

/// Password hashing with bounded concurrency. Argon2id (the crate's
/// defaults: 19 MiB, 2 passes) takes tens of milliseconds and its memory by
/// design, so a burst of sign-ins or registrations must not start one hash
/// per request: at most `concurrency` run at once (on the blocking pool),
/// and a request that cannot get a turn within `wait` is refused as busy
/// (503 with `Retry-After`) instead of queueing without bound.
#[derive(Clone, Debug)]
pub struct Passwords {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    concurrency: u32,
    wait: std::time::Duration,
}

impl Default for Passwords {
    /// Twice the cores, waiting up to two seconds for a turn.
    fn default() -> Self {
        Passwords::new(Self::default_concurrency(), std::time::Duration::from_secs(2))
    }
}

impl Passwords {
    /// Twice the cores: hashing is CPU-bound, and a little queueing keeps
    /// the cores busy without holding much memory.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
    }

    pub fn new(concurrency: usize, wait: std::time::Duration) -> Self {
        let concurrency = concurrency.clamp(1, 1024);
        Passwords {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency)),
            concurrency: concurrency as u32,
            wait,
        }
    }

    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::busy()),
        }
    }

    /// Takes every turn until the guard is dropped (tests of the refusal).
    pub async fn hold_all(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.permits
            .clone()
            .acquire_many_owned(self.concurrency)
            .await
            .expect("the semaphore is never closed")
    }

    /// A PHC string of `password`.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let turn = self.turn().await?;
        let password = password.expose().to_owned();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// Verifies against a PHC string; a malformed stored hash (such as
    /// [`NO_PASSWORD`]) verifies nothing.
    pub async fn verify(&self, stored: String, candidate: &Password) -> Result<bool, AppError> {
        let turn = self.turn().await?;
        let candidate = candidate.expose().to_owned();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            PasswordHash::new(&stored)
                .map(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(AppError::internal)
    }
}

/// The stored "hash" of an account that has no password yet (an invited
/// client before accepting): not a PHC string, so nothing verifies
/// against it, and no hashing is spent on making it.
pub const NO_PASSWORD: &str = "!";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_have_prefix_and_hash() {
        let a = issue("flux_admin_");
        assert!(a.secret.starts_with("flux_admin_"));
        assert_eq!(a.secret.len(), "flux_admin_".len() + 43);
        assert_eq!(prefix_of("flux_admin_", &a.secret), Some(a.prefix.as_str()));
        assert!(matches_hash(&a.secret, &a.hash));
        assert!(!matches_hash(&format!("{}x", a.secret), &a.hash));
        assert_ne!(a.secret, issue("flux_admin_").secret);
    }

    #[test]
    fn malformed_credentials_have_no_prefix() {
        assert_eq!(prefix_of("flux_admin_", "flux_admin_short"), None);
        assert_eq!(prefix_of("flux_admin_", "other"), None);
        let bad = format!("flux_admin_{}", "!".repeat(43));
        assert_eq!(prefix_of("flux_admin_", &bad), None);
    }

    #[tokio::test]
    async fn argon2id_round_trip() {
        let passwords = Passwords::default();
        let pw = Password::parse_new("correct horse battery").unwrap();
        let hash = passwords.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords.verify(hash.clone(), &pw).await.unwrap());
        let wrong = Password::candidate("wrong horse battery").unwrap();
        assert!(!passwords.verify(hash, &wrong).await.unwrap());
        assert!(!passwords.verify("garbage".into(), &pw).await.unwrap());
        assert!(!passwords.verify(NO_PASSWORD.into(), &pw).await.unwrap());
    }

    #[tokio::test]
    async fn hashing_waits_briefly_for_a_turn_then_is_busy() {
        let passwords = Passwords::new(1, std::time::Duration::from_millis(20));
        let pw = Password::parse_new("correct horse battery").unwrap();
        let held = passwords.hold_all().await;
        let refused = passwords.hash(&pw).await.unwrap_err();
        assert_eq!(refused.code, crate::error::ErrorCode::Unavailable);
        assert_eq!(refused.retry_after, Some(1));
        drop(held);
        assert!(passwords.hash(&pw).await.is_ok());
    }
}

/// The key that seals secrets the server must be able to use again (the
/// `whsec_` webhook secrets, which sign requests and webhooks and so cannot
/// be hashed). It lives outside the database: a copy of the database alone
/// does not reveal any secret. Its `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SecretsKey([u8; 32]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<redacted>)")
    }
}

impl SecretsKey {
    pub fn random() -> Self {
        SecretsKey(random_bytes::<32>())
    }

    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
        Some(SecretsKey(bytes.try_into().ok()?))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// Reads the key file, or creates it (mode 0600) with a new key.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not hold a base64 32-byte key", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                use std::io::Write;
                options.open(path)?.write_all(key.to_base64().as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    /// `base64(nonce ‖ ciphertext)` with XChaCha20-Poly1305 (random nonce).
    pub fn seal(&self, plaintext: &str) -> String {
        use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce, aead::Aead};
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = random_bytes::<24>();
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// The plaintext, if `sealed` was sealed with this key.
    pub fn open(&self, sealed: &str) -> Result<String, AppError> {
        use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce, aead::Aead};
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(AppError::internal)?;
        if bytes.len() < 24 {
            return Err(AppError::internal("sealed secret too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| AppError::internal("a sealed secret does not open with this server's secrets key"))?;
        String::from_utf8(plain).map_err(AppError::internal)
    }
}

#[cfg(test)]
mod sealing_tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SecretsKey::random();
        let sealed = key.seal("whsec_abc");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(sealed, key.seal("whsec_abc"), "fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), "whsec_abc");
        assert!(SecretsKey::random().open(&sealed).is_err());
        assert_eq!(format!("{key:?}"), "SecretsKey(<redacted>)");
        let back = SecretsKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(back.open(&sealed).unwrap(), "whsec_abc");
    }
}
