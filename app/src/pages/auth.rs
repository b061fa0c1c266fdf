//! Sign-in pages of both panels and the client registration page.

use crate::{
    accounts::{
        Panel, Password,
        server_fns::{AcceptInvitation, Register, SignIn},
    },
    components::{ActionOutcome, Field},
};
use leptos::prelude::*;

#[component]
fn SignInForm(panel: Panel) -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let (title, panel_value) = match panel {
        Panel::Admin => ("Operator sign-in", "admin"),
        Panel::Portal => ("Client sign-in", "portal"),
    };
    view! {
        <main class="narrow">
            <h1>{title}</h1>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="panel" value=panel_value/>
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                />
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <ActionOutcome value=action.value()/>
            {(panel == Panel::Portal)
                .then(|| {
                    view! {
                        <p>"No account yet? " <a href="/portal/register">"Register"</a></p>
                    }
                })}
        </main>
    }
}

/// `/admin/login`
#[component]
pub fn AdminLogin() -> impl IntoView {
    view! { <SignInForm panel=Panel::Admin/> }
}

/// `/portal/login`
#[component]
pub fn PortalLogin() -> impl IntoView {
    view! { <SignInForm panel=Panel::Portal/> }
}

/// `/portal/register`: a client account; applying to the reseller programme
/// is the next step, from the portal.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    view! {
        <main class="narrow">
            <h1>"Create a client account"</h1>
            <ActionForm action=action attr:class="stack">
                <Field label="Name" name="name" autocomplete="name" required=true/>
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true/>
                <NewPassword/>
                <button type="submit" disabled=move || action.pending().get()>"Register"</button>
            </ActionForm>
            <ActionOutcome value=action.value()/>
            <p>"Already registered? " <a href="/portal/login">"Sign in"</a></p>
        </main>
    }
}

/// `/portal/invitation?token=...`: an invited client chooses a password.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let query = leptos_router::hooks::use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <main class="narrow">
            <h1>"Accept your invitation"</h1>
            <p>"You have been invited to the FluxBilling reseller program. Choose a password to sign in."</p>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="token" value=token/>
                <NewPassword/>
                <button type="submit" disabled=move || action.pending().get()>"Save"</button>
            </ActionForm>
            <ActionOutcome value=action.value()/>
        </main>
    }
}

/// The password field of registration and invitations, with its rule.
#[component]
fn NewPassword() -> impl IntoView {
    let hint = format!("At least {} characters.", Password::MIN_CHARS);
    view! { <Field label="Password" name="password" kind="password" autocomplete="new-password" required=true hint/> }
}
