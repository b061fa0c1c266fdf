//! `/admin/services/:id`: one service of any reseller, with "Cancel
//! service" and "Change plan" on the reseller's behalf (the same use
//! cases as the portal and the partner API, audited as the operator).

use crate::{
    components::{Flash, Loaded, Reload, ServiceDetail},
    services::server_fns::admin_service,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let refresh = Reload::new();
    let service = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), refresh.version.get()),
        |(id, _)| admin_service(id),
    );
    view! {
        <Flash reload=refresh/>
        <Loaded resource=service error_heading="Service" let:v>
            {
                let back = (format!("/admin/resellers/{}/services", v.reseller_id), "The reseller's services".to_owned());
                view! { <ServiceDetail back v refresh/> }
            }
        </Loaded>
    }
}
