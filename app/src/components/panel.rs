//! The frame and guard of both panels.

use super::{Alert, Loaded, set_http_status};
use crate::{
    accounts::{
        Panel, User,
        server_fns::{SignOut, whoami},
    },
    error::{AppError, ErrorCode},
};
use leptos::prelude::*;
use leptos_router::components::A;

/// A navigation entry: the link text is exactly the page's name.
pub type NavItem = (&'static str, &'static str);

#[component]
fn TopBar(panel: Panel, user: User) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let brand = match panel {
        Panel::Admin => "FluxBilling admin",
        Panel::Portal => "FluxBilling reseller portal",
    };
    let panel_value = match panel {
        Panel::Admin => "admin",
        Panel::Portal => "portal",
    };
    view! {
        <header class="topbar">
            <a class="brand" href=panel.home()>{brand}</a>
            <span class="who">{user.email}</span>
            <ActionForm action=sign_out attr:class="inline">
                <input type="hidden" name="panel" value=panel_value/>
                <button type="submit">"Sign out"</button>
            </ActionForm>
        </header>
    }
}

#[component]
fn SideNav(panel: Panel, nav: &'static [NavItem]) -> impl IntoView {
    let label = match panel {
        Panel::Admin => "Admin",
        Panel::Portal => "Portal",
    };
    view! {
        <nav aria-label=label class="sidenav">
            <ul>
                {nav
                    .iter()
                    .map(|(href, name)| {
                        // A page's sub-pages (`/admin/resellers/rsl_.../account`)
                        // mark its entry too; the panel's home only itself.
                        let exact = *href == panel.home();
                        view! {
                            <li>
                                <A href=*href exact>{*name}</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// Guards a panel: renders `children` inside the panel frame for a user of
/// the panel's role, sends anonymous visitors to the sign-in page, and
/// refuses (403) a user of the other role. The server functions behind the
/// pages check again: this guard is for people, not for security.
///
/// Two rules of Leptos's server rendering shape this (see
/// docs/ARCHITECTURE.md, "Pages and resources"): the page is built once,
/// beside the guard's `Loaded` rather than inside it (a `Suspense` walks
/// its children again as resources resolve, and a page built inside one
/// was built two or three times per request with fresh resources, which
/// now and then left the response hanging), and the user is read in that
/// one `Loaded` only (a resource read under two `Suspense`s can hang the
/// response too). A refusal hides the page beside it with CSS
/// (`.refusal ~ *`).
#[component]
pub fn PanelGuard(panel: Panel, nav: &'static [NavItem], children: Children) -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    view! {
        <div class="panel">
            <Loaded resource=user let:user>
                {match user {
                    Some(user) if user.role == panel.role() => {
                        view! { <TopBar panel user/> <SideNav panel nav/> }.into_any()
                    }
                    Some(user) => view! { <WrongPanel panel user/> }.into_any(),
                    None => view! { <SignInFirst panel/> }.into_any(),
                }}
            </Loaded>
            <main class="content">{children()}</main>
        </div>
    }
}

#[component]
fn WrongPanel(panel: Panel, user: User) -> impl IntoView {
    set_http_status(403);
    let (message, link, link_text) = match panel {
        Panel::Admin => (
            "The admin panel is for operators. You are signed in with a client account.",
            "/portal",
            "Go to the reseller portal",
        ),
        Panel::Portal => (
            "The reseller portal is for client accounts. You are signed in as an operator.",
            "/admin",
            "Go to the admin panel",
        ),
    };
    let error = AppError::new(ErrorCode::Forbidden, message);
    view! {
        <main class="narrow refusal">
            <h1>"Not allowed"</h1>
            <Alert error/>
            <p>"Signed in as " {user.email} ". " <a href=link>{link_text}</a></p>
        </main>
    }
}

/// An anonymous visitor: on the server a 303 to the panel's sign-in page
/// (so the page works without JavaScript and is never blank), in the
/// browser a client-side redirect; either way returning to the page asked
/// for once signed in.
#[component]
fn SignInFirst(panel: Panel) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    let mut asked_for = location.pathname.get_untracked();
    if !search.is_empty() {
        asked_for = format!("{asked_for}?{search}");
    }
    let path = panel.sign_in_path(Some(&asked_for));
    // On the server the 303 is the whole answer (the router's `Redirect`
    // would make it a 302); in the browser, the router navigates.
    #[cfg(feature = "ssr")]
    {
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(value) = http::HeaderValue::from_str(&path)
        {
            options.set_status(http::StatusCode::SEE_OTHER);
            options.insert_header(http::header::LOCATION, value);
        }
    }
    #[cfg(not(feature = "ssr"))]
    view! { <leptos_router::components::Redirect path=path/> }
}
