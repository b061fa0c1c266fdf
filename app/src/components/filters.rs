//! The GET forms that filter a list: the query string is the filter, so a
//! filtered list can be bookmarked and shared.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

/// The page's query parameters: `param("status")` is `None` when absent
/// or blank.
pub fn use_query_params() -> impl Fn(&str) -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move |name: &str| query.read().get(name).filter(|v| !v.is_empty())
}

/// The query string of the filters in `names` that the page's URL sets
/// (`a=1&b=2`): the next page and the export keep them.
pub fn kept_filters(param: impl Fn(&str) -> Option<String>, names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|name| param(name).map(|v| format!("{name}={}", crate::lists::percent_encode(&v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// The link to the page after `cursor` at `path`, keeping the filters in
/// `names`.
pub fn next_page_href(path: &str, cursor: &str, param: impl Fn(&str) -> Option<String>, names: &[&str]) -> String {
    let kept = kept_filters(param, names);
    let sep = if kept.is_empty() { "" } else { "&" };
    format!("{path}?before={cursor}{sep}{kept}")
}

/// A filter form: its fields, then one submit button.
#[component]
pub fn FilterForm(
    #[prop(into)] label: String,
    #[prop(default = "Filter")] submit: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Form method="GET" action="" attr:class="actions" attr:aria-label=label>
            {children()}
            <button type="submit" class="secondary">{submit}</button>
        </Form>
    }
}

/// A `<select>` of a filter form: "All" (empty), then `options` as
/// `(value, text)`, the one named by the query parameter `name` selected.
#[component]
pub fn FilterSelect(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let param = use_query_params();
    let selected = move || param(name).unwrap_or_default();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="" selected=move || selected().is_empty()>"All"</option>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let v = value.clone();
                        view! { <option value=value selected=move || selected() == v>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A text input of a filter form, showing the query parameter `name`.
#[component]
pub fn FilterInput(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let param = use_query_params();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type=kind name=name value=move || param(name) placeholder=placeholder/>
        </div>
    }
}

/// `(value, text)` pairs of an enum's variants, for [`FilterSelect`].
pub fn choices<T: Copy>(all: &[T], value: fn(T) -> &'static str, text: fn(T) -> &'static str) -> Vec<(String, String)> {
    all.iter().map(|&v| (value(v).to_owned(), text(v).to_owned())).collect()
}
