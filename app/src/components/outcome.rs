//! What a form's last submission came to.

use super::{Alert, Notice};
use crate::error::AppError;
use leptos::{either::Either, prelude::*};

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

/// The outcome of the last submission of a form: its error, or the value it
/// returned shown by `children` (a new key, a secret, an invitation link).
#[component]
pub fn ActionResult<T, F, V>(#[prop(into)] value: Signal<Option<Result<T, AppError>>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match value.get() {
        Some(Err(error)) => Some(Either::Left(view! { <Alert error/> })),
        Some(Ok(done)) => Some(Either::Right(children(done))),
        None => None,
    }
}
