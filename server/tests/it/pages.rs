//! Server-rendered pages: guards, status codes and the shells' navigation.

use crate::helpers::{browser, get_page, spawn_app};

const ADMIN_NAV: [&str; 5] = ["Resellers", "Products", "API logs", "Webhooks", "Audit log"];
const PORTAL_NAV: [&str; 7] = [
    "Dashboard",
    "Orders",
    "Services",
    "Products",
    "Customers",
    "API Settings",
    "Program overview",
];

async fn get(client: &reqwest::Client, url: String) -> (u16, String, Option<String>) {
    // Browsers ask for HTML; the server then answers redirects with a 302.
    let response = get_page(|| client.get(&url).header("accept", "text/html")).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_sign_in_pages() {
    let app = spawn_app().await;
    let client = browser();
    let (status, _, location) = get(&client, app.url("/admin/products")).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/login?next=%2Fadmin%2Fproducts"));
    let (status, _, location) = get(&client, app.url("/portal/orders?customer=ann")).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/portal/login?next=%2Fportal%2Forders%3Fcustomer%3Dann")
    );
    let (status, _, location) = get(&client, app.url("/portal")).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/portal/login"), "home needs no return path");

    // Not only for browsers: curl, a crawler or a link checker (no
    // `Accept: text/html`) gets the same redirect, never a blank 200.
    let response = client.get(app.url("/admin/resellers")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/login?next=%2Fadmin%2Fresellers");
}

#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for_on_the_same_panel_only() {
    let app = spawn_app().await;
    app.client_account("client@example.com").await;
    let sign_in = async |next: &str| {
        app.call::<app::accounts::server_fns::SignIn>(
            &browser(),
            &[
                ("panel", "portal"),
                ("email", "client@example.com"),
                ("password", crate::helpers::PASSWORD),
                ("next", next),
            ],
        )
        .await
    };
    let back = sign_in("/portal/services?status=active").await;
    assert_eq!(back.headers()["location"], "/portal/services?status=active");
    for elsewhere in [
        "//evil.example/portal",
        "https://evil.example/portal",
        "/admin/resellers",
        "",
    ] {
        let home = sign_in(elsewhere).await;
        assert_eq!(home.headers()["location"], "/portal", "next={elsewhere}");
    }
}

