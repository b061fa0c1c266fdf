//! Who may call each server function: the matrix is built over every
//! registered function, so one added without a row here (and so without
//! its caller checked) fails `every_server_function_has_a_row`. Each row is
//! called anonymously (401) and by the other panel's role (403), with a
//! form naming real objects, so a missing check would act on them; the
//! database must be unchanged afterwards.

use crate::helpers::{TestApp, browser, error_code, order_body, spawn_app_with};
use app::{
    accounts::server_fns::{AcceptInvitation, Register, SignIn, SignOut, Whoami},
    api_access::server_fns::{
        GenerateApiKey, MyApiSettings, RevealWebhookSecret, RevokeApiKey, RotateWebhookSecret, SaveWebhookUrl,
    },
    api_log::server_fns::{AdminApiLogs, MyApiRequests},
    audit::server_fns::AdminAuditLog,
    billing::server_fns::{AdminAccount, AdminStatement, MyBilling, MyStatement, RecordPayment, UpdateAccountSettings},
    catalog::server_fns::{AdminListProducts, AdminProduct, Currency, SaveProduct},
    customers::server_fns::MyCustomers,
    dashboard::server_fns::MyDashboard,
    orders::server_fns::{MyOrder, MyOrders, PlaceOrder},
    price_book::server_fns::{
        AdminPriceBook, AdminPriceHistory, BulkPriceChange, MyCatalog, PreviewBulkPriceChange, PreviewDerive,
        PreviewPriceChange, SavePriceRow, SchedulePriceChange, WithdrawPriceVersion,
    },
    resellers::server_fns::{
        AdminListResellers, AdminReseller, AdminResellerNames, ApplyToProgram, InviteReseller, MyProgram,
        ResellerAction, UpdateResellerSettings,
    },
    services::server_fns::{AdminResellerServices, MyService, MyServices, RenewService, ServiceAction},
    webhooks::server_fns::{AdminDeliveries, AdminDelivery, MyDeliveries, MyDelivery, RetryDelivery, SendTestEvent},
};
use app::{
    catalog::server_fns::RotateProvisioningSecret,
    changes::server_fns::{
        CancelService, ChangeChoices, ChangeService, PreviewServiceChange, WithdrawServiceCancellation,
        WithdrawServiceChange,
    },
    provisioning::server_fns::{
        MarkProvisioningActionDone, ProvisioningAction, ProvisioningOverview, RetryProvisioningAction,
    },
    services::server_fns::AdminService,
};
use leptos::server_fn::ServerFn;
use std::collections::BTreeSet;

/// Who a function serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// The admin panel's operators.
    Operator,
    /// The portal's clients (with or without a reseller profile).
    Client,
    /// Anyone: signing in and out, registering, the currency.
    Public,
    /// A client for its reseller's own objects, or an operator for any
    /// (the service page's cancel and change): a client without a reseller
    /// profile is refused.
    Either,
}

