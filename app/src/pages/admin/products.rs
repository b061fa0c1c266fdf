//! `/admin/products` (the catalogue, and a form for a new product) and
//! `/admin/products/:id` (edit, with the operator-only provisioning
//! settings).

use crate::{
    catalog::{
        Product, ProductKind,
        server_fns::{
            RotateProvisioningSecret, SaveProduct, SavedProduct, admin_list_products, admin_product, currency,
        },
    },
    components::{ActionResult, DataTable, Field, Loaded, amount},
    error::AppError,
    provisioning::{Module, ModuleConfig, ModuleView},
    terms::BillingTerm,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let products = Resource::new(
        move || save.version().get(),
        |_| async { Ok::<_, AppError>((admin_list_products().await?, currency().await?)) },
    );
    view! {
        <h1>"Products"</h1>
        <Loaded resource=products let:loaded>
            <ProductTable list=loaded.0 code=loaded.1/>
        </Loaded>
        <h2>"New product"</h2>
        <ProductForm action=save product=None/>
    }
}

#[component]
fn ProductTable(list: Vec<Product>, code: String) -> impl IntoView {
    let mut columns = vec!["Product", "Kind", "Status"];
    columns.extend(BillingTerm::ALL.iter().map(|t| t.label()));
    columns.push("Setup fee");
    let row = move |p: Product| {
        view! {
            <tr>
                <th scope="row">
                    <a href=format!("/admin/products/{}", p.id)>{p.name.clone()}</a>
                    <br/>
                    <small>{p.slug.clone()}</small>
                </th>
                <td>{p.kind.label()}</td>
                <td>{if p.is_active { "Active" } else { "Inactive" }}</td>
                {BillingTerm::ALL
                    .iter()
                    .map(|t| view! { <td class="num">{amount(p.retail.get(*t), &code)}</td> })
                    .collect_view()}
                <td class="num">{amount(Some(p.retail_setup_fee), &code)}</td>
            </tr>
        }
    };
    view! { <DataTable columns rows=list row empty="No products yet."/> }
}

