//! The one place a page waits for its data.

use super::{Alert, Loading, set_http_status};
use crate::error::{AppError, ErrorCode};
use leptos::{either::Either, prelude::*};
use serde::{Serialize, de::DeserializeOwned};

/// Awaits `resource`: "Loading…" until it arrives, then `children(data)`,
/// or the error, announced, its code in `data-code`. A record that does not
/// exist (or is another reseller's) makes the page a 404; other refusals
/// keep the page's 200, since the page itself exists and says why (a
/// client who has not applied yet sees its dashboard's explanation).
/// `error_heading` titles pages whose heading comes from the data itself;
/// `quiet` shows nothing on error, for a sub-page whose frame awaits the
/// same resource and shows its error already.
///
/// ```ignore
/// <Loaded resource=orders let:page>
///     <OrderTable orders=page.data/>
/// </Loaded>
/// ```
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    children: F,
    #[prop(optional)] error_heading: Option<&'static str>,
    #[prop(optional)] quiet: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(data) => Either::Left(children(data).into_any()),
                        Err(_) if quiet => Either::Left(().into_any()),
                        Err(error) => Either::Right(view! { <LoadError error heading=error_heading/> }),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn LoadError(error: AppError, heading: Option<&'static str>) -> impl IntoView {
    if error.code == ErrorCode::NotFound {
        set_http_status(404);
    }
    view! {
        {heading.map(|h| view! { <h1>{h}</h1> })}
        <Alert error/>
    }
}
