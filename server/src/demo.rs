//! `fluxbilling demo`: realistic data for a first look, and how to sign in.
//!
//! Safe to run again: existing demo accounts get fresh passwords (printed
//! again), existing products are left as they are. Passwords are random:
//! a demo database must not open with a well-known password.
//!
//! History is seeded through the business clock the use cases read
//! (`app::clock`): the demo moves it back three months, signs the resellers
//! up then, and walks each account forward through its payments, orders
//! and the renewals they fall due for, exactly as the running product
//! would have recorded them. Nothing is back-dated by hand; at the end the
//! clock is back on the system time and the renewals due by now are run.

use crate::{config::Config, startup::open_state, webhooks::job::Deliverer};
use app::{
    accounts::{User, service as accounts},
    api_access::{KeyScope, service as api_access},
    api_log::NewApiRequest,
    audit::Actor,
    billing::{AccountPatch, NewPayment, service as billing},
    catalog::{ProductForm, service as catalog},
    error::AppError,
    ids::{ResellerId, ServiceId},
    lists::PageRequest,
    money::{Amount, Money, Percent},
    orders::{OrderFilter, OrderRequest, service as orders},
    price_book::service as price_book,
    provisioning::{Module, ModuleConfig, service as provisioning},
    resellers::{Application, LifecycleAction, ResellerPatch, ResellerStatus, service as resellers},
    secrets::{self, SecretsKey},
    services::{ServiceAction, service as services},
    state::{AppState, Settings},
    store::Store,
    timestamp::Timestamp,
    webhooks::{DeliveryFilter, DeliveryStatus, service as webhooks},
};
use std::time::Duration;

pub const OPERATOR_EMAIL: &str = "operator@fluxbilling.example";

/// How far back the demo's history starts (the resellers sign up then).
const HISTORY_DAYS: i64 = 95;

/// Moves the business clock to `days_ago` days before `origin` (the real
/// start of the seeding) and runs the renewals due by then, as the
/// scheduler would have.
async fn at_day(store: &Store, origin: Timestamp, days_ago: f64) -> anyhow::Result<()> {
    let offset = time::Duration::seconds_f64(days_ago * 86_400.0);
    store.clock().set(origin.minus(offset));
    services::renew_due(store, store.now()).await.map_err(fail)?;
    Ok(())
}