#[tokio::test]
async fn sign_in_pages_label_their_fields() {
    let app = spawn_app().await;
    let (status, html, _) = get(&browser(), app.url("/admin/login")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Operator sign-in</h1>"), "{html}");
    assert!(html.contains(r#"<label for="field-email">Email</label>"#));
    assert!(html.contains(r#"<label for="field-password">Password</label>"#));
    assert!(html.contains("Sign in</button>"));
}

#[tokio::test]
async fn operators_get_the_admin_shell() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = app.signed_in("admin", "ops@example.com").await;
    let (status, html, _) = get(&client, app.url("/admin")).await;
    assert_eq!(status, 200);
    for name in ADMIN_NAV {
        assert!(html.contains(&format!(">{name}</a>")), "missing nav link {name}");
    }
    assert!(html.contains("ops@example.com"));
    assert!(html.contains("Sign out</button>"));
    assert_eq!(html.matches("<h1").count(), 1, "one h1 per page");
}

#[tokio::test]
async fn clients_get_the_portal_shell_and_are_refused_the_admin_panel() {
    let app = spawn_app().await;
    app.client_account("client@example.com").await;
    let client = app.signed_in("portal", "client@example.com").await;

    let (status, html, _) = get(&client, app.url("/portal")).await;
    assert_eq!(status, 200);
    for name in PORTAL_NAV {
        assert!(html.contains(&format!(">{name}</a>")), "missing nav link {name}");
    }

    let (status, html, _) = get(&client, app.url("/admin/resellers")).await;
    assert_eq!(status, 403);
    assert!(html.contains("Not allowed"));
    assert!(!html.contains(">Audit log</a>"), "no admin navigation for clients");
}

#[tokio::test]
async fn operators_are_refused_the_portal() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = app.signed_in("admin", "ops@example.com").await;
    let (status, html, _) = get(&client, app.url("/portal")).await;
    assert_eq!(status, 403);
    assert!(html.contains("Not allowed"));
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = spawn_app().await;
    let (status, html, _) = get(&browser(), app.url("/no/such/page")).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
}

/// The page's text with Leptos' hydration markers taken out.
fn unmarked(html: &str) -> String {
    html.replace("<!---->", "").replace("<!>", "")
}

#[tokio::test]
async fn a_resellers_page_and_api_settings_are_sub_pages_each_with_its_own_h1() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let (client, reseller) = app.active_client("shop@example.com").await;

    let base = format!("/admin/resellers/{reseller}");
    for (suffix, tab, needle) in [
        ("", "Overview", "Save settings"),
        ("/account", "Account", "Record payment"),
        ("/price-book", "Price book", "Price history"),
        ("/services", "Services", "No services."),
        ("/history", "History", "reseller.approve"),
    ] {
        let (status, html, _) = get(&operator, app.url(&format!("{base}{suffix}"))).await;
        let html = unmarked(&html);
        assert_eq!(status, 200, "{suffix}");
        assert_eq!(html.matches("<h1").count(), 1, "{suffix}: one h1");
        assert!(
            html.contains(&format!("<h1>shop@example.com: {tab}</h1>")),
            "{suffix}: {html}"
        );
        assert!(
            html.contains(&format!(r#"href="{base}{suffix}" aria-current="page">{tab}</a>"#)),
            "{suffix}: the current tab is marked: {html}"
        );
        assert_eq!(
            html.matches(r#"aria-current="page""#).count(),
            2,
            "the tab and Resellers"
        );
        assert!(html.contains(needle), "{suffix} lacks {needle}");
    }
    let (status, html, _) = get(
        &operator,
        app.url("/admin/resellers/rsl_01jd8x2m3n4p5q6r7s8t9v0w1x/account"),
    )
    .await;
    assert_eq!(status, 404);
    assert!(unmarked(&html).contains("<h1>Reseller</h1>"));

    for (suffix, tab, needle) in [
        ("", "Keys", "Generate key"),
        ("/webhook", "Webhook", "Webhook URL"),
        ("/deliveries", "Deliveries", "Send test event"),
        ("/requests", "Requests", "Path begins with"),
        ("/guide", "Guide", "Worked example"),
    ] {
        let path = format!("/portal/api-settings{suffix}");
        let (status, html, _) = get(&client, app.url(&path)).await;
        let html = unmarked(&html);
        assert_eq!(status, 200, "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert!(
            html.contains(&format!("<h1>API Settings: {tab}</h1>")),
            "{path}: {html}"
        );
        assert!(
            html.contains(&format!(r#"href="{path}" aria-current="page">{tab}</a>"#)),
            "{path}: the current tab is marked"
        );
        assert!(html.contains(needle), "{path} lacks {needle}");
    }
}

/// How many resources a page's hydration data carries.
fn resources_in(html: &str) -> usize {
    html.matches("__RESOLVED_RESOURCES[").count()
}

/// Every page loads each of its resources once per request: the signed-in
/// user, the frame's and the page's own. A page built inside another's
/// `Suspense` was built again on each of the server's walks over it: its
/// queries ran two or three times, the copies went into the hydration data
/// (a varying number), and now and then the response never ended (the
/// request timed out with a 408).
#[tokio::test]
async fn every_page_loads_each_resource_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let (client, reseller) = app.active_client("shop@example.com").await;
    let product = admin.product("vps-once", Some("10.00"), None).await;

    // The user; then the page's own (Orders: the list and the catalogue of
    // its order form).
    let portal = [
        ("/portal", 2),
        ("/portal/orders", 3),
        ("/portal/services", 2),
        ("/portal/products", 2),
        ("/portal/customers", 2),
        ("/portal/billing", 2),
        ("/portal/api-settings", 2),
        ("/portal/api-settings/webhook", 2),
        ("/portal/api-settings/deliveries", 2),
        ("/portal/api-settings/requests", 2),
        ("/portal/api-settings/guide", 1),
        ("/portal/program", 2),
    ];
    // The user; a reseller's frame (its heading); the page's own (the price
    // book: the grid and its history; API logs and webhooks: the resellers
    // of their filter, then the list).
    let base = format!("/admin/resellers/{reseller}");
    let admin_pages = [
        ("/admin/resellers".to_owned(), 2),
        (base.clone(), 3),
        (format!("{base}/account"), 3),
        (format!("{base}/price-book"), 4),
        (format!("{base}/services"), 3),
        (format!("{base}/history"), 3),
        ("/admin/products".to_owned(), 2),
        (format!("/admin/products/{product}"), 2),
        ("/admin/api-logs".to_owned(), 3),
        ("/admin/provisioning".to_owned(), 2),
        ("/admin/webhooks".to_owned(), 3),
        ("/admin/audit-log".to_owned(), 2),
    ];
    let pages = portal
        .into_iter()
        .map(|(page, n)| (&client, page.to_owned(), n))
        .chain(admin_pages.into_iter().map(|(page, n)| (&operator, page, n)));
    for (who, page, expected) in pages {
        // Twice: the copies varied in number from one request to the next.
        for _ in 0..2 {
            let (status, html, _) = get(who, app.url(&page)).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(resources_in(&html), expected, "{page}");
        }
    }
}

/// Every portal page answers 200 with one `<h1>` and, in the HTML the
/// server sends (what a browser without JavaScript shows), the reseller's
/// own data; another reseller's order or delivery is a 404 page.
#[tokio::test]
async fn portal_pages_have_one_h1_their_data_without_javascript_and_404_for_others_records() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (client, reseller) = app.active_client("pages@example.com").await;
    let (_, other) = app.active_client("other-pages@example.com").await;
    let product = admin.product("vps-pages-h1", Some("12.00"), None).await;
    let mut orders = Vec::new();
    let mut services = Vec::new();
    for (who, name) in [(&reseller, "Ada Shopper"), (&other, "Bob Elsewhere")] {
        let (status, body) = admin
            .put(
                &format!("/resellers/{who}/products/{product}"),
                serde_json::json!({ "wholesale_monthly": "9.00" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let partner = admin.partner_for(&app, who, "orders").await;
        let placed = partner
            .order(&serde_json::json!({
                "customer": { "external_id": format!("x-{name}"), "name": name },
                "lines": [{ "product_id": product, "term": "monthly", "quantity": 1 }]
            }))
            .await;
        assert_eq!(placed.status, 201, "{}", placed.body);
        orders.push(placed.body["id"].as_str().unwrap().to_owned());
        services.push(placed.body["service_ids"][0].as_str().unwrap().to_owned());
    }
    let month = app::billing::Month::of(app.store.now()).to_string();
    let mine = &orders[0];
    for (path, needle) in [
        ("/portal".to_owned(), "Dashboard"),
        ("/portal/orders".to_owned(), mine.as_str()),
        (format!("/portal/orders/{mine}"), "Ada Shopper"),
        ("/portal/services".to_owned(), "Ada Shopper"),
        (format!("/portal/services/{}", services[0]), "Ada Shopper"),
        ("/portal/products".to_owned(), "Product vps-pages-h1"),
        ("/portal/customers".to_owned(), "Ada Shopper"),
        ("/portal/billing".to_owned(), "-9.00"),
        (format!("/portal/billing/statements/{month}"), "-9.00"),
        ("/portal/api-settings".to_owned(), "Generate key"),
        ("/portal/program".to_owned(), "Program overview"),
    ] {
        let (status, html, _) = get(&client, app.url(&path)).await;
        let html = unmarked(&html);
        assert_eq!(status, 200, "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert!(html.contains(needle), "{path} renders {needle} on the server: {html}");
        assert!(
            !html.contains("Bob Elsewhere"),
            "{path} shows another reseller's customer"
        );
    }
    let (status, html, _) = get(&client, app.url(&format!("/portal/orders/{}", orders[1]))).await;
    assert_eq!(status, 404, "another reseller's order");
    assert!(!html.contains("Bob Elsewhere"));
    assert_eq!(unmarked(&html).matches("<h1").count(), 1);
    let (status, html, _) = get(&client, app.url(&format!("/portal/services/{}", services[1]))).await;
    assert_eq!(status, 404, "another reseller's service");
    assert!(!html.contains("Bob Elsewhere"));
    let (status, _, _) = get(&client, app.url("/portal/deliveries/dlv_01jd8x2m3n4p5q6r7s8t9v0w1x")).await;
    assert_eq!(status, 404, "a delivery that is not the caller's");
}

/// Served under an https public URL (behind a TLS-terminating proxy), the
/// session cookie is `Secure`; under http it is not (`accounts.rs`).
#[tokio::test]
async fn the_session_cookie_is_secure_under_an_https_public_url() {
    let app = crate::helpers::spawn_app_with(|c| c.public_url = "https://billing.example.com".to_owned()).await;
    app.operator("secure@example.com").await;
    let response = app
        .call::<app::accounts::server_fns::SignIn>(
            &browser(),
            &[
                ("panel", "admin"),
                ("email", "secure@example.com"),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("flux_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}
