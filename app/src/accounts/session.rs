//! Who is calling a server function: the session cookie, role checks and
//! the client's address. Server only.

use super::{Role, User, service};
use crate::{
    error::{AppError, AppResult},
    state::{AppState, app_state},
};
use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};

pub const COOKIE_NAME: &str = "flux_session";

/// The session token in a `Cookie` header, if any.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE_NAME)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly (no script can read it),
/// SameSite=Lax (not sent on cross-site POSTs), Secure when served over HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(token, service::SESSION_TTL, secure)
}

/// `Set-Cookie` that ends the session cookie at once.
pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    set_cookie("", time::Duration::ZERO, secure)
}

fn set_cookie(value: &str, max_age: time::Duration, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((COOKIE_NAME, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .secure(secure)
        .build();
    // A token is URL-safe text, so the header is always valid.
    HeaderValue::from_str(&cookie.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("flux_session=; Path=/; Max-Age=0"))
}

/// The request's headers, from the server function's (or page's) context.
fn request_parts() -> AppResult<http::request::Parts> {
    leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal("request parts missing from context"))
}

/// The session cookie's token in the current request.
pub fn current_token() -> AppResult<Option<String>> {
    Ok(token_from_headers(&request_parts()?.headers))
}

/// The signed-in user, if any.
pub async fn current_user() -> AppResult<Option<User>> {
    let state = app_state()?;
    match current_token()? {
        Some(token) => service::session_user(&state.store, &token, state.settings.session_idle).await,
        None => Ok(None),
    }
}

/// The signed-in user with `role`: anonymous callers get `unauthenticated`,
/// the other role `forbidden`. Every server function starts here.
pub async fn require(role: Role) -> AppResult<(AppState, User)> {
    let state = app_state()?;
    let user = signed_in(&state, &request_parts()?.headers, role).await?;
    Ok((state, user))
}

/// The user whose session cookie `headers` carry, who must have `role`
/// (the one check behind [`require`], also for plain routes such as the
/// CSV downloads).
pub async fn signed_in(state: &AppState, headers: &HeaderMap, role: Role) -> AppResult<User> {
    let token = token_from_headers(headers).ok_or_else(AppError::unauthenticated)?;
    let user = service::session_user(&state.store, &token, state.settings.session_idle)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if user.role != role {
        return Err(AppError::forbidden());
    }
    Ok(user)
}

/// A signed-in client with a reseller profile (any status): the portal's
/// working pages. Clients that have not applied get a clear refusal.
pub async fn require_reseller() -> AppResult<(AppState, User, crate::resellers::Reseller)> {
    let (state, client) = require(Role::Client).await?;
    let reseller = crate::resellers::service::for_user(&state.store, &client)
        .await?
        .ok_or_else(|| {
            AppError::new(
                crate::error::ErrorCode::ResellerNotActive,
                "Apply to the reseller program first (Program overview).",
            )
        })?;
    Ok((state, client, reseller))
}

/// What the per-address limits (sign-ins, registrations) count the
/// current request's client as: see `net::client_limit_key` (the client a
/// trusted proxy names, else the TCP peer; an IPv6 client by its /64).
pub fn client_limit_key() -> String {
    request_parts()
        .map(|parts| crate::net::client_limit_key(&parts.extensions))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Adds a header to the response of the current server function or page.
pub fn set_response_header(name: header::HeaderName, value: HeaderValue) {
    if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        options.append_header(name, value);
    }
}

/// Gives a failed server function call its HTTP status (4xx for the
/// caller's mistakes, 500 for ours). Only for calls to `/api/fn/...`: a
/// page rendering a resource keeps its own status.
pub fn respond<T>(result: AppResult<T>) -> AppResult<T> {
    if let Err(err) = &result {
        let is_fn_call = request_parts()
            .map(|p| p.uri.path().starts_with(crate::SERVER_FN_PREFIX))
            .unwrap_or(false);
        if let (true, Some(options), Ok(status)) = (
            is_fn_call,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(err.http_status()),
        ) {
            options.set_status(status);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; flux_session=abc; b=2"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("flux_session="));
        assert_eq!(token_from_headers(&headers), None);
    }

    #[test]
    fn cookie_flags() {
        let c = session_cookie("t", true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie("t", false).to_str().unwrap().contains("Secure"));
    }
}