/// One row: the function's path, who may call it, and a form it accepts.
struct Row {
    path: &'static str,
    name: &'static str,
    caller: Caller,
    form: Vec<(&'static str, String)>,
}

macro_rules! row {
    ($f:ty, $caller:expr $(, $k:literal => $v:expr)* $(,)?) => {
        Row {
            path: <$f as ServerFn>::PATH,
            name: stringify!($f),
            caller: $caller,
            form: vec![$(($k, $v.to_string())),*],
        }
    };
}

/// The real objects the forms name.
struct Objects {
    reseller: String,
    pending: String,
    product: String,
    service: String,
    order: String,
    delivery: String,
    action: String,
    key_prefix: String,
    month: String,
}

fn matrix(o: &Objects) -> Vec<Row> {
    use Caller::{Client, Either, Operator, Public};
    vec![
        row!(Whoami, Public),
        row!(SignIn, Public, "panel" => "admin", "email" => "x@example.com", "password" => "x"),
        row!(SignOut, Public, "panel" => "admin"),
        row!(Register, Public, "name" => "X", "email" => "x@example.com", "password" => "x"),
        row!(AcceptInvitation, Public, "token" => "x", "password" => "x"),
        row!(Currency, Public),
        // The admin panel.
        row!(AdminListProducts, Operator),
        row!(AdminProduct, Operator, "id" => o.product),
        row!(SaveProduct, Operator, "name" => "X", "slug" => "x-new", "kind" => "vps", "retail_monthly" => "1"),
        row!(AdminListResellers, Operator),
        row!(AdminResellerNames, Operator),
        row!(AdminReseller, Operator, "id" => o.reseller),
        row!(ResellerAction, Operator, "reseller_id" => o.pending, "action" => "approve"),
        row!(UpdateResellerSettings, Operator,
            "reseller_id" => o.reseller, "rate_limit" => "5", "default_discount_rate" => "0"),
        row!(InviteReseller, Operator, "email" => "new@example.com", "company_name" => "New Co"),
        row!(AdminPriceBook, Operator, "reseller_id" => o.reseller),
        row!(AdminPriceHistory, Operator, "reseller_id" => o.reseller),
        row!(SavePriceRow, Operator, "reseller_id" => o.reseller, "product_id" => o.product, "wholesale_monthly" => "1"),
        row!(PreviewDerive, Operator, "reseller_id" => o.reseller, "product_id" => o.product),
        row!(PreviewPriceChange, Operator, "form[reseller_id]" => o.reseller, "form[product_id]" => o.product,
            "form[effective_from]" => "2030-01-01", "form[existing_services]" => "keep", "form[wholesale_monthly]" => "12"),
        row!(SchedulePriceChange, Operator, "form[reseller_id]" => o.reseller, "form[product_id]" => o.product,
            "form[effective_from]" => "2030-01-01", "form[existing_services]" => "keep", "form[wholesale_monthly]" => "12"),
        row!(WithdrawPriceVersion, Operator, "reseller_id" => o.reseller, "product_id" => o.product,
            "version_id" => "ppv_01jd8x2m3n4p5q6r7s8t9v0w1x"),
        row!(PreviewBulkPriceChange, Operator, "form[scope]" => "product", "form[scope_id]" => o.product,
            "form[percent]" => "5", "form[effective_from]" => "2030-01-01", "form[existing_services]" => "keep"),
        row!(BulkPriceChange, Operator, "form[scope]" => "product", "form[scope_id]" => o.product,
            "form[percent]" => "5", "form[effective_from]" => "2030-01-01", "form[existing_services]" => "keep"),
        row!(AdminAuditLog, Operator),
        row!(AdminResellerServices, Operator, "reseller_id" => o.reseller),
        row!(ServiceAction, Operator, "service_id" => o.service, "action" => "terminate"),
        row!(RenewService, Operator, "service_id" => o.service),
        row!(AdminAccount, Operator, "reseller_id" => o.reseller),
        row!(AdminStatement, Operator, "reseller_id" => o.reseller, "month" => o.month),
        row!(RecordPayment, Operator,
            "reseller_id" => o.reseller, "amount" => "10.00", "reference" => "r", "form_token" => ulid::Ulid::new()),
        row!(UpdateAccountSettings, Operator,
            "reseller_id" => o.reseller, "credit_limit" => "100", "low_balance_threshold" => "5"),
        row!(AdminApiLogs, Operator),
        row!(AdminDeliveries, Operator),
        row!(AdminDelivery, Operator, "id" => o.delivery),
        row!(RetryDelivery, Operator, "id" => o.delivery),
        row!(RotateProvisioningSecret, Operator, "id" => o.product),
        row!(ProvisioningOverview, Operator),
        row!(ProvisioningAction, Operator, "id" => o.action),
        row!(RetryProvisioningAction, Operator, "id" => o.action),
        row!(MarkProvisioningActionDone, Operator, "id" => o.action, "note" => "set up by hand"),
        row!(AdminService, Operator, "id" => o.service),
        // Both panels' service page.
        row!(ChangeChoices, Either, "service_id" => o.service),
        row!(CancelService, Either, "service_id" => o.service, "when" => "immediately"),
        row!(WithdrawServiceCancellation, Either, "service_id" => o.service),
        row!(PreviewServiceChange, Either, "service_id" => o.service, "term" => "annual"),
        row!(ChangeService, Either, "service_id" => o.service, "product_id" => o.product, "term" => "annual"),
        row!(WithdrawServiceChange, Either, "service_id" => o.service),
        // The portal.
        row!(MyProgram, Client),
        row!(ApplyToProgram, Client, "company_name" => "Ops Co"),
        row!(MyDashboard, Client),
        row!(MyCatalog, Client),
        row!(MyOrders, Client),
        row!(MyOrder, Client, "id" => o.order),
        row!(PlaceOrder, Client,
            "customer_external_id" => "c-new", "offer" => format!("{}|monthly", o.product), "quantity" => "1"),
        row!(MyServices, Client),
        row!(MyService, Client, "id" => o.service),
        row!(MyCustomers, Client),
        row!(MyBilling, Client),
        row!(MyStatement, Client, "month" => o.month),
        row!(MyApiSettings, Client),
        row!(GenerateApiKey, Client, "name" => "k", "scope" => "orders"),
        row!(RevokeApiKey, Client, "prefix" => o.key_prefix),
        row!(SaveWebhookUrl, Client, "url" => "https://hooks.example.com/x"),
        row!(RevealWebhookSecret, Client),
        row!(RotateWebhookSecret, Client, "confirm" => "yes"),
        row!(MyApiRequests, Client),
        row!(MyDeliveries, Client),
        row!(MyDelivery, Client, "id" => o.delivery),
        row!(SendTestEvent, Client),
    ]
}

/// Everything a server function could write, row counts per table (an
/// update shows in `operator_audit_log` or the ledger). Sign-ins write
/// sessions and login attempts, the partner API logs requests after the
/// fact: those tables are left out.
const TABLES: [&str; 21] = [
    "users",
    "invitations",
    "admin_tokens",
    "reseller_profiles",
    "reseller_accounts",
    "reseller_products",
    "reseller_product_history",
    "products",
    "product_provisioning",
    "api_keys",
    "customers",
    "orders",
    "order_lines",
    "services",
    "ledger_entries",
    "webhook_events",
    "webhook_deliveries",
    "webhook_attempts",
    "provisioning_actions",
    "provisioning_attempts",
    "operator_audit_log",
];

async fn row_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push((
            table,
            crate::helpers::count(&app.store, &format!("SELECT COUNT(*) FROM {table}")).await,
        ));
    }
    counts
}

