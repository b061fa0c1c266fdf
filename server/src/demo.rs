//! `fluxbilling demo`: realistic data for a first look, and how to sign in.
//!
//! Safe to run again: existing demo accounts get fresh passwords (printed
//! again), existing products are left as they are. Passwords are random:
//! a demo database must not open with a well-known password.

use crate::{config::Config, startup::open_state};
use app::{
    accounts::{User, service as accounts},
    audit::Actor,
    catalog::{ProductForm, Provisioning, service as catalog},
    error::AppError,
    money::Percent,
    price_book::service as price_book,
    resellers::{Application, LifecycleAction, ResellerPatch, ResellerStatus, service as resellers},
    secrets::{self, SecretsKey},
    store::Store,
};

pub const OPERATOR_EMAIL: &str = "operator@fluxbilling.example";

struct DemoProduct {
    name: &'static str,
    slug: &'static str,
    kind: &'static str,
    description: &'static str,
    /// monthly, quarterly, semi-annual, annual, hourly
    retail: [Option<&'static str>; 5],
    setup_fee: &'static str,
    provisioning: (&'static str, &'static str),
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
        provisioning: ("proxmox", "pve-fra1.internal"),
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
        provisioning: ("proxmox", "pve-fra2.internal"),
    },
    DemoProduct {
        name: "Minecraft 4 GB",
        slug: "minecraft-4gb",
        kind: "game_server",
        description: "Paper or vanilla, 4 GB RAM, DDoS protection",
        retail: [Some("12.00"), Some("34.20"), None, None, None],
        setup_fee: "0",
        provisioning: ("pterodactyl", "panel.games.internal"),
    },
    DemoProduct {
        name: "Shared Hosting Business",
        slug: "shared-business",
        kind: "shared_hosting",
        description: "50 sites, 100 GB SSD, free TLS",
        retail: [Some("7.99"), None, None, Some("79.90"), None],
        setup_fee: "0",
        provisioning: ("cpanel", "whm-01.internal"),
    },
    DemoProduct {
        name: "Bare Metal E-2388G",
        slug: "bare-metal-e2388g",
        kind: "bare_metal",
        description: "Xeon E-2388G, 64 GB ECC, 2x 1.92 TB NVMe",
        retail: [Some("129.00"), None, None, Some("1393.20"), None],
        setup_fee: "99.00",
        provisioning: ("ipmi", "bmc-rack4.internal"),
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
}

const CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "Alice Martin",
        email: "alice@northwind-hosting.example",
        company: "Northwind Hosting",
        status: Some(ResellerStatus::Active),
        discount: "15",
        reason: "",
    },
    DemoClient {
        name: "Bruno Keller",
        email: "bruno@pixelforge.example",
        company: "PixelForge Games",
        status: Some(ResellerStatus::Pending),
        discount: "10",
        reason: "",
    },
    DemoClient {
        name: "Chen Wei",
        email: "chen@heliocloud.example",
        company: "Helio Cloud",
        status: Some(ResellerStatus::Suspended),
        discount: "12.5",
        reason: "Invoice 2026-10 is 30 days overdue",
    },
    DemoClient {
        name: "Dana Okafor",
        email: "dana@oldstack.example",
        company: "Oldstack Ltd",
        status: Some(ResellerStatus::Terminated),
        discount: "10",
        reason: "Contract ended by mutual agreement",
    },
    DemoClient {
        name: "Emil Novak",
        email: "emil@example.com",
        company: "",
        status: None,
        discount: "0",
        reason: "",
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

async fn ensure_products(store: &Store, key: &SecretsKey, actor: &Actor) -> anyhow::Result<()> {
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
        let provisioning = Provisioning {
            module: module.into(),
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
                price_book::derive_row(store, operator, &reseller.id, &product.id)
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
            let mut row = price_book::derive_row(store, operator, &reseller.id, &product.id)
                .await
                .map_err(fail)?
                .draft();
            if product.slug == "bare-metal-e2388g" {
                row.max_quantity = Some(5);
            }
            if product.slug == "shared-business" {
                row.is_enabled = false;
            }
            price_book::put_row(store, operator, &reseller.id, &product.id, row)
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

    let operator_password = demo_password();
    let operator = ensure_account(&store, true, "Olivia Operator", OPERATOR_EMAIL, &operator_password).await?;
    let operator = Actor::user(&operator);
    ensure_products(&store, &state.settings.secrets_key, &actor).await?;
    let mut clients = Vec::new();
    for c in CLIENTS {
        let password = demo_password();
        let user = ensure_account(&store, false, c.name, c.email, &password).await?;
        ensure_reseller(&store, &operator, &user, c).await?;
        let state = c.status.map(|s| s.as_str()).unwrap_or("not applied");
        clients.push((c.email, password, state));
    }

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
