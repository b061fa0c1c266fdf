//! Accounts: operators and clients, signing in and out, registering.
//!
//! Wire types and the parse-once newtypes live here; `service` holds the use
//! cases (server only) and `server_fns` the browser entry points.

pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;

use crate::{
    error::{AppError, AppResult},
    ids::UserId,
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Client => "client",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "operator" => Ok(Role::Operator),
            "client" => Ok(Role::Client),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

/// A signed-in person as the pages see them. No password hash here: the
/// hash stays in a server-only row type that cannot be serialised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub role: Role,
    pub created_at: Timestamp,
}

/// Which panel a sign-in form belongs to. Each panel signs in only its own
/// role, and sends the person to its own home page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    Admin,
    Portal,
}

impl Panel {
    pub fn role(self) -> Role {
        match self {
            Panel::Admin => Role::Operator,
            Panel::Portal => Role::Client,
        }
    }

    pub fn home(self) -> &'static str {
        match self {
            Panel::Admin => "/admin",
            Panel::Portal => "/portal",
        }
    }

    pub fn login_path(self) -> &'static str {
        match self {
            Panel::Admin => "/admin/login",
            Panel::Portal => "/portal/login",
        }
    }

    /// The sign-in page, remembering `asked_for` (a page of this panel) to
    /// return to: `/portal/login?next=%2Fportal%2Forders`.
    pub fn sign_in_path(self, asked_for: Option<&str>) -> String {
        match asked_for.and_then(|page| self.return_to(page)) {
            Some(page) if page != self.home() => {
                format!("{}?next={}", self.login_path(), crate::lists::percent_encode(page))
            }
            _ => self.login_path().to_owned(),
        }
    }

    /// Where to go after signing in: `next` when it is a page of this
    /// panel (a path on this site, never another host: `//evil.example`,
    /// `/\evil.example` and schemes are refused), else the panel's home.
    pub fn after_sign_in(self, next: Option<&str>) -> String {
        next.and_then(|page| self.return_to(page))
            .unwrap_or(self.home())
            .to_owned()
    }

    fn return_to(self, page: &str) -> Option<&str> {
        let home = self.home();
        let rest = page.strip_prefix(home)?;
        let in_panel = rest.is_empty() || rest.starts_with('/') || rest.starts_with('?');
        let plain = page.len() <= 512
            && page.bytes().all(|b| b.is_ascii_graphic())
            && !page.contains("//")
            && !page.contains('\\')
            && !rest.starts_with("/login");
        (in_panel && plain).then_some(page)
    }
}

/// A syntactically valid email address, trimmed and lower-cased (one account
/// per mailbox, whatever the capitalisation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let email = raw.trim().to_lowercase();
        let bad = || AppError::validation("email", "Enter an email address such as name@example.com.");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy. Deliberately neither `Serialize` nor
/// `Display`, and its `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    /// For new passwords: enforces the length policy.
    pub fn parse_new(raw: &str) -> AppResult<Self> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(AppError::validation(
                "password",
                format!("Choose a password of at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(AppError::validation(
                "password",
                format!("Passwords are limited to {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    /// For sign-in: any non-empty candidate (the policy may have changed
    /// since the account was made), bounded to keep hashing cheap.
    pub fn candidate(raw: &str) -> AppResult<Self> {
        if raw.is_empty() {
            return Err(AppError::validation("password", "Enter your password."));
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(AppError::new(
                crate::error::ErrorCode::InvalidCredentials,
                "Wrong email or password.",
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A person's display name: 1 to 100 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > 100 || name.chars().any(char::is_control) {
            return Err(AppError::validation("name", "Enter a name of 1 to 100 characters."));
        }
        Ok(PersonName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_pages_of_the_same_panel() {
        let portal = Panel::Portal;
        assert_eq!(
            portal.after_sign_in(Some("/portal/orders?before=x")),
            "/portal/orders?before=x"
        );
        assert_eq!(portal.after_sign_in(None), "/portal");
        for hostile in [
            "//evil.example",
            "/portal//evil.example",
            "/admin",
            "https://evil.example/portal",
            "/portal\\x",
            "/portalx",
            "/portal/login",
            "/portal/a b",
        ] {
            assert_eq!(portal.after_sign_in(Some(hostile)), "/portal", "{hostile}");
        }
        assert_eq!(
            portal.sign_in_path(Some("/portal/orders")),
            "/portal/login?next=%2Fportal%2Forders"
        );
        assert_eq!(portal.sign_in_path(Some("/portal")), "/portal/login");
        assert_eq!(Panel::Admin.sign_in_path(Some("/portal/orders")), "/admin/login");
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@x.io",
            "ada@x..io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let err = Email::parse("nope").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("email"));
    }

    #[test]
    fn password_policy_and_redaction() {
        assert!(Password::parse_new("short").is_err());
        assert!(Password::parse_new(&"x".repeat(129)).is_err());
        let p = Password::parse_new("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert!(Password::candidate("").is_err());
        assert!(Password::candidate("short").is_ok());
    }

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"n".repeat(101)).is_err());
    }
}
