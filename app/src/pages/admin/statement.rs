//! `/admin/resellers/:id/statements/:month`: a reseller's statement,
//! printable, a page of entries at a time.

use crate::{
    billing::server_fns::admin_statement,
    components::{Loaded, StatementView},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.read();
        (
            p.get("id").unwrap_or_default(),
            p.get("month").unwrap_or_default(),
            query.read().get("after"),
        )
    };
    let statement = Resource::new(key, |(id, month, after)| admin_statement(id, month, after));
    view! {
        <p class="no-print"><a href=move || format!("/admin/resellers/{}/account", key().0)>"Back to the account"</a></p>
        <Loaded resource=statement error_heading="Statement" let:s>
            {
                let id = key().0;
                let csv = format!("/admin/resellers/{id}/statement.csv?month={}", s.month);
                let base = format!("/admin/resellers/{id}/statements/{}", s.month);
                view! { <StatementView statement=s holder=format!("Reseller {id}") csv_href=csv base/> }
            }
        </Loaded>
    }
}
