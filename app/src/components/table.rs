//! Tables of records, and the link to the next page of them.

use super::EmptyState;
use leptos::prelude::*;

/// A table of `rows`, one `<tr>` each from `row`, under `columns`
/// headings; `empty` is said instead when there is nothing to list.
#[component]
pub fn DataTable<T, R, V>(
    columns: Vec<&'static str>,
    rows: Vec<T>,
    row: R,
    #[prop(into)] empty: String,
    #[prop(into, optional)] caption: Option<String>,
    #[prop(into, optional)] class: Option<String>,
) -> impl IntoView
where
    T: 'static,
    R: Fn(T) -> V + 'static,
    V: IntoView + 'static,
{
    // Erased to `AnyView`: a table's full type nests every cell's, and
    // pages nest tables; the wasm build's type-depth limit and its size
    // both prefer one boxed view per table.
    if rows.is_empty() {
        return view! { <EmptyState text=empty/> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class=class>
                {caption.map(|c| view! { <caption>{c}</caption> })}
                <thead>
                    <tr>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "Older orders" and the like: a link to the next page, when there is one.
#[component]
pub fn NextPage(href: Option<String>, #[prop(into)] text: String) -> impl IntoView {
    href.map(|href| view! { <p class="next-page"><a href=href>{text}</a></p> })
}
