//! Browser entry points for accounts. Each one: check the caller, parse,
//! call one service function, map the error.

use super::{Panel, User};
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in user, or `None`. Pages use it to pick their shell.
#[server(prefix = "/api/fn")]
pub async fn whoami() -> Result<Option<User>, AppError> {
    use super::session;
    session::respond(session::current_user().await)
}

/// Signs in to `panel` and sends the browser to the page it asked for
/// (`next`, when a page of that panel) or to the panel's home.
#[server(prefix = "/api/fn")]
pub async fn sign_in(
    panel: Panel,
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use super::{service, session};
    session::respond(
        async {
            let state = crate::state::app_state()?;
            let address = session::client_limit_key();
            let (_user, token) =
                service::sign_in(&state.store, state.passwords(), panel, &email, &password, &address).await?;
            session::set_response_header(
                http::header::SET_COOKIE,
                session::session_cookie(&token.0, state.settings.secure_cookies),
            );
            leptos_axum::redirect(&panel.after_sign_in(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Ends the current session and returns to the panel's sign-in page.
#[server(prefix = "/api/fn")]
pub async fn sign_out(panel: Panel) -> Result<(), AppError> {
    use super::{service, session};
    session::respond(
        async {
            let state = crate::state::app_state()?;
            if let Some(token) = session::current_token()? {
                service::sign_out(&state.store, &token).await?;
            }
            session::set_response_header(
                http::header::SET_COOKIE,
                session::clear_session_cookie(state.settings.secure_cookies),
            );
            leptos_axum::redirect(panel.login_path());
            Ok(())
        }
        .await,
    )
}

/// Creates a client account, signs it in and opens the portal.
#[server(prefix = "/api/fn")]
pub async fn register(name: String, email: String, password: String) -> Result<(), AppError> {
    use super::{service, session};
    session::respond(
        async {
            let state = crate::state::app_state()?;
            let address = session::client_limit_key();
            let user = service::register_client(&state, &name, &email, &password, &address).await?;
            let token = service::start_session(&state.store, &user).await?;
            session::set_response_header(
                http::header::SET_COOKIE,
                session::session_cookie(&token.0, state.settings.secure_cookies),
            );
            leptos_axum::redirect(Panel::Portal.home());
            Ok(())
        }
        .await,
    )
}

/// An invited client sets a password with the one-time token from the
/// invitation link, and lands in the portal signed in.
#[server(prefix = "/api/fn")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    use super::{service, session};
    session::respond(
        async {
            let state = crate::state::app_state()?;
            let (_user, session_token) =
                service::accept_invitation(&state.store, state.passwords(), &token, &password).await?;
            session::set_response_header(
                http::header::SET_COOKIE,
                session::session_cookie(&session_token.0, state.settings.secure_cookies),
            );
            leptos_axum::redirect(Panel::Portal.home());
            Ok(())
        }
        .await,
    )
}
