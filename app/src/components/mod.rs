//! View pieces both panels share.

use crate::{
    accounts::{
        Panel, User,
        server_fns::{SignOut, whoami},
    },
    error::{AppError, ErrorCode},
};
use leptos::{either::Either, prelude::*};
use leptos_router::components::{A, Redirect};

/// An error, announced to assistive technology.
#[component]
pub fn Alert(error: AppError) -> impl IntoView {
    view! {
        <p role="alert" class="alert" data-code=error.code.as_str()>
            {error.message}
        </p>
    }
}

/// A confirmation or neutral notice.
#[component]
pub fn Notice(#[prop(into)] text: String) -> impl IntoView {
    view! { <p role="status" class="notice">{text}</p> }
}

/// The outcome of the last submission of a form: its error, or `ok_text`.
#[component]
pub fn ActionOutcome<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    #[prop(into, optional)] ok_text: Option<String>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Err(error)) => Some(Either::Left(view! { <Alert error/> })),
        Some(Ok(_)) => ok_text.clone().map(|text| Either::Right(view! { <Notice text/> })),
        None => None,
    }
}

/// A labelled input. Every field has a visible label (UI conventions).
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, optional)] value: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] hint: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                aria-describedby=hint_id.clone()
            />
            {hint.map(|h| view! { <small id=hint_id>{h}</small> })}
        </div>
    }
}

/// What a list shows when it has nothing to list.
#[component]
pub fn EmptyState(#[prop(into)] text: String) -> impl IntoView {
    view! { <p class="empty">{text}</p> }
}

/// Sets the HTTP status of the page being rendered on the server (no-op in
/// the browser).
pub fn set_http_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A navigation entry: the link text is exactly the page's name.
pub type NavItem = (&'static str, &'static str);

/// The frame of a panel: brand, navigation, who is signed in, sign out.
#[component]
fn PanelFrame(panel: Panel, user: User, nav: &'static [NavItem], children: Children) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let (brand, nav_label) = match panel {
        Panel::Admin => ("FluxBilling admin", "Admin"),
        Panel::Portal => ("FluxBilling reseller portal", "Portal"),
    };
    let panel_value = match panel {
        Panel::Admin => "admin",
        Panel::Portal => "portal",
    };
    view! {
        <div class="panel">
            <header class="topbar">
                <a class="brand" href=panel.home()>{brand}</a>
                <span class="who">{user.email}</span>
                <ActionForm action=sign_out attr:class="inline">
                    <input type="hidden" name="panel" value=panel_value/>
                    <button type="submit">"Sign out"</button>
                </ActionForm>
            </header>
            <nav aria-label=nav_label class="sidenav">
                <ul>
                    {nav
                        .iter()
                        .map(|(href, name)| {
                            view! {
                                <li>
                                    <A href=*href exact=true>{*name}</A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main class="content">{children()}</main>
        </div>
    }
}

/// Guards a panel: renders `children` inside the panel frame for a user of
/// the panel's role, sends anonymous visitors to the sign-in page, and
/// refuses (403) a user of the other role. The server functions behind the
/// pages check again: this guard is for people, not for security.
#[component]
pub fn PanelGuard(panel: Panel, nav: &'static [NavItem], children: ChildrenFn) -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) if user.role == panel.role() => {
                        view! {
                            <PanelFrame panel user nav>
                                {children.with_value(|c| c())}
                            </PanelFrame>
                        }
                            .into_any()
                    }
                    Ok(Some(user)) => view! { <WrongPanel panel user/> }.into_any(),
                    Ok(None) => view! { <Redirect path=panel.login_path()/> }.into_any(),
                    Err(error) => view! { <Alert error/> }.into_any(),
                }
            })}
        </Suspense>
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
        <main class="narrow">
            <h1>"Not allowed"</h1>
            <Alert error/>
            <p>"Signed in as " {user.email} ". " <a href=link>{link_text}</a></p>
        </main>
    }
}

/// A reseller's status as a badge.
#[component]
pub fn StatusBadge(status: crate::resellers::ResellerStatus) -> impl IntoView {
    view! { <span class=format!("badge {}", status.as_str())>{status.label()}</span> }
}

/// `12.50 EUR`, or a dash for "not sold".
pub fn amount(value: Option<crate::money::Money>, currency: &str) -> String {
    value
        .map(|m| format!("{m} {currency}"))
        .unwrap_or_else(|| "—".to_owned())
}

/// A timestamp for tables, or a dash.
pub fn when(at: Option<crate::timestamp::Timestamp>) -> String {
    at.map(|t| t.short()).unwrap_or_else(|| "—".to_owned())
}

/// The common loading fallback.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}