/// The create/edit form. Provisioning fields are shown (edit) with the
/// stored values only here, on the operator's own product page.
#[component]
fn ProductForm(
    action: ServerAction<SaveProduct>,
    product: Option<Product>,
    #[prop(default = None)] provisioning: Option<ModuleConfig>,
) -> impl IntoView {
    let editing = product.is_some();
    // Every value the form shows, computed up front (the form's children
    // are a 'static closure).
    let text = |f: fn(&Product) -> String| product.as_ref().map(f).unwrap_or_default();
    let price = |term: BillingTerm| {
        product
            .as_ref()
            .and_then(|p| p.retail.get(term))
            .map(|m| m.to_string())
            .unwrap_or_default()
    };
    let id = text(|p| p.id.to_string());
    let name = text(|p| p.name.clone());
    let slug = text(|p| p.slug.clone());
    let description = text(|p| p.description.clone());
    let setup_fee = text(|p| p.retail_setup_fee.to_string());
    let retail_fields = BillingTerm::ALL
        .iter()
        .map(|&term| {
            let label = format!("Retail {}", term.label().to_lowercase());
            view! { <Field label name=format!("retail_{}", term.as_str()) value=price(term)/> }
        })
        .collect_view();
    let kind = product.as_ref().map(|p| p.kind);
    let active = product.as_ref().map(|p| p.is_active).unwrap_or(true);
    let settings_json = provisioning
        .as_ref()
        .map(|p| serde_json::to_string_pretty(&p.settings).unwrap_or_default());
    let module = provisioning.as_ref().map(|p| p.module);
    let url = provisioning.as_ref().and_then(|p| p.url.clone()).unwrap_or_default();
    view! {
        <ActionForm action=action attr:class="stack">
            <input type="hidden" name="id" value=id/>
            <Field label="Name" name="name" value=name required=true/>
            <Field label="Slug" name="slug" value=slug required=true hint="e.g. vps-small"/>
            <div class="field">
                <label for="field-kind">"Kind"</label>
                <select id="field-kind" name="kind">
                    {ProductKind::ALL
                        .iter()
                        .copied()
                        .map(|k| view! { <option value=k.as_str() selected=kind == Some(k)>{k.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <Field label="Description" name="description" value=description/>
            <div class="field">
                <label>
                    <input type="checkbox" name="is_active" value="on" checked=active/>
                    " Active (resellers can buy it)"
                </label>
            </div>
            <fieldset>
                <legend>"Retail prices (leave blank: not sold on that term)"</legend>
                {retail_fields}
                <Field label="Retail setup fee" name="retail_setup_fee" value=setup_fee/>
            </fieldset>
            <fieldset>
                <legend>"Provisioning (operators only; never shown to resellers)"</legend>
                <div class="field">
                    <label for="field-provisioning_module">"Provisioning module"</label>
                    <select id="field-provisioning_module" name="provisioning_module">
                        <option value="" selected=module.is_none()>
                            {if editing { "(unchanged)" } else { "Manual (the default)" }}
                        </option>
                        {Module::ALL
                            .iter()
                            .copied()
                            .map(|m| view! { <option value=m.as_str() selected=module == Some(m)>{m.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <Field
                    label="Endpoint URL (http module)"
                    name="provisioning_url"
                    value=url
                    hint="Your automation's address, e.g. https://automation.example.net/provision"
                />
                <div class="field">
                    <label for="field-provisioning_settings">"Provisioning settings (JSON)"</label>
                    <textarea id="field-provisioning_settings" name="provisioning_settings">
                        {settings_json}
                    </textarea>
                    <small>
                        {if editing { "Leave the module unchanged to keep the stored settings." } else { "" }}
                    </small>
                </div>
            </fieldset>
            <button type="submit" disabled=move || action.pending().get()>
                {if editing { "Save" } else { "Create product" }}
            </button>
        </ActionForm>
        <ActionResult value=action.value() let:saved>
            <SavedNotice saved/>
        </ActionResult>
    }
}

/// "Product saved", with the signing secret when the save made one.
#[component]
fn SavedNotice(saved: SavedProduct) -> impl IntoView {
    view! {
        <div role="status" class="notice">
            <p>"Product saved."</p>
            {saved.secret.map(|secret| view! { <SecretOnce secret/> })}
        </div>
    }
}

/// A provisioning signing secret, shown once.
#[component]
fn SecretOnce(secret: String) -> impl IntoView {
    view! {
        <p>
            "The endpoint's signing secret (Standard Webhooks). It is shown only once: "
            "put it in your automation now."
        </p>
        <p><code data-testid="provisioning-secret">{secret}</code></p>
    }
}

/// The signing secret's state and its rotation.
#[component]
fn SigningSecret(id: String, module: ModuleView) -> impl IntoView {
    let rotate = ServerAction::<RotateProvisioningSecret>::new();
    view! {
        <h2>"Provisioning signing secret"</h2>
        <p>
            {if module.has_secret {
                "Calls to the endpoint are signed with this product's secret (Standard Webhooks)."
            } else {
                "No secret yet: one is made when the product first uses the http module."
            }}
        </p>
        <ActionForm action=rotate attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="secondary" disabled=move || rotate.pending().get()>
                "Rotate signing secret"
            </button>
        </ActionForm>
        <ActionResult value=rotate.value() let:secret>
            <div role="status" class="notice">
                <p>"The old secret no longer verifies."</p>
                <SecretOnce secret/>
            </div>
        </ActionResult>
    }
}

/// `/admin/products/:id`
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let save = ServerAction::<SaveProduct>::new();
    let detail = Resource::new(move || (id(), save.version().get()), |(id, _)| admin_product(id));
    view! {
        <Loaded resource=detail error_heading="Product" let:d>
            <h1>{d.product.name.clone()}</h1>
            <p><a href="/admin/products">"All products"</a></p>
            <ProductForm action=save product=Some(d.product.clone()) provisioning=d.provisioning/>
            <SigningSecret id=d.product.id.to_string() module=d.module/>
        </Loaded>
    }
}