/// A reseller with an order, a service, a delivery and a key; another
/// pending; the current month.
async fn objects(app: &TestApp) -> Objects {
    let admin = app.admin().await;
    let partner = admin.partner(app, "matrix@example.com", "orders").await;
    // An `http` product (its endpoint never called: no worker), so the
    // order queues a `create` action.
    let (status, body) = admin
        .post(
            "/products",
            serde_json::json!({
                "name": "Matrix VPS", "slug": "vps-matrix", "kind": "vps", "retail_monthly": "20.00",
                "provisioning": { "module": "http", "url": "http://127.0.0.1:9/provision" }
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let product = body["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .put(
            &format!("/resellers/{}/products/{product}", partner.reseller_id),
            serde_json::json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let order = partner.order(&order_body("c-matrix", &product, "monthly", 1)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let (_, deliveries) = admin
        .get(&format!("/webhook-deliveries?reseller_id={}", partner.reseller_id))
        .await;
    let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
    let (_, actions) = admin.get(&format!("/provisioning-actions?service_id={service}")).await;
    Objects {
        action: actions["data"][0]["id"].as_str().expect("a create action").to_owned(),
        pending: admin.reseller("pending-matrix@example.com", "pending").await,
        product,
        service,
        order: order.body["id"].as_str().unwrap().to_owned(),
        delivery: deliveries["data"][0]["id"].as_str().expect("a delivery").to_owned(),
        key_prefix: partner.key[.."flux_key_".len() + 8].to_owned(),
        month: {
            let now = time::OffsetDateTime::now_utc();
            format!("{:04}-{:02}", now.year(), u8::from(now.month()))
        },
        reseller: partner.reseller_id,
    }
}

#[test]
fn every_server_function_has_a_row() {
    let o = Objects {
        reseller: String::new(),
        pending: String::new(),
        product: String::new(),
        service: String::new(),
        order: String::new(),
        delivery: String::new(),
        action: String::new(),
        key_prefix: String::new(),
        month: String::new(),
    };
    let rows: BTreeSet<&str> = matrix(&o).iter().map(|r| r.path).collect();
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
    let missing: Vec<_> = registered.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "server functions without a row in the matrix: {missing:?}"
    );
    let unknown: Vec<_> = rows.difference(&registered).collect();
    assert!(unknown.is_empty(), "rows for functions not registered: {unknown:?}");
}

#[tokio::test]
async fn each_server_function_refuses_the_wrong_caller_and_writes_nothing() {
    // No worker: deliveries stay as they are, so the counts are the
    // refusals' alone.
    let app = spawn_app_with(|c| c.run_worker = false).await;
    app.operator("ops@example.com").await;
    app.client_account("client@example.com").await;
    let o = objects(&app).await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let client = app.signed_in("portal", "client@example.com").await;
    let anonymous = browser();
    let before = row_counts(&app).await;

    let mut checked = 0;
    for row in matrix(&o) {
        let (wrong, refusal) = match row.caller {
            Caller::Operator => (&client, "forbidden"),
            Caller::Client => (&operator, "forbidden"),
            // The client has no reseller profile: nothing of its own.
            Caller::Either => (&client, "reseller_not_active"),
            Caller::Public => continue,
        };
        let form: Vec<(&str, &str)> = row.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let call = |who: &reqwest::Client| who.post(app.url(row.path)).form(&form).send();
        let unauthenticated = error_code(call(&anonymous).await.expect("reachable")).await;
        assert_eq!(
            unauthenticated,
            (401, "unauthenticated".into()),
            "{} anonymously",
            row.name
        );
        let forbidden = error_code(call(wrong).await.expect("reachable")).await;
        assert_eq!(forbidden, (403, refusal.into()), "{} by the other panel", row.name);
        checked += 1;
    }
    assert!(checked >= 45, "every non-public function was called: {checked}");
    assert_eq!(row_counts(&app).await, before, "a refused call wrote something");
}