struct DemoProduct {
    name: &'static str,
    slug: &'static str,
    kind: &'static str,
    description: &'static str,
    /// monthly, quarterly, semi-annual, annual, hourly
    retail: [Option<&'static str>; 5],
    setup_fee: &'static str,
    /// The module, and the host its settings name.
    provisioning: (Module, &'static str),
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        name: "VPS Starter",
        slug: "vps-starter",
        kind: "vps",
        description: "2 vCPU, 4 GB RAM, 80 GB NVMe, 1 IPv4",
        retail: [
            Some("6.00"),
            Some("17.10"),
            Some("33.00"),
            Some("63.00"),
            Some("0.0090"),
        ],
        setup_fee: "0",
        provisioning: (Module::Http, "pve-fra1.internal"),
    },
    DemoProduct {
        name: "VPS Pro",
        slug: "vps-pro",
        kind: "vps",
        description: "8 vCPU, 16 GB RAM, 320 GB NVMe, 1 IPv4",
        retail: [
            Some("24.00"),
            Some("68.40"),
            Some("132.00"),
            Some("252.00"),
            Some("0.0360"),
        ],
        setup_fee: "0",
        provisioning: (Module::Http, "pve-fra2.internal"),
    },
    DemoProduct {
        name: "Minecraft 4 GB",
        slug: "minecraft-4gb",
        kind: "game_server",
        description: "Paper or vanilla, 4 GB RAM, DDoS protection",
        retail: [Some("12.00"), Some("34.20"), None, None, None],
        setup_fee: "0",
        provisioning: (Module::Http, "panel.games.internal"),
    },
    DemoProduct {
        name: "Shared Hosting Business",
        slug: "shared-business",
        kind: "shared_hosting",
        description: "50 sites, 100 GB SSD, free TLS",
        retail: [Some("7.99"), None, None, Some("79.90"), None],
        setup_fee: "0",
        provisioning: (Module::Manual, "whm-01.internal"),
    },
    DemoProduct {
        name: "Bare Metal E-2388G",
        slug: "bare-metal-e2388g",
        kind: "bare_metal",
        description: "Xeon E-2388G, 64 GB ECC, 2x 1.92 TB NVMe",
        retail: [Some("129.00"), None, None, Some("1393.20"), None],
        setup_fee: "99.00",
        provisioning: (Module::Manual, "bmc-rack4.internal"),
    },
];

/// A demo client and, if any, its reseller profile's state.
struct DemoClient {
    name: &'static str,
    email: &'static str,
    company: &'static str,
    /// `None`: a client that has not applied yet.
    status: Option<ResellerStatus>,
    discount: &'static str,
    reason: &'static str,
    /// How its account is run (active resellers).
    account: DemoAccount,
}

/// The demo's reseller accounts, one of each kind.
#[derive(Clone, Copy)]
enum DemoAccount {
    /// No limit, nothing recorded.
    Untouched,
    /// A credit line with a low-balance threshold and payments received
    /// over the last months (Northwind).
    CreditLine,
    /// Prepaid: a payment first, then orders within it.
    Prepaid,
    /// A credit line used up: a renewal it could not cover left a service
    /// suspended for non-payment.
    Arrears,
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "Alice Martin",
        email: "alice@northwind-hosting.example",
        company: "Northwind Hosting",
        status: Some(ResellerStatus::Active),
        discount: "15",
        reason: "",
        account: DemoAccount::CreditLine,
    },
    DemoClient {
        name: "Bruno Keller",
        email: "bruno@pixelforge.example",
        company: "PixelForge Games",
        status: Some(ResellerStatus::Pending),
        discount: "10",
        reason: "",
        account: DemoAccount::Untouched,
    },
    DemoClient {
        name: "Freya Lund",
        email: "freya@fjordservers.example",
        company: "Fjord Servers",
        status: Some(ResellerStatus::Active),
        discount: "10",
        reason: "",
        account: DemoAccount::Prepaid,
    },
    DemoClient {
        name: "Gus Moreau",
        email: "gus@graniteweb.example",
        company: "Granite Web",
        status: Some(ResellerStatus::Active),
        discount: "10",
        reason: "",
        account: DemoAccount::Arrears,
    },
    DemoClient {
        name: "Chen Wei",
        email: "chen@heliocloud.example",
        company: "Helio Cloud",
        status: Some(ResellerStatus::Suspended),
        discount: "12.5",
        reason: "Invoice 2026-10 is 30 days overdue",
        account: DemoAccount::Untouched,
    },
    DemoClient {
        name: "Dana Okafor",
        email: "dana@oldstack.example",
        company: "Oldstack Ltd",
        status: Some(ResellerStatus::Terminated),
        discount: "10",
        reason: "Contract ended by mutual agreement",
        account: DemoAccount::Untouched,
    },
    DemoClient {
        name: "Emil Novak",
        email: "emil@example.com",
        company: "",
        status: None,
        discount: "0",
        reason: "",
        account: DemoAccount::Untouched,
    },
];

fn fail(e: AppError) -> anyhow::Error {
    anyhow::anyhow!(e.message)
}

/// A random password that is easy to copy from a terminal.
fn demo_password() -> String {
    secrets::random_token()[..16].to_owned()
}

