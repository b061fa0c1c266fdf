//! Server-rendered pages: guards, status codes and the shells' navigation.

use crate::helpers::{browser, spawn_app};

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
    let response = client.get(url).header("accept", "text/html").send().await.unwrap();
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
