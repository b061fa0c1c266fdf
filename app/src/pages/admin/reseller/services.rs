//! `/admin/resellers/:id/services`: the reseller's services with the
//! provisioning outcomes an operator records (each sends its webhook) and
//! "Renew now".

use super::use_reseller;
use crate::{
    components::{ActionOutcome, Loaded, ServiceTable},
    services::server_fns::{RenewService, ServiceAction as RecordOutcome, admin_reseller_services},
};
use leptos::prelude::*;

#[component]
pub fn ServicesTab() -> impl IntoView {
    let id = use_reseller().id;
    let act = ServerAction::<RecordOutcome>::new();
    let renew = ServerAction::<RenewService>::new();
    let services = Resource::new(
        move || (id.get(), act.version().get(), renew.version().get()),
        |(id, _, _)| admin_reseller_services(id),
    );
    view! {
        <ActionOutcome value=act.value() ok_text="Service updated."/>
        <ActionOutcome value=renew.value() ok_text="Service renewed."/>
        <Loaded resource=services let:p>
            <ServiceTable
                services=p.page.data
                names=p.product_names
                customers=p.customer_names
                currency=p.currency
                act
                renew
            />
        </Loaded>
    }
}
