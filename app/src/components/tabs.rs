//! A page of several sub-pages (a reseller on the admin side, API Settings
//! on the portal): one bar of plain links, each sub-page its own URL, the
//! current one marked `aria-current="page"`.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// A tab: its path below the page's base (`""` for the first) and its
/// name, the link text and the second half of the sub-page's `<h1>`.
pub type Tab = (&'static str, &'static str);

/// The name of the tab whose URL is showing (the first when none is).
pub fn use_current_tab(base: Signal<String>, tabs: &'static [Tab]) -> Memo<&'static str> {
    let location = use_location();
    Memo::new(move |_| {
        let path = location.pathname.get();
        let base = base.get();
        tabs.iter()
            .find(|(suffix, _)| same_page(&path, &format!("{base}{suffix}")))
            .or(tabs.first())
            .map(|(_, name)| *name)
            .unwrap_or_default()
    })
}

/// `/portal/api-settings/` is `/portal/api-settings`.
fn same_page(path: &str, href: &str) -> bool {
    path.trim_end_matches('/') == href.trim_end_matches('/')
}

/// The bar of links between a page's sub-pages. Plain `<a>`s: each works
/// without JavaScript, and the router follows them once hydrated.
#[component]
pub fn TabBar(
    /// The `<nav>`'s accessible name ("Reseller", "API Settings").
    label: &'static str,
    base: Signal<String>,
    tabs: &'static [Tab],
) -> impl IntoView {
    let location = use_location();
    view! {
        <nav class="tabs" aria-label=label>
            <ul>
                {tabs
                    .iter()
                    .map(|(suffix, name)| {
                        let href = move || format!("{}{suffix}", base.get());
                        let current = move || same_page(&location.pathname.get(), &href()).then_some("page");
                        view! {
                            <li>
                                <a href=href aria-current=current>{*name}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::same_page;

    #[test]
    fn a_trailing_slash_is_the_same_page() {
        assert!(same_page("/portal/api-settings/", "/portal/api-settings"));
        assert!(same_page(
            "/admin/resellers/rsl_1/account",
            "/admin/resellers/rsl_1/account"
        ));
        assert!(!same_page("/admin/resellers/rsl_1/account", "/admin/resellers/rsl_1"));
    }
}