/// Creates the account, or gives an existing one a fresh password.
async fn ensure_account(
    store: &Store,
    operator: bool,
    name: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<User> {
    let passwords = app::secrets::Passwords::default();
    if let Some(user) = store.user_by_email(email).await? {
        accounts::set_password(store, &passwords, &user.id, password)
            .await
            .map_err(fail)?;
        return Ok(user);
    }
    let created = if operator {
        accounts::create_operator(store, &passwords, name, email, password).await
    } else {
        accounts::create_client(store, &passwords, name, email, password).await
    };
    created.map_err(fail)
}

/// Where the demo's `http` products call once seeding is over: the
/// operator's automation, which does not resolve on a demo machine (so a
/// "Retry now" fails again, as it would while that automation is down).
const AUTOMATION_URL: &str = "https://automation.fluxhost.example/provision";

async fn ensure_products(store: &Store, key: &SecretsKey, actor: &Actor, endpoint: &str) -> anyhow::Result<()> {
    let existing = store.list_products().await?;
    for p in PRODUCTS {
        if existing.iter().any(|e| e.slug == p.slug) {
            continue;
        }
        let [monthly, quarterly, semi_annual, annual, hourly] = p.retail;
        let form = ProductForm {
            name: p.name.into(),
            slug: p.slug.into(),
            kind: p.kind.into(),
            description: p.description.into(),
            is_active: true,
            retail_monthly: monthly.map(Into::into),
            retail_quarterly: quarterly.map(Into::into),
            retail_semi_annual: semi_annual.map(Into::into),
            retail_annual: annual.map(Into::into),
            retail_hourly: hourly.map(Into::into),
            retail_setup_fee: Some(p.setup_fee.into()),
        };
        let (module, host) = p.provisioning;
        let mut settings = serde_json::Map::new();
        settings.insert("host".into(), host.into());
        settings.insert("api_token".into(), secrets::random_token().into());
        let provisioning = ModuleConfig {
            module,
            url: (module == Module::Http).then(|| endpoint.to_owned()),
            settings,
        };
        catalog::create_product(store, key, actor, form.try_into().map_err(fail)?, Some(provisioning))
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// Applies for `user` and walks the profile to the client's state, with a
/// price book derived from retail (and a few hand-set caps) once approved.
async fn ensure_reseller(store: &Store, operator: &Actor, user: &User, client: &DemoClient) -> anyhow::Result<()> {
    let Some(target) = client.status else {
        return Ok(());
    };
    if resellers::for_user(store, user).await.map_err(fail)?.is_some() {
        return Ok(());
    }
    let application = Application::parse(
        client.company,
        Some(&format!(
            "https://{}",
            client.email.split('@').nth(1).unwrap_or("example.com")
        )),
        Some("We host for small businesses and want to add your range to our shop."),
    )
    .map_err(fail)?;
    let reseller = resellers::apply(store, user, application).await.map_err(fail)?;
    let patch = ResellerPatch {
        default_discount_rate: Some(Percent::parse(client.discount).map_err(anyhow::Error::msg)?),
        ..ResellerPatch::default()
    };
    resellers::update_settings(store, operator, &reseller.id, patch)
        .await
        .map_err(fail)?;
    let steps: &[LifecycleAction] = match target {
        ResellerStatus::Pending => &[],
        ResellerStatus::Active => &[LifecycleAction::Approve],
        ResellerStatus::Suspended => &[LifecycleAction::Approve, LifecycleAction::Suspend],
        ResellerStatus::Terminated => &[LifecycleAction::Approve, LifecycleAction::Terminate],
    };
    for (i, step) in steps.iter().enumerate() {
        if i == 1 {
            // Price the book between approval and any later step.
            for product in store.list_products().await? {
                price_book::derive_row(store, &Settings::default(), operator, &reseller.id, &product.id)
                    .await
                    .map_err(fail)?;
            }
        }
        resellers::change_status(
            store,
            operator,
            &reseller.id,
            *step,
            Some(client.reason).filter(|r| !r.is_empty()),
        )
        .await
        .map_err(fail)?;
    }
    if target == ResellerStatus::Active {
        for product in store.list_products().await? {
            // Derived now, with the book's default policy (`keep`): no notice applies.
            let mut row = price_book::derive_row(store, &Settings::default(), operator, &reseller.id, &product.id)
                .await
                .map_err(fail)?
                .row
                .map(|row| row.draft())
                .unwrap_or_default();
            if product.slug == "bare-metal-e2388g" {
                row.max_quantity = Some(5);
            }
            if product.slug == "shared-business" {
                row.is_enabled = false;
            }
            price_book::put_row(
                store,
                &Settings::default(),
                operator,
                &reseller.id,
                &product.id,
                row,
                Default::default(),
            )
            .await
            .map_err(fail)?;
        }
    }
    Ok(())
}

pub async fn seed(config: &Config) -> anyhow::Result<()> {
    let state = open_state(config).await?;
    let store = state.store.clone();
    let actor = Actor::cli();
    let origin = Timestamp::now();
    at_day(&store, origin, HISTORY_DAYS as f64).await?;

    let operator_password = demo_password();
    let operator = ensure_account(&store, true, "Olivia Operator", OPERATOR_EMAIL, &operator_password).await?;
    let operator = Actor::user(&operator);
    // The demo's provisioning endpoint, for as long as seeding runs.
    let endpoint = DemoEndpoint::start().await?;
    ensure_products(&store, &state.settings.secrets_key, &actor, &endpoint.url).await?;
    let mut clients = Vec::new();
    for c in CLIENTS {
        let password = demo_password();
        let user = ensure_account(&store, false, c.name, c.email, &password).await?;
        // Every reseller signs up at the start of the history.
        at_day(&store, origin, HISTORY_DAYS as f64).await?;
        ensure_reseller(&store, &operator, &user, c).await?;
        ensure_account_history(&state, &operator, c, origin).await?;
        if matches!(c.account, DemoAccount::CreditLine) {
            ensure_activity(&state, &operator, c.email, origin).await?;
        }
        let state = c.status.map(|s| s.as_str()).unwrap_or("not applied");
        clients.push((c.email, password, state));
    }

    endpoint.stop();
    repoint_products(&store, &state.settings.secrets_key, &actor, AUTOMATION_URL).await?;

    // Back to the system clock, with whatever fell due meanwhile renewed.
    store.clock().reset();
    services::renew_due(&store, store.now()).await.map_err(fail)?;

    println!("Demo data is ready.");
    println!();
    println!("Operator (admin panel, /admin/login):");
    println!("  {OPERATOR_EMAIL}  password: {operator_password}");
    println!("Clients (reseller portal, /portal/login):");
    for (email, password, state) in clients {
        println!("  {email}  password: {password}  (reseller: {state})");
    }
    println!();
    println!("Passwords are new on every `fluxbilling demo` run.");
    Ok(())
}

/// Northwind's last month, through the real use cases: an API key, orders
/// from several end customers (placed by the order service) spread over the
/// month, services activated and one suspended by the operator, the
/// webhooks those caused delivered by the real deliverer to a receiver the
/// demo runs for the moment, then the shop's production URL (which does
/// not resolve here), so the last deliveries are left failing with
/// retries; and the API requests its software made over the month, written
/// by the API log's own writer. Done once: a reseller that has orders is
/// left alone.
async fn ensure_activity(state: &AppState, operator: &Actor, email: &str, origin: Timestamp) -> anyhow::Result<()> {
    let store = &state.store;
    let Some(user) = store.user_by_email(email).await? else {
        return Ok(());
    };
    let Some(reseller) = resellers::for_user(store, &user).await.map_err(fail)? else {
        return Ok(());
    };
    let first = OrderFilter {
        page: PageRequest::first(1),
        ..OrderFilter::default()
    };
    if reseller.status != ResellerStatus::Active
        || !orders::orders(store, &reseller.id, &first)
            .await
            .map_err(fail)?
            .data
            .is_empty()
    {
        return Ok(());
    }
    at_day(store, origin, 31.0).await?;
    let key = api_access::create_key(store, operator, &reseller, "shop backend", KeyScope::Orders)
        .await
        .map_err(fail)?;
    let receiver = DemoReceiver::start().await?;
    // The receiver is on this machine: allowed for the demo's own settings only.
    let settings = Settings {
        webhook_allow_private: true,
        ..(*state.settings).clone()
    };
    api_access::set_webhook_url(store, &settings, operator, &reseller.id, &receiver.url)
        .await
        .map_err(fail)?;
    let deliverer = Deliverer {
        store: store.clone(),
        secrets_key: settings.secrets_key.clone(),
        http: crate::webhooks::client::build(Duration::from_secs(5), true, 8)?,
        schedule: vec![
            Duration::from_secs(60),
            Duration::from_secs(600),
            Duration::from_secs(3600),
        ],
        allow_private: true,
        metrics: crate::metrics::Metrics::new(),
        bookkeeper: crate::webhooks::bookkeeping::Bookkeeper::start(store.clone()),
        provisioner: std::sync::Arc::new(crate::provisioning::Provisioner::new(
            store.clone(),
            settings.secrets_key.clone(),
            Duration::from_secs(5),
            // No retries while seeding: a failure is final at once (the
            // failed action waiting on the Provisioning page).
            Vec::new(),
            crate::metrics::Metrics::new(),
        )?),
    };
    let provisioner = &deliverer.provisioner;

    let catalog = store.reseller_catalog(&reseller.id, store.now()).await?;
    let product = |slug: &str| catalog.iter().find(|i| i.slug == slug).map(|i| i.id.to_string());
    let mut activated = 0;
    // (external id, product slug, term, service) of each service placed.
    let mut placed = Vec::new();
    for (days_ago, external_id, name, slug, term, quantity) in DEMO_ORDERS {
        let Some(product) = product(slug) else { continue };
        at_day(store, origin, *days_ago).await?;
        let request: OrderRequest = serde_json::from_value(serde_json::json!({
            "customer": { "external_id": external_id, "name": name, "email": format!("{external_id}@customers.example") },
            "lines": [{ "product_id": product, "term": term, "quantity": quantity }],
        }))?;
        let order = orders::place(store, &state.settings, &reseller.id, request)
            .await
            .map_err(fail)?;
        // Provisioning reports back the same day: most services run, one
        // is suspended.
        // `http` products through the demo's endpoint, the bare metal
        // server (a `manual` product) left waiting for the operator.
        at_day(store, origin, days_ago - 0.1).await?;
        placed.extend(
            order
                .service_ids
                .iter()
                .map(|id| (*external_id, *slug, *term, id.clone())),
        );
        for id in &order.service_ids {
            if !provision(store, provisioner, id).await? {
                if *slug == "bare-metal-e2388g" {
                    continue;
                }
                services::change_status(store, operator, id, ServiceAction::Activate)
                    .await
                    .map_err(fail)?;
            }
            activated += 1;
            if activated == 3 {
                services::change_status(store, operator, id, ServiceAction::Suspend)
                    .await
                    .map_err(fail)?;
                provision(store, provisioner, id).await?;
            }
        }
    }
    change_and_cancel(state, &reseller.id, provisioner, &placed, origin).await?;
    price_changes(state, operator, &reseller.id, origin).await?;
    deliver_pending(&deliverer, &reseller.id).await?;
    receiver.stop();

    // The shop's real endpoint: not reachable from a demo machine, so what
    // is sent next fails and waits for its retry.
    api_access::set_webhook_url(
        store,
        &settings,
        operator,
        &reseller.id,
        "https://hooks.northwind-hosting.example/flux",
    )
    .await
    .map_err(fail)?;
    if let Some(product) = product("minecraft-4gb") {
        at_day(store, origin, 0.5).await?;
        let request: OrderRequest = serde_json::from_value(serde_json::json!({
            "customer": { "external_id": "nw-1006", "name": "Quinn Harper" },
            "lines": [{ "product_id": product, "term": "monthly", "quantity": 1 }],
        }))?;
        let order = orders::place(store, &state.settings, &reseller.id, request)
            .await
            .map_err(fail)?;
        // The game panel is down for this one: its create fails.
        for id in &order.service_ids {
            provision(store, provisioner, id).await?;
        }
    }
    deliver_pending(&deliverer, &reseller.id).await?;

    store
        .insert_api_requests(&demo_api_requests(&reseller.id, &key.key.prefix, origin))
        .await?;
    Ok(())
}

/// What Northwind's shop changed through the partner API's use cases: one
/// of Ada's VPS Starters upgraded to VPS Pro half-way through its month
/// (with its proration entries), her quarterly VPS Pro moving down to VPS
/// Starter at its renewal, and Linus's Minecraft server cancelled at the
/// end of its term.
async fn change_and_cancel(
    state: &AppState,
    reseller: &ResellerId,
    provisioner: &crate::provisioning::Provisioner,
    placed: &[(&str, &str, &str, app::ids::ServiceId)],
    origin: Timestamp,
) -> anyhow::Result<()> {
    use app::changes::{
        CancelRequest, CancelWhen, ChangeRequest,
        service::{self as changes, Caller},
    };
    let store = &state.store;
    let caller = Caller::Partner(reseller);
    let find = |customer: &str, slug: &str, term: &str| {
        placed
            .iter()
            .filter(|(c, s, t, _)| *c == customer && *s == slug && *t == term)
            .map(|(_, _, _, id)| id.clone())
            .next_back()
    };
    let catalog = store.reseller_catalog(reseller, store.now()).await?;
    let product = |slug: &str| catalog.iter().find(|i| i.slug == slug).map(|i| i.id.clone());
    if let (Some(service), Some(pro)) = (find("nw-1001", "vps-starter", "monthly"), product("vps-pro")) {
        at_day(store, origin, 15.0).await?;
        let upgrade = ChangeRequest {
            product_id: Some(pro),
            term: None,
        };
        changes::change(store, caller, &service, &upgrade).await.map_err(fail)?;
        provision(store, provisioner, &service).await?;
    }
    if let (Some(service), Some(starter)) = (find("nw-1001", "vps-pro", "quarterly"), product("vps-starter")) {
        at_day(store, origin, 1.5).await?;
        let downgrade = ChangeRequest {
            product_id: Some(starter),
            term: None,
        };
        changes::change(store, caller, &service, &downgrade)
            .await
            .map_err(fail)?;
    }
    if let Some(service) = find("nw-1003", "minecraft-4gb", "monthly") {
        at_day(store, origin, 1.0).await?;
        let cancellation = CancelRequest {
            when: CancelWhen::EndOfTerm,
            reason: Some("The server is moving to the customer's own hardware".to_owned()),
        }
        .validate()
        .map_err(fail)?;
        changes::cancel(store, &state.settings, caller, &service, &cancellation)
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// Northwind's price book over time (DESIGN.md "Price changes over
/// time"): half a day ago VPS Starter went up by 0.50 for new orders only
/// (its services sold before keep their price: grandfathered), and VPS Pro
/// rises by 10 % for everyone at their renewals from 35 days on (past the
/// notice), scheduled now.
async fn price_changes(
    state: &AppState,
    operator: &Actor,
    reseller: &ResellerId,
    origin: Timestamp,
) -> anyhow::Result<()> {
    use app::price_book::{ExistingServices, versions::Schedule};
    let store = &state.store;
    at_day(store, origin, 0.5).await?;
    let catalog = store.reseller_catalog(reseller, store.now()).await?;
    let row_of = async |slug: &str| -> anyhow::Result<Option<app::price_book::GridLine>> {
        let Some(item) = catalog.iter().find(|i| i.slug == slug) else {
            return Ok(None);
        };
        Ok(Some(price_book::row(store, reseller, &item.id).await.map_err(fail)?))
    };
    if let Some(line) = row_of("vps-starter").await?
        && let Some(mut row) = line.row.as_ref().map(|r| r.draft())
    {
        row.prices.monthly = row
            .prices
            .monthly
            .and_then(|p| p.checked_add(Money::parse("0.50").ok()?));
        price_book::put_row(
            store,
            &state.settings,
            operator,
            reseller,
            &line.product.id,
            row,
            Schedule::default(),
        )
        .await
        .map_err(fail)?;
    }
    if let Some(line) = row_of("vps-pro").await?
        && let Some(row) = line.row.as_ref()
        && line.upcoming.is_empty()
    {
        let (prices, setup_fee) =
            app::price_book::versions::scaled(&row.prices, row.setup_fee, rust_decimal::Decimal::TEN);
        let draft = app::price_book::PriceRowDraft {
            prices,
            setup_fee,
            ..row.draft()
        };
        let schedule = Schedule {
            effective_from: Some(origin.plus(time::Duration::days(35))),
            existing_services: ExistingServices::AtRenewal,
        };
        price_book::put_row(
            store,
            &state.settings,
            operator,
            reseller,
            &line.product.id,
            draft,
            schedule,
        )
        .await
        .map_err(fail)?;
    }
    Ok(())
}

/// The reseller's account as `client.account` describes it, through the
/// account's own use cases on the business clock (payments in past months,
/// limits, orders charged, the renewals they fell due for, one not
/// covered). Done once: an account with a payment is left alone.
async fn ensure_account_history(
    state: &AppState,
    operator: &Actor,
    client: &DemoClient,
    origin: Timestamp,
) -> anyhow::Result<()> {
    let store = &state.store;
    let Some(user) = store.user_by_email(client.email).await? else {
        return Ok(());
    };
    let Some(reseller) = resellers::for_user(store, &user).await.map_err(fail)? else {
        return Ok(());
    };
    let payments = app::billing::EntryFilter::parse(Some("payment"), None, None, None, Some(1)).map_err(fail)?;
    if reseller.status != ResellerStatus::Active
        || matches!(client.account, DemoAccount::Untouched)
        || !billing::transactions(store, &reseller.id, &payments, app::billing::Audience::Operator)
            .await
            .map_err(fail)?
            .data
            .is_empty()
    {
        return Ok(());
    }
    let pay = async |amount: &str, days_ago: f64, reference: &str| {
        at_day(store, origin, days_ago).await?;
        let payment = NewPayment {
            amount: Money::parse(amount).map_err(anyhow::Error::msg)?,
            reference: reference.to_owned(),
            received_at: None,
        };
        billing::record_payment(store, &state.settings, operator, &reseller.id, &payment, None)
            .await
            .map_err(fail)
    };
    let limits = |limit: Option<&str>, threshold: Option<&str>| -> anyhow::Result<AccountPatch> {
        Ok(AccountPatch {
            credit_limit: Some(limit.map(Money::parse).transpose().map_err(anyhow::Error::msg)?),
            low_balance_threshold: Some(threshold.map(Amount::parse).transpose().map_err(anyhow::Error::msg)?),
        })
    };
    let catalog = store.reseller_catalog(&reseller.id, store.now()).await?;
    let order = async |external_id: &str, slug: &str| -> anyhow::Result<Vec<ServiceId>> {
        let Some(item) = catalog.iter().find(|i| i.slug == slug) else {
            return Ok(Vec::new());
        };
        let request: OrderRequest = serde_json::from_value(serde_json::json!({
            "customer": { "external_id": external_id },
            "lines": [{ "product_id": item.id, "term": "monthly", "quantity": 1 }],
        }))?;
        let placed = orders::place(store, &state.settings, &reseller.id, request)
            .await
            .map_err(fail)?;
        for id in &placed.service_ids {
            services::change_status(store, operator, id, ServiceAction::Activate)
                .await
                .map_err(fail)?;
        }
        Ok(placed.service_ids)
    };
    match client.account {
        DemoAccount::Untouched => {}
        DemoAccount::CreditLine => {
            // A credit line from the start, paid into over three months
            // (its orders, over the last month, are `ensure_activity`'s).
            let settings = limits(Some("500.00"), Some("100.00"))?;
            billing::update_account(store, operator, &reseller.id, &settings)
                .await
                .map_err(fail)?;
            pay("400.00", 80.0, "Bank transfer NW-0908").await?;
            pay("350.00", 50.0, "Bank transfer NW-1008").await?;
            pay("300.00", 20.0, "Bank transfer NW-1107").await?;
        }
        DemoAccount::Prepaid => {
            billing::update_account(store, operator, &reseller.id, &limits(Some("0.00"), Some("25.00"))?)
                .await
                .map_err(fail)?;
            pay("150.00", 40.0, "Card payment FJ-3101").await?;
            order("fj-2001", "vps-starter").await?;
            at_day(store, origin, 26.0).await?;
            order("fj-2002", "minecraft-4gb").await?;
        }
        DemoAccount::Arrears => {
            pay("20.00", 62.0, "Bank transfer GW-0930").await?;
            order("gw-3001", "vps-pro").await?;
            // The line is used up (available 1.00): a month later the
            // service's renewal cannot be covered and suspends it for
            // non-payment (the renewal pass of `at_day`).
            let (_, balance) = store.account(&reseller.id).await?;
            let owed = (-balance.value()).max(rust_decimal::Decimal::ZERO) + rust_decimal::Decimal::ONE;
            let settings = limits(Some(&owed.to_string()), Some("10.00"))?;
            billing::update_account(store, operator, &reseller.id, &settings)
                .await
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// Orders from Northwind's shop over the last month: (days ago, external
/// id, name, product slug, term, units).
const DEMO_ORDERS: &[(f64, &str, &str, &str, &str, u32)] = &[
    (29.6, "nw-1001", "Ada Lovelace", "vps-starter", "monthly", 2),
    (24.3, "nw-1002", "Grace Hopper", "vps-pro", "annual", 1),
    (17.8, "nw-1003", "Linus Berg", "minecraft-4gb", "monthly", 1),
    (11.4, "nw-1004", "Margaret Hamilton", "bare-metal-e2388g", "monthly", 1),
    (6.2, "nw-1005", "Ken Iverson", "vps-starter", "hourly", 3),
    (2.7, "nw-1001", "Ada Lovelace", "vps-pro", "quarterly", 1),
];

/// One attempt of each of the reseller's pending deliveries.
/// Attempts the service's queued provisioning actions now (the worker
/// would, once the server runs). Whether there were any (an `http`
/// product's service).
async fn provision(
    store: &Store,
    provisioner: &crate::provisioning::Provisioner,
    service: &app::ids::ServiceId,
) -> anyhow::Result<bool> {
    let actions = provisioning::service_actions(store, service).await.map_err(fail)?;
    let mut queued: Vec<_> = actions
        .into_iter()
        .filter(|a| a.state == app::provisioning::ActionState::Queued)
        .collect();
    queued.reverse(); // Oldest first.
    for action in &queued {
        provisioner.attempt(&action.id).await.map_err(fail)?;
    }
    Ok(!queued.is_empty())
}

/// Points the demo's `http` products at `url` (their settings kept).
async fn repoint_products(store: &Store, key: &SecretsKey, actor: &Actor, url: &str) -> anyhow::Result<()> {
    for product in catalog::list_products(store).await.map_err(fail)? {
        let Some(mut config) = catalog::provisioning(store, key, &product.id).await.map_err(fail)? else {
            continue;
        };
        if config.module != Module::Http || config.url.as_deref() == Some(url) {
            continue;
        }
        config.url = Some(url.to_owned());
        let draft = app::catalog::ProductDraft {
            name: product.name.clone(),
            slug: app::catalog::Slug::parse(&product.slug).map_err(fail)?,
            kind: product.kind,
            description: product.description.clone(),
            is_active: product.is_active,
            retail: product.retail,
            retail_setup_fee: product.retail_setup_fee,
        };
        catalog::update_product(store, key, actor, &product.id, draft, Some(config))
            .await
            .map_err(fail)?;
    }
    Ok(())
}

async fn deliver_pending(deliverer: &Deliverer, reseller: &ResellerId) -> anyhow::Result<()> {
    let filter = DeliveryFilter {
        reseller_id: Some(reseller.clone()),
        status: Some(DeliveryStatus::Pending),
        page: PageRequest::first(200),
        ..DeliveryFilter::default()
    };
    for delivery in webhooks::list(&deliverer.store, &filter).await.map_err(fail)?.data {
        deliverer.attempt(&delivery.id).await.map_err(fail)?;
    }
    Ok(())
}

/// What the shop's software asked over the last month, as the API log
/// records it: reads, orders, and the mistakes every integration makes.
fn demo_api_requests(reseller: &ResellerId, key_prefix: &str, origin: Timestamp) -> Vec<NewApiRequest> {
    let calls: &[(&str, &str, i64, Option<&str>, i64)] = &[
        ("GET", "/api/v1/me", 200, None, 2),
        ("GET", "/api/v1/products", 200, None, 3),
        ("POST", "/api/v1/orders", 401, Some("invalid_signature"), 1),
        ("POST", "/api/v1/orders", 201, None, 18),
        ("POST", "/api/v1/orders", 201, None, 15),
        ("POST", "/api/v1/orders", 422, Some("term_not_priced"), 4),
        ("GET", "/api/v1/services?status=active", 200, None, 3),
        ("GET", "/api/v1/orders?limit=20", 200, None, 4),
        ("GET", "/api/v1/products", 429, Some("rate_limited"), 1),
        ("GET", "/api/v1/customers/cus_unknown", 404, Some("not_found"), 2),
    ];
    // A month of traffic: a call every six hours, and one an hour over
    // the last day, so the log and the dashboard's charts have something
    // to show.
    let month = (0..120).map(|n| 30 * 24 * 60 - n * 360 - 11);
    let last_day = (0..24).map(|h| h * 60 + 7);
    month
        .chain(last_day)
        .enumerate()
        .map(|(i, minutes_ago)| {
            let (method, path, status, code, ms) = calls[(i * 7) % calls.len()];
            NewApiRequest {
                request_id: format!("req_demo{:04}", i + 1),
                at: origin.minus(time::Duration::minutes(minutes_ago)),
                reseller_id: Some(reseller.clone()),
                key_prefix: Some(key_prefix.to_owned()),
                method: method.to_owned(),
                path: path.to_owned(),
                status,
                error_code: code.map(str::to_owned),
                duration_us: ms * 1000 + 317,
                client_addr: "203.0.113.24".to_owned(),
            }
        })
        .collect()
}

/// A webhook receiver on a free local port that answers 200, for as long
/// as the demo seeds.
/// The demo's provisioning endpoint: answers every call `done` with the
/// details a VPS panel would return, except for the game panel's last
/// customer (`nw-1006`), whose server it cannot create.
struct DemoEndpoint {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl DemoEndpoint {
    async fn start() -> anyhow::Result<Self> {
        use axum::{Json, http::StatusCode};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/provision", listener.local_addr()?);
        async fn call(Json(call): Json<serde_json::Value>) -> (StatusCode, Json<serde_json::Value>) {
            if call["customer"]["external_id"] == "nw-1006" {
                let body = serde_json::json!({ "error": "games-2: node unreachable" });
                return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
            }
            let service = call["service"]["id"].as_str().unwrap_or_default();
            let tail = &service[service.len().saturating_sub(4)..];
            let octet = service
                .bytes()
                .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)))
                % 250
                + 2;
            let details = match call["action"].as_str() {
                Some("create") => serde_json::json!({
                    "hostname": format!("{}-{tail}.fluxhost.example", call["service"]["product"].as_str().unwrap_or("srv")),
                    "ip_address": format!("203.0.113.{octet}"),
                    "control_panel": format!("https://panel.fluxhost.example/servers/{tail}"),
                    "username": "root",
                }),
                _ => serde_json::json!({}),
            };
            (
                StatusCode::OK,
                Json(serde_json::json!({ "status": "done", "details": details })),
            )
        }
        let app = axum::Router::new().route("/provision", axum::routing::post(call));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(DemoEndpoint { url, task })
    }

    fn stop(self) {
        self.task.abort();
    }
}

struct DemoReceiver {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl DemoReceiver {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/northwind-hooks", listener.local_addr()?);
        let app = axum::Router::new().route("/northwind-hooks", axum::routing::post(|| async { "ok" }));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(DemoReceiver { url, task })
    }

    fn stop(self) {
        self.task.abort();
    }
}
